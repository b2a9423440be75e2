/** How the console writes times and traffic. */

/** A time as local date and time, to the second; '—' when absent. */
export const when = (t: string | number | undefined): string => (t === undefined ? '—' : new Date(t).toLocaleString(undefined, { hour12: false }));

/** Milliseconds between two ISO times; '—' when either is absent. */
export function took(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '—';
  return `${Math.max(0, Date.parse(to) - Date.parse(from))} ms`;
}

/** A traffic table as `v1 90% · v2 10%`. */
export const split = (routes: { version: string; weight: number }[]): string => routes.map((r) => `${r.version} ${r.weight}%`).join(' · ') || '—';
