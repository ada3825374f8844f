// The crash journal's verdicts across host restarts, and the thread clamp, without a model host.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CrashJournal } from '../../src/host/crashJournal';
import { poolLayout } from '../../src/host/embedder';

const work = mkdtempSync(join(tmpdir(), 'ss-journal-'));
after(() => rmSync(work, { recursive: true, force: true }));
let files = 0;

/** A journal file as a host that crashed while embedding `inFlight` leaves it. */
function crashedWith(state: { inFlight: string[]; suspects?: string[]; poison?: string[] }): string {
  const file = join(work, `journal-${files++}.json`);
  writeFileSync(file, JSON.stringify({ suspects: [], poison: [], ...state }));
  return file;
}

test('texts in flight during a crash become suspects; the next host starts with nothing in flight', () => {
  const file = crashedWith({ inFlight: ['a', 'b', 'c'] });
  const journal = CrashJournal.open(file, () => undefined);
  assert.deepEqual([...journal.suspects].sort(), ['a', 'b', 'c']);
  assert.equal(journal.poison.size, 0);
  const reopened = CrashJournal.open(file, () => undefined);
  assert.deepEqual([...reopened.suspects].sort(), ['a', 'b', 'c'], 'reopening without a crash changes nothing');
  assert.equal(reopened.poison.size, 0);
});

test('a suspect in flight alone during a crash is poison; the other suspects stay suspects', () => {
  const logs: string[] = [];
  const journal = CrashJournal.open(crashedWith({ inFlight: ['b'], suspects: ['a', 'b', 'c'] }), (m) => logs.push(m));
  assert.deepEqual([...journal.poison], ['b']);
  assert.deepEqual([...journal.suspects].sort(), ['a', 'c']);
  assert.match(logs[0], /crashed the model host twice/);
});

test('a text in flight alone that was not suspected is only a suspect: one crash is not enough', () => {
  const journal = CrashJournal.open(crashedWith({ inFlight: ['x'], poison: ['p'] }), () => undefined);
  assert.deepEqual([...journal.suspects], ['x']);
  assert.deepEqual([...journal.poison], ['p']);
});

test('clearing embeds each suspect alone, on disk as in flight and suspected while it runs; cleared ones are forgotten', async () => {
  const file = crashedWith({ inFlight: ['a', 'b'] });
  const journal = CrashJournal.open(file, () => undefined);
  const onDisk: Array<{ inFlight: string[]; suspects: string[] }> = [];
  await journal.clearSuspects(async (texts) => {
    journal.record(texts); // what the embedder does before posting a batch (host/main.ts wires it)
    onDisk.push(JSON.parse(readFileSync(file, 'utf8')));
  });
  // A crash at either moment would leave exactly one suspected text in flight: poison for the next host.
  assert.deepEqual(onDisk.map((s) => s.inFlight), [['a'], ['b']]);
  assert.ok(onDisk.every((s) => s.suspects.includes(s.inFlight[0])));
  assert.equal(journal.suspects.size, 0);
  assert.equal(CrashJournal.open(file, () => undefined).suspects.size, 0);
});

test('a missing or damaged journal means nothing to suspect', () => {
  const damaged = join(work, 'damaged.json');
  writeFileSync(damaged, '{"inFlight": ["trunc');
  for (const file of [join(work, 'missing.json'), damaged]) {
    const journal = CrashJournal.open(file, () => undefined);
    assert.equal(journal.suspects.size + journal.poison.size, 0);
  }
});

test('thread settings above the core count are clamped; 0 means every core', () => {
  assert.deepEqual(poolLayout(64, 2), { workers: 2, intraOpThreads: 1 });
  assert.deepEqual(poolLayout(64, 8), { workers: 2, intraOpThreads: 4 });
  assert.deepEqual(poolLayout(0, 4), { workers: 2, intraOpThreads: 2 });
  assert.deepEqual(poolLayout(1, 4), { workers: 1, intraOpThreads: 1 });
});
