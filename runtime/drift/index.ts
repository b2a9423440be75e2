/** Drift of live inputs from a version's training data: reports from the counts workers keep in Redis, and alerts. */
export { driftReport } from './drift-report.ts';
export type { DriftReport, FeatureDrift } from './drift-report.ts';
export { DriftNotWatchedError } from './drift-errors.ts';
export { DriftWatch } from './drift-watch.ts';
export type { DriftAlert, DriftWatchOptions } from './drift-watch.ts';
export { alertSender } from './alert-sender.ts';
