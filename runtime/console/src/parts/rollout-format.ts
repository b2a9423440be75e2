/**
 * How the console writes a rollout (`GET /v1/functions/{name}/rollout`): pure, so the panel's
 * words and marks are tested without a browser. The CLI's `rollout status` text says the same.
 */

export type RolloutState = 'progressing' | 'paused' | 'promoted' | 'rolled-back' | 'aborted';
export type Step = { kind: 'shadow'; percent: number } | { kind: 'canary'; weight: number } | { kind: 'promote' };
export type Gate = { gate: string; value: number | null; limit: number; ok: boolean | null };
export type Window = { stage: number; from: string; to: string; calls: number; failed: number; stableCalls: number; p95: number | null; stableP95: number | null; gates: Gate[]; verdict: 'passed' | 'failed' | 'waiting'; reason: string };

/** Whether the rollout can still move (and so is worth reading again): pause, resume and abort apply. */
export const isLive = (state: RolloutState): boolean => state === 'progressing' || state === 'paused';

/** Which of pause, resume and abort the API accepts in `state` (else it answers 409 ROLLOUT_NOT_ACTIVE). */
export function actionsFor(state: RolloutState): ('pause' | 'resume' | 'abort')[] {
  if (state === 'progressing') return ['pause', 'abort'];
  if (state === 'paused') return ['resume', 'abort'];
  return [];
}

/** The state as the badge says it: `ROLLED BACK`. */
export const stateText = (state: RolloutState): string => state.replace('-', ' ').toUpperCase();

/** One step of the plan: `shadow 20%`, `25%`, `100% (promote)`. */
export const stepText = (s: Step | undefined): string => (!s ? '?' : s.kind === 'shadow' ? `shadow ${s.percent}%` : s.kind === 'canary' ? `${s.weight}%` : '100% (promote)');

/** Where a step stands: behind the rollout, the one in force, where it ended without promoting, or ahead. */
export type StepMark = 'done' | 'current' | 'stopped' | 'ahead';

/** The plan as a progress line: each step's words and mark. A promoted rollout has every step done. */
export function stepLine(steps: Step[], at: number, state: RolloutState): { text: string; mark: StepMark }[] {
  return steps.map((s, i) => {
    const mark: StepMark = i < at || state === 'promoted' ? 'done' : i > at ? 'ahead' : state === 'rolled-back' || state === 'aborted' ? 'stopped' : 'current';
    return { text: stepText(s), mark };
  });
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO time as local `HH:MM:SS` (a window is minutes long: the date adds nothing). */
export function clock(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** How long until `iso` from `now` (ms): `in 59 min`, `in 12 s`, or `due` once passed (the driver judges it on its next turn). */
export function dueIn(iso: string, now: number): string {
  const s = Math.ceil((Date.parse(iso) - now) / 1000);
  if (s <= 0) return 'due';
  if (s < 120) return `in ${s} s`;
  if (s < 7200) return `in ${Math.round(s / 60)} min`;
  return `in ${Math.round(s / 3600)} h`;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** A gate's value or limit in its own unit: shares as percents, the p95 ratio as `1.23×`, the feedback drop as a score difference. */
export function gateNumber(gate: string, x: number | null): string {
  if (x === null) return '—';
  if (gate === 'p95Ratio') return `${x.toFixed(2)}×`;
  if (gate === 'feedbackDrop') return x.toFixed(3);
  return pct(x);
}

/** Gates that must reach their limit (the others must stay under it). */
const AT_LEAST = new Set(['successRate', 'shadowAgreement']);

/** One gate's cell: its value, whether it failed, and its limit in words (for the hover). */
export interface GateCell {
  text: string;
  failed: boolean;
  title: string;
}

/** The cell of gate `name` in window `w`; '—' when the window did not read it (too few calls, no shadow step, no feedback). */
export function gateCell(w: Window, name: string): GateCell {
  const g = w.gates.find((x) => x.gate === name);
  if (!g) return { text: '—', failed: false, title: 'not read in this window' };
  const limit = `${AT_LEAST.has(name) ? 'at least' : 'at most'} ${gateNumber(name, g.limit)}`;
  const title = g.ok === null ? `${limit}; nothing to compare with` : `${limit}: ${g.ok ? 'passed' : 'failed'}`;
  return { text: `${gateNumber(name, g.value)}${g.ok === false ? ' ✗' : ''}`, failed: g.ok === false, title };
}

/** Seconds as whole milliseconds; '—' without calls to measure. */
const ms = (s: number | null) => (s === null ? '—' : `${Math.round(s * 1000)} ms`);

/** One row of the windows table, newest first in the panel. */
export interface WindowRow {
  span: string;
  step: string;
  calls: number;
  failed: number;
  success: GateCell;
  p95: string;
  ratio: GateCell;
  agreement: GateCell;
  feedbackDrop: GateCell;
  verdict: Window['verdict'];
  reason: string;
}

/**
 * A window as the table shows it. The success rate of a window too small to judge is still shown
 * (from its calls), unmarked: it did not count.
 */
export function windowRow(w: Window, steps: Step[]): WindowRow {
  const success = gateCell(w, 'successRate');
  return {
    span: `${clock(w.from)}–${clock(w.to)}`,
    step: stepText(steps[w.stage]),
    calls: w.calls,
    failed: w.failed,
    success: success.text === '—' && w.calls > 0 ? { ...success, text: pct(1 - w.failed / w.calls) } : success,
    p95: `${ms(w.p95)} / ${ms(w.stableP95)}`,
    ratio: gateCell(w, 'p95Ratio'),
    agreement: gateCell(w, 'shadowAgreement'),
    feedbackDrop: gateCell(w, 'feedbackDrop'),
    verdict: w.verdict,
    reason: w.reason,
  };
}
