import { PlatformError } from '../../queue/platform-error.ts';

/** A rollout setting out of range; `field` names it as the deploy's query does (`rolloutSteps`). */
export class InvalidRolloutError extends PlatformError {
  override readonly name = 'InvalidRolloutError';
  constructor(field: string, message: string) {
    super('INVALID_ROLLOUT', `${field}: ${message}`, { extra: { field, in: 'query' } });
  }
}

/** The function has no rollout record. */
export class RolloutNotFoundError extends PlatformError {
  override readonly name = 'RolloutNotFoundError';
  constructor(fn: string) {
    super('ROLLOUT_NOT_FOUND', `function '${fn}' has no rollout`);
  }
}

/** The rollout is not in a state the action applies to. */
export class RolloutNotActiveError extends PlatformError {
  override readonly name = 'RolloutNotActiveError';
  constructor(fn: string, action: string, state: string) {
    super('ROLLOUT_NOT_ACTIVE', `cannot ${action} the rollout of '${fn}': it is ${state}`, { extra: { state } });
  }
}
