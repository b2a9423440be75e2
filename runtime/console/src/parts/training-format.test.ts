import { describe, expect, it } from 'vitest';
import { anyLive, cancellable, figure, outcomeLine, progressFraction, progressLine, type TrainingResult, type TrainingStatus } from './training-format.ts';

const ALL: TrainingStatus[] = ['queued', 'running', 'finishing', 'succeeded', 'rejected', 'failed', 'cancelled'];
const result = (r: Partial<TrainingResult>): TrainingResult => ({ version: '0123456789ab', primaryMetric: 'accuracy', metrics: { accuracy: 0.91, f1: 0.875 }, baseline: { accuracy: 0.88 }, verdict: 'better', deployed: 'shadow', ...r });

describe('a training in the console', () => {
  it('is read again while any can change, and offers Cancel only while queued or running and not yet asked', () => {
    expect(ALL.filter((s) => anyLive([{ status: 'succeeded' }, { status: s }]))).toEqual(['queued', 'running', 'finishing']);
    expect(anyLive([])).toBe(false);
    expect(ALL.filter((s) => cancellable({ status: s }))).toEqual(['queued', 'running']);
    expect(cancellable({ status: 'running', cancel: { by: 'dana', at: '2026-12-06T22:00:00Z' } })).toBe(false);
  });

  it('writes its progress as one line, leaving out what train did not say', () => {
    expect(progressLine({ epoch: 2, epochs: 5, step: 30, steps: 100, loss: 0.31234, metrics: { accuracy: 0.9 }, message: 'fitting' })).toBe('epoch 2/5 · step 30/100 · loss 0.3123 · accuracy 0.9000 · fitting');
    expect(progressLine({ epoch: 3, loss: 1234.5 })).toBe('epoch 3 · loss 1235');
    expect(progressLine({ metrics: {} })).toBe('');
    expect(progressLine(undefined)).toBe('');
    expect(progressLine({ metrics: { loss2: 0.5, rocAuc: 0.97 } }, 'rocAuc')).toBe('rocAuc 0.9700, loss2 0.5000');
    expect(figure(undefined)).toBe('—');
  });

  it('draws a bar from epochs (counted from 1) and steps within them, or steps alone, and none without either', () => {
    expect(progressFraction({ epoch: 1, epochs: 4 })).toBe(0.25);
    expect(progressFraction({ epoch: 2, epochs: 4, step: 50, steps: 100 })).toBe(0.375);
    expect(progressFraction({ epoch: 4, epochs: 4, step: 100, steps: 100 })).toBe(1);
    expect(progressFraction({ epoch: 9, epochs: 4 })).toBe(1);
    expect(progressFraction({ step: 30, steps: 120 })).toBe(0.25);
    expect(progressFraction({ epoch: 2, loss: 0.5 })).toBeUndefined();
    expect(progressFraction(undefined)).toBeUndefined();
  });

  it('says how it ended: the primary metric against stable with the verdict and what became of the version, the error, or who cancelled', () => {
    expect(outcomeLine({ status: 'succeeded', result: result({}) })).toBe("accuracy 0.9100 against stable's 0.8800 (better); deployed as a shadow of stable");
    expect(outcomeLine({ status: 'succeeded', result: result({ deployed: 'rollout', verdict: 'within' }) })).toBe("accuracy 0.9100 against stable's 0.8800 (within); deployed as a rollout");
    expect(outcomeLine({ status: 'rejected', result: result({ verdict: 'worse', deployed: 'none', reason: 'accuracy is worse than stable' }) })).toBe("accuracy 0.9100 against stable's 0.8800 (worse); not deployed: accuracy is worse than stable");
    expect(outcomeLine({ status: 'succeeded', result: result({ baseline: undefined, verdict: 'unmeasured', deployed: 'none' }) })).toBe("accuracy 0.9100 against stable's — (unmeasured); not deployed");
    expect(outcomeLine({ status: 'failed', error: { code: 'TRAINING_FAILED', message: 'out of memory' } })).toBe('TRAINING_FAILED: out of memory');
    const cancel = { by: 'dana', at: '2026-12-06T22:00:00Z' };
    expect(outcomeLine({ status: 'cancelled', cancel, error: { code: 'TRAINING_CANCELLED', message: 'cancelled by dana before it started' } })).toBe('cancelled by dana');
    expect(outcomeLine({ status: 'running', cancel })).toBe('cancel asked by dana');
    expect(outcomeLine({ status: 'queued' })).toBe('');
  });
});
