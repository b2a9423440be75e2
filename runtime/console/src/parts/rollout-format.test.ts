import { describe, expect, it } from 'vitest';
import { actionsFor, clock, dueIn, gateCell, isLive, stateText, stepLine, windowRow, type Step, type Window } from './rollout-format.ts';

const STEPS: Step[] = [{ kind: 'shadow', percent: 20 }, { kind: 'canary', weight: 20 }, { kind: 'canary', weight: 60 }, { kind: 'promote' }];
// Local times, so the expected clock reads the same in any time zone.
const at = (h: number, m: number, s: number) => new Date(2026, 11, 6, h, m, s).toISOString();
const win = (w: Partial<Window>): Window => ({ stage: 1, from: at(19, 5, 0), to: at(19, 5, 10), calls: 0, failed: 0, stableCalls: 0, p95: null, stableP95: null, gates: [], verdict: 'waiting', reason: '', ...w });

describe('a rollout in the console', () => {
  it('is read again and steered only while it can move', () => {
    expect(['progressing', 'paused', 'promoted', 'rolled-back', 'aborted'].filter((s) => isLive(s as never))).toEqual(['progressing', 'paused']);
    expect(actionsFor('progressing')).toEqual(['pause', 'abort']);
    expect(actionsFor('paused')).toEqual(['resume', 'abort']);
    for (const ended of ['promoted', 'rolled-back', 'aborted'] as const) expect(actionsFor(ended)).toEqual([]);
    expect(stateText('rolled-back')).toBe('ROLLED BACK');
    expect(stateText('progressing')).toBe('PROGRESSING');
  });

  it('draws the plan as a line with the step in force marked, and where an ended rollout stopped', () => {
    const texts = stepLine(STEPS, 2, 'progressing').map((s) => s.text);
    expect(texts).toEqual(['shadow 20%', '20%', '60%', '100% (promote)']);
    expect(stepLine(STEPS, 2, 'progressing').map((s) => s.mark)).toEqual(['done', 'done', 'current', 'ahead']);
    expect(stepLine(STEPS, 2, 'paused').map((s) => s.mark)).toEqual(['done', 'done', 'current', 'ahead']);
    expect(stepLine(STEPS, 1, 'rolled-back').map((s) => s.mark)).toEqual(['done', 'stopped', 'ahead', 'ahead']);
    expect(stepLine(STEPS, 0, 'aborted').map((s) => s.mark)).toEqual(['stopped', 'ahead', 'ahead', 'ahead']);
    expect(stepLine(STEPS, 3, 'promoted').map((s) => s.mark)).toEqual(['done', 'done', 'done', 'done']);
  });

  it('says when the next verdict is due', () => {
    const t = Date.parse('2026-12-06T19:00:00Z');
    expect(dueIn('2026-12-06T20:00:00.000Z', t)).toBe('in 60 min');
    expect(dueIn('2026-12-06T19:00:12.000Z', t)).toBe('in 12 s');
    expect(dueIn('2026-12-06T19:00:11.200Z', t)).toBe('in 12 s');
    expect(dueIn('2026-12-06T22:00:00.000Z', t)).toBe('in 3 h');
    expect(dueIn('2026-12-06T18:59:59.000Z', t)).toBe('due');
    expect(clock(at(9, 5, 7))).toBe('09:05:07');
  });

  it('writes each gate in its own unit and marks the failing ones, with the limit on hover', () => {
    const w = win({
      verdict: 'failed',
      gates: [
        { gate: 'successRate', value: 0.8, limit: 0.99, ok: false },
        { gate: 'p95Ratio', value: 1.234, limit: 1.5, ok: true },
        { gate: 'feedbackDrop', value: 0.05, limit: 0.02, ok: false },
      ],
    });
    expect(gateCell(w, 'successRate')).toEqual({ text: '80.0% ✗', failed: true, title: 'at least 99.0%: failed' });
    expect(gateCell(w, 'p95Ratio')).toEqual({ text: '1.23×', failed: false, title: 'at most 1.50×: passed' });
    expect(gateCell(w, 'feedbackDrop')).toEqual({ text: '0.050 ✗', failed: true, title: 'at most 0.020: failed' });
    expect(gateCell(w, 'shadowAgreement')).toEqual({ text: '—', failed: false, title: 'not read in this window' });
    // No stable calls to compare a p95 with: unjudged, not failed.
    expect(gateCell(win({ gates: [{ gate: 'p95Ratio', value: null, limit: 1.5, ok: null }] }), 'p95Ratio')).toEqual({ text: '—', failed: false, title: 'at most 1.50×; nothing to compare with' });
  });

  it('makes a window a table row: span, step, figures, verdict and reason', () => {
    const failed = windowRow(
      win({ stage: 1, calls: 50, failed: 10, stableCalls: 200, p95: 0.0214, stableP95: 0.02, verdict: 'failed', reason: 'successRate 80.0% < 99.0% (10 of 50 calls failed)', gates: [{ gate: 'successRate', value: 0.8, limit: 0.99, ok: false }, { gate: 'p95Ratio', value: 1.07, limit: 1.5, ok: true }] }),
      STEPS,
    );
    expect(failed).toMatchObject({ span: '19:05:00–19:05:10', step: '20%', calls: 50, failed: 10, p95: '21 ms / 20 ms', verdict: 'failed', reason: 'successRate 80.0% < 99.0% (10 of 50 calls failed)' });
    expect(failed.success).toMatchObject({ text: '80.0% ✗', failed: true });
    expect(failed.ratio).toMatchObject({ text: '1.07×', failed: false });
    expect(failed.agreement.text).toBe('—');

    // Too few calls to judge: the success rate is shown from the calls, unmarked; nothing else read.
    const waiting = windowRow(win({ stage: 0, calls: 4, failed: 1, reason: '4 shadowed calls in the window, fewer than minCalls 20' }), STEPS);
    expect(waiting).toMatchObject({ step: 'shadow 20%', p95: '— / —', verdict: 'waiting' });
    expect(waiting.success).toEqual({ text: '75.0%', failed: false, title: 'not read in this window' });
    expect(windowRow(win({ calls: 0 }), STEPS).success.text).toBe('—');
  });
});
