// A near-duplicate cluster as the view lists it: members with the same text (exact duplicates) folded into one
// entry, in the order their text first appears. No DOM: unit-tested in Node.
import type { DuplicateMemberView } from './protocol';

export type ClusterEntry =
  | { kind: 'member'; member: DuplicateMemberView }
  /** Two or more members with exactly this text. */
  | { kind: 'identical'; text: string; members: DuplicateMemberView[] };

export function clusterEntries(members: readonly DuplicateMemberView[], foldExact: boolean): ClusterEntry[] {
  if (!foldExact) return members.map((member) => ({ kind: 'member', member }));
  const byText = new Map<string, DuplicateMemberView[]>();
  for (const member of members) {
    const same = byText.get(member.text);
    if (same) same.push(member);
    else byText.set(member.text, [member]);
  }
  return [...byText].map(([text, same]) => (same.length === 1 ? { kind: 'member', member: same[0] } : { kind: 'identical', text, members: same }));
}

/** The lowest score in a cluster: every member is at least this close to the representative. */
export function lowestScore(members: readonly DuplicateMemberView[]): number {
  return members.slice(1).reduce((lowest, member) => Math.min(lowest, member.score), 1);
}
