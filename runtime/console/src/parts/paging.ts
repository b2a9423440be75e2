/** One page of a filtered list, as the Functions list shows it. */
export interface Paged<T> {
  rows: T[];
  /** The page shown, from 0: the one asked for, or the last one when the filter left fewer. */
  page: number;
  pages: number;
  matching: number;
}

/** Page `page` (from 0) of the items `keep` lets through, `size` to a page; at least one (empty) page. */
export function pageOf<T>(items: readonly T[], keep: (item: T) => boolean, page: number, size: number): Paged<T> {
  const matching = items.filter(keep);
  const pages = Math.max(1, Math.ceil(matching.length / size));
  const at = Math.max(0, Math.min(page, pages - 1));
  return { rows: matching.slice(at * size, (at + 1) * size), page: at, pages, matching: matching.length };
}
