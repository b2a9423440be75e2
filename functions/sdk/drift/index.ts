/** Drift of live inputs from the training data: baselines (built by training scripts) and PSI. */
export { baselineProblem, binOf, buildBaseline } from './baseline.ts';
export type { DriftBaseline, FeatureBaseline } from './baseline.ts';
export { DEFAULT_THRESHOLDS, EMPTY_SHARE, driftStatus, psi } from './psi.ts';
export type { DriftStatus, DriftThresholds } from './psi.ts';
