import * as fs from 'node:fs';

/** Parent pid and state of a Linux process from /proc, or undefined once it is gone. */
function readStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may hold spaces or parentheses: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** All descendants of `rootPid`, read before signalling because orphans lose their parent link. */
function descendantsOf(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    const stat = Number.isInteger(pid) ? readStat(pid) : undefined;
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The parent pid of a live process, or undefined once it is gone. */
export function parentOf(pid: number): number | undefined {
  return readStat(pid)?.ppid;
}

/** Live processes whose command line (arguments joined by spaces) matches `pattern`. */
export function processesWithCommandLine(pattern: RegExp): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || !isAlive(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').match(pattern)) found.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** A zombie counts as gone: in a container, pid 1 may never reap orphans. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * Ends `rootPid` and every descendant (some, like the pty host's shells, start sessions of their own):
 * SIGTERM first, SIGKILL for whatever is still alive after `graceMs`.
 */
export async function killProcessTree(rootPid: number, graceMs = 5000): Promise<void> {
  const pids = [rootPid, ...descendantsOf(rootPid)];
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const pid of pids.filter(isAlive)) signal(pid, 'SIGKILL');
}

/** SIGKILLs `rootPid` and its descendants synchronously, for a process 'exit' handler. */
export function killProcessTreeNow(rootPid: number): void {
  for (const pid of [rootPid, ...descendantsOf(rootPid)]) signal(pid, 'SIGKILL');
}
