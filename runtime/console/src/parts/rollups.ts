/**
 * The routers' per-minute rollups (`GET /v1/functions/{name}/calls`) shaped for the console:
 * columns for the charts and the few figures of a table row. Pure, so it is tested without a browser.
 */

/** One minute of a function's calls, as the API gives it. */
export interface Minute {
  /** Start of the minute, epoch ms. */
  t: number;
  calls: number;
  clientErrors: number;
  serverErrors: number;
  inputs: number;
  /** Synchronous calls' p50/p95, seconds; null in a minute without any. */
  p50: number | null;
  p95: number | null;
}

/** The charts' data as uPlot takes it: x in epoch seconds, then one column per series. */
export interface ChartColumns {
  x: number[];
  perSecond: number[];
  clientErrors: number[];
  serverErrors: number[];
  /** Milliseconds; null where the minute had no synchronous call (a gap in the line). */
  p50Ms: (number | null)[];
  p95Ms: (number | null)[];
}

/** Seconds of `m` that have passed by `now`: 60 for a past minute, fewer for the current one (at least 1). */
const secondsOf = (m: Minute, now: number): number => Math.max(1, Math.min(60, (now - m.t) / 1000));

const ms = (s: number | null): number | null => (s === null ? null : Math.round(s * 1000 * 10) / 10);

/**
 * The columns of the calls/s, errors and latency charts. The current minute is still filling (the
 * routers write every few seconds), so its rate is over the seconds it has had, not over 60.
 */
export function chartColumns(minutes: readonly Minute[], now = Date.now()): ChartColumns {
  return {
    x: minutes.map((m) => m.t / 1000),
    perSecond: minutes.map((m) => Math.round((m.calls / secondsOf(m, now)) * 100) / 100),
    clientErrors: minutes.map((m) => m.clientErrors),
    serverErrors: minutes.map((m) => m.serverErrors),
    p50Ms: minutes.map((m) => ms(m.p50)),
    p95Ms: minutes.map((m) => ms(m.p95)),
  };
}

/** A function's row on the Functions list: its recent rate, error share and latency. */
export interface RecentFigures {
  calls: number;
  perSecond: number;
  /** Share of calls answered 5xx (the platform's failures; 4xx are the callers'), 0–1; null without calls. */
  errorRate: number | null;
  /** p95 of the newest minute that had synchronous calls, seconds; null without any. */
  p95: number | null;
}

/** The figures of a window of minutes (oldest first), the current one counted for the seconds it has had. */
export function recentFigures(minutes: readonly Minute[], now = Date.now()): RecentFigures {
  const calls = minutes.reduce((n, m) => n + m.calls, 0);
  const failed = minutes.reduce((n, m) => n + m.serverErrors, 0);
  const seconds = minutes.reduce((n, m) => n + secondsOf(m, now), 0);
  const latest = [...minutes].reverse().find((m) => m.p95 !== null);
  return {
    calls,
    perSecond: minutes.length === 0 ? 0 : calls / seconds,
    errorRate: calls === 0 ? null : failed / calls,
    p95: latest?.p95 ?? null,
  };
}

/** How many points of a column hold something to draw (a call, an error, a latency). */
export const pointsOf = (column: readonly (number | null)[]): number => column.filter((v) => v !== null && v > 0).length;
