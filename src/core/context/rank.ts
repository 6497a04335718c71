// Merging ranked lists (keyword hits and embedding hits) into one: Reciprocal Rank Fusion, score =
// sum over lists of 1 / (k + rank), rank 1-based (Cormack, Clarke and Buettcher, "Reciprocal Rank
// Fusion outperforms Condorcet and individual Rank Learning Methods", SIGIR 2009; k = 60 there).
// Ranks, not scores, are fused: a BM25 score and a cosine similarity have no common scale. Pure.

export const RRF_K = 60;

/** The ids of every list, best first by fused score (ties: the order of first appearance, list by
 * list). `weights` (default 1 each) scale a list's contribution. */
export function fuseRanks<T>(lists: ReadonlyArray<readonly T[]>, weights: readonly number[] = [], k = RRF_K): { id: T; score: number }[] {
  const scores = new Map<T, number>();
  lists.forEach((list, li) => {
    const w = weights[li] ?? 1;
    list.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + w / (k + i + 1)));
  });
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
