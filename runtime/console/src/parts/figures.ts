/** How the console writes rates, shares and latencies. */

/** Calls per second: two decimals below 10, whole above; a trickle as `<0.01` rather than a misleading 0. */
export const perSecond = (n: number): string => (n === 0 ? '0' : n < 0.01 ? '<0.01' : n < 10 ? n.toFixed(2) : String(Math.round(n)));

/** A share 0–1 as a percent with one decimal; '—' when there is nothing to share (no calls). */
export const share = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

/** Seconds as milliseconds; '—' when absent. */
export const millis = (s: number | null | undefined): string => (s === null || s === undefined ? '—' : `${Math.round(s * 1000)} ms`);

/** Bytes as KiB or MiB. */
export const size = (bytes: number): string => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`);
