/**
 * Rollout settings for tests that follow a rollout to its end (README: `AUTOGLM_ROLLOUT_*`; the
 * defaults are 5 s, 1 s, 5 s and 2.5 s): windows may be as short as 2 s, routers look for
 * windows to judge every 0.2 s, a dead driver's lease lapses after 2 s, and a window is read
 * 1.5 s after it ends (routers write their counts every second, so its figures are whole). A test
 * still waits for the verdicts, steps and endings it names; only the windows it asks for, and the
 * pauses between them, are shorter.
 */
export const QUICK_ROLLOUTS: Readonly<Record<string, string>> = { AUTOGLM_ROLLOUT_MIN_INTERVAL: '2s', AUTOGLM_ROLLOUT_TICK: '200ms', AUTOGLM_ROLLOUT_LEASE: '2s', AUTOGLM_ROLLOUT_SETTLE: '1500ms' };
