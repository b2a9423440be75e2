/**
 * Rollouts without a human watching: a new version steps through traffic weights, each window
 * judged against the stable version on the platform's own figures, promoted when every step
 * passes and rolled back when windows fail (see docs/architecture.md, "Rollouts").
 */
export { RolloutDriver, type RolloutDriverOptions } from './rollout-driver.ts';
export { MIN_FEEDBACK, judgeWindow, type FeedbackFigures, type WindowFigures } from './rollout-analysis.ts';
export { abortRollout, afterWindow, isActive, pausedByChange, pauseRollout, resumeRollout, startRollout } from './rollout-moves.ts';
export { intervalIssue, rolloutPlan, type RolloutOverrides } from './rollout-plan.ts';
export { InvalidRolloutError, RolloutNotActiveError, RolloutNotFoundError } from './rollout-errors.ts';
export { rolloutAlertSender, type RolloutAlert } from './rollout-alert.ts';
export { VersionRecorder } from './version-recorder.ts';
export { RolloutControl } from './rollout-control.ts';
