/**
 * How the console writes a training (`GET /v1/trainings`, runtime/http/routes/training-routes.ts):
 * pure, so the list's words are tested without a browser. `autoglm training status` says the same.
 */

export type TrainingStatus = 'queued' | 'running' | 'finishing' | 'succeeded' | 'rejected' | 'failed' | 'cancelled';

/** The last progress `train` reported; every field optional. */
export interface TrainingProgress {
  epoch?: number;
  epochs?: number;
  step?: number;
  steps?: number;
  loss?: number;
  metrics?: Record<string, number>;
  message?: string;
  at?: string | number;
}

/** How a training ended well: the version it made, judged against stable on the held-out records. */
export interface TrainingResult {
  version: string;
  primaryMetric: string;
  metrics: Record<string, number>;
  baseline?: Record<string, number>;
  verdict: 'better' | 'within' | 'worse' | 'unmeasured';
  deployed: 'shadow' | 'rollout' | 'none';
  reason?: string;
}

/** What the console reads of a training. */
export interface Training {
  id: string;
  function: string;
  version: string;
  status: TrainingStatus;
  then: 'shadow' | 'rollout' | 'none';
  /** What the new version is judged by (listed first in the progress line). */
  primaryMetric?: string;
  dataset: { records: number; source: 'upload' | 'feedback' };
  progress?: TrainingProgress;
  result?: TrainingResult;
  error?: { code: string; message: string };
  cancel?: { by: string; at: string };
  createdAt: string;
  createdBy: string;
}

/** Whether a training can still change by itself (and so is worth reading again). */
export const isLive = (s: TrainingStatus): boolean => s === 'queued' || s === 'running' || s === 'finishing';

/** Whether any of `items` can still change: the list is read again only then. */
export const anyLive = (items: readonly Pick<Training, 'status'>[]): boolean => items.some((t) => isLive(t.status));

/**
 * Whether Cancel is offered: queued or running, and no cancel asked yet. A finishing one has its
 * files stored and a router recording the version: too late to stop.
 */
export const cancellable = (t: Pick<Training, 'status' | 'cancel'>): boolean => (t.status === 'queued' || t.status === 'running') && !t.cancel;

/** A figure short: four significant digits, whole from 100 up; '—' when absent. */
export const figure = (x: number | undefined): string => (typeof x !== 'number' ? '—' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(4));

/** Metrics as `accuracy 0.9100, f1 0.8800`. */
export const metricsText = (m: Record<string, number> | undefined): string => Object.entries(m ?? {}).map(([k, v]) => `${k} ${figure(v)}`).join(', ');

/**
 * Where a training is, as one line: `epoch 2/5 · step 30/100 · loss 0.3120 · accuracy 0.9100 · message`
 * (the `primary` metric first); '' when it said nothing.
 */
export function progressLine(p: TrainingProgress | undefined, primary?: string): string {
  if (!p) return '';
  const parts: string[] = [];
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''}`);
  if (p.step !== undefined) parts.push(`step ${p.step}${p.steps ? `/${p.steps}` : ''}`);
  if (p.loss !== undefined) parts.push(`loss ${figure(p.loss)}`);
  if (p.metrics && Object.keys(p.metrics).length > 0) {
    const first = primary !== undefined && primary in p.metrics ? { [primary]: p.metrics[primary]! } : {};
    parts.push(metricsText({ ...first, ...p.metrics }));
  }
  if (p.message) parts.push(p.message);
  return parts.join(' · ');
}

/**
 * How far along, 0..1: epochs (counted from 1, as `train` reports them), then steps within the
 * epoch; steps alone when no epochs are known; undefined when neither is (no bar then).
 */
export function progressFraction(p: TrainingProgress | undefined): number | undefined {
  if (!p?.epochs) return p?.steps ? Math.min(1, (p.step ?? 0) / p.steps) : undefined;
  const within = p.steps ? (p.step ?? 0) / p.steps : 1;
  return Math.max(0, Math.min(1, (Math.max(0, (p.epoch ?? 1) - 1) + within) / p.epochs));
}

const DEPLOYED = { shadow: 'deployed as a shadow of stable', rollout: 'deployed as a rollout', none: 'not deployed' } as const;

/**
 * How it ended, as one line: the new version's primary metric against stable's and the verdict,
 * then what was done with it; the error of a failed one; who cancelled. '' while live.
 */
export function outcomeLine(t: Pick<Training, 'status' | 'result' | 'error' | 'cancel'>): string {
  const r = t.result;
  if (r) {
    const judged = `${r.primaryMetric} ${figure(r.metrics[r.primaryMetric])} against stable's ${figure(r.baseline?.[r.primaryMetric])} (${r.verdict})`;
    return `${judged}; ${DEPLOYED[r.deployed]}${r.deployed === 'none' && r.reason ? `: ${r.reason}` : ''}`;
  }
  if (t.status === 'cancelled') return t.cancel ? `cancelled by ${t.cancel.by}` : 'cancelled';
  if (t.error) return `${t.error.code}: ${t.error.message}`;
  if (t.cancel) return `cancel asked by ${t.cancel.by}`;
  return '';
}
