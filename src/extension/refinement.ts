// *More like this* / *Less like this*: the texts a query is moved toward and away from (Rocchio-style, by the host).
// No `vscode` import.
import type { Refinement } from '../protocol';

/** Refinements keep at most this many texts per direction: the oldest go first. */
export const MAX_REFINEMENT_TEXTS = 10;

/**
 * `current` with `text` added to `direction`'s texts (once) and taken out of the other direction: marking a result
 * the other way round changes one's mind rather than cancelling out.
 */
export function refined(current: Refinement | undefined, text: string, direction: 'more' | 'less'): Refinement {
  const other = direction === 'more' ? 'less' : 'more';
  const next: Refinement = { more: [...(current?.more ?? [])], less: [...(current?.less ?? [])] };
  next[other] = next[other].filter((item) => item !== text);
  next[direction] = [...next[direction].filter((item) => item !== text), text].slice(-MAX_REFINEMENT_TEXTS);
  return next;
}

export function withoutRefinement<T extends { refine?: Refinement }>(request: T): T {
  const { refine: _dropped, ...rest } = request;
  return rest as T;
}
