import type { Logger } from '../../functions/sdk/index.ts';
import { stageOf, weightIn, type FunctionCatalog, type FunctionState, type RolloutLeases, type RolloutRecord, type RolloutWindow, type ShadowMark, type ShadowStats, type VersionCalls } from '../../queue/cluster/index.ts';
import type { AuditEvent } from '../audit/index.ts';
import { judgeWindow, type FeedbackFigures, type WindowFigures } from './rollout-analysis.ts';
import { afterWindow } from './rollout-moves.ts';
import type { RolloutAlert } from './rollout-alert.ts';

/** Options of a {@link RolloutDriver}. */
export interface RolloutDriverOptions {
  catalog: Pick<FunctionCatalog, 'update'>;
  /** The router's copy of the catalogue. */
  functions: () => readonly FunctionState[];
  leases: Pick<RolloutLeases, 'acquire' | 'release'>;
  calls: Pick<VersionCalls, 'window'>;
  shadow: Pick<ShadowStats, 'report'>;
  /** Feedback per version that arrived in [since, until) [no feedback gate]. */
  feedback?: (fn: string, sinceMs: number, untilMs: number) => Promise<Map<string, FeedbackFigures>>;
  /** This router's id: what applied steps name. */
  routerId: string;
  audit?: (event: AuditEvent) => void;
  /** Delivers an alert (to `AUTOGLM_ALERT_URL`); rejects when it was not accepted. */
  send?: (alert: RolloutAlert) => Promise<void>;
  log: Logger;
  /** How often leases are renewed and windows checked [1 s]. */
  tickMs?: number;
  /** How long after a window's end its figures are read: routers write theirs every second [2.5 s]. */
  settleMs?: number;
}

/** The window of `r` ended before `now` and settled, if any: [from, to). */
const dueWindow = (r: RolloutRecord, now: number, settleMs: number) => (now >= r.windowFrom + r.plan.interval + settleMs ? { from: r.windowFrom, to: r.windowFrom + r.plan.interval } : undefined);

/** Thrown inside a catalogue update when the record moved on since it was read: nothing is written. */
class Stale extends Error {}

/**
 * Moves the rollouts on: every tick, for each function rolling out, this router renews (or
 * tries to take) the function's lease; the holder judges each window once it has ended and
 * writes the verdict and the traffic step in one catalogue update, which checks that the record
 * is still the one judged and that no newer lease holder wrote since (fencing). So exactly one
 * router drives a rollout, another takes over within a lease's life when it dies, and no step
 * is applied twice.
 */
export class RolloutDriver {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private readonly held = new Set<string>();

  constructor(private readonly opts: RolloutDriverOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 1_000);
    this.timer.unref();
  }

  /** One pass over the rollouts (one at a time). */
  tick(now = Date.now()): Promise<void> {
    this.running ??= this.pass(now)
      .catch((err) => this.opts.log.warn('rollout check failed; trying again at the next tick', { err }))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(now: number): Promise<void> {
    const progressing = this.opts.functions().filter((f) => f.rollout?.state === 'progressing');
    const names = new Set(progressing.map((f) => f.name));
    // Leases of rollouts that ended or paused go back at once: the next one starts with no wait.
    for (const fn of [...this.held]) {
      if (names.has(fn)) continue;
      this.held.delete(fn);
      await this.opts.leases.release(fn).catch(() => undefined);
    }
    for (const f of progressing) {
      const token = await this.opts.leases.acquire(f.name);
      if (!token) {
        this.held.delete(f.name);
        continue;
      }
      this.held.add(f.name);
      const due = dueWindow(f.rollout!, now, this.opts.settleMs ?? 2_500);
      if (due) await this.judge(f, due, token, now);
    }
  }

  private async judge(f: FunctionState, w: { from: number; to: number }, token: number, now: number): Promise<void> {
    const r = f.rollout!;
    const figures = await this.figures(f.name, r, w);
    const window = judgeWindow(r, w.from, w.to, figures.window);
    let before: RolloutRecord | undefined;
    let after: FunctionState | undefined;
    try {
      after = await this.opts.catalog.update(f.name, (cur) => {
        const c = cur?.rollout;
        if (!cur || !c || c.id !== r.id || c.state !== 'progressing' || c.stage !== r.stage || c.windowFrom !== r.windowFrom || c.fence > token) throw new Stale();
        before = c;
        return afterWindow(cur, window, `rollout:${this.opts.routerId}`, token, Date.now(), figures.mark);
      });
    } catch (err) {
      if (err instanceof Stale) return;
      throw err;
    }
    if (after?.rollout && before) this.announce(after, before, window, now);
  }

  private async figures(fn: string, r: RolloutRecord, w: { from: number; to: number }): Promise<{ window: WindowFigures; mark?: ShadowMark }> {
    const calls = await this.opts.calls.window(fn, [r.version, r.stable], w.from, w.to);
    const window: WindowFigures = { candidate: calls.get(r.version)!, stable: calls.get(r.stable)! };
    let mark: ShadowMark | undefined;
    if (stageOf(r).kind === 'shadow') {
      const rep = await this.opts.shadow.report(fn, r.version);
      mark = { samples: rep.samples, agreed: rep.agreed, shadowErrors: rep.shadowErrors };
      const from = r.shadowMark ?? { samples: 0, agreed: 0, shadowErrors: 0 };
      // Counters cleared meanwhile (the function was removed and deployed again) start from zero.
      window.shadow = mark.samples >= from.samples ? { samples: mark.samples - from.samples, agreed: mark.agreed - from.agreed, shadowErrors: mark.shadowErrors - from.shadowErrors } : mark;
    }
    if (this.opts.feedback) {
      const fb = await this.opts.feedback(fn, r.startedAt, w.to).catch(() => undefined);
      const none = { count: 0, score: null };
      if (fb) window.feedback = { candidate: fb.get(r.version) ?? none, stable: fb.get(r.stable) ?? none };
    }
    return { window, ...(mark ? { mark } : {}) };
  }

  /** Audits the window's verdict and what it changed, and alerts on each: the verdict, a step, an ending or a pause. */
  private announce(s: FunctionState, before: RolloutRecord, w: RolloutWindow, now: number): void {
    const r = s.rollout!;
    const base = { actor: 'system', function: s.name, namespace: s.namespace, version: r.version } as const;
    const figures = { stage: w.stage, verdict: w.verdict, calls: w.calls, failed: w.failed, stableCalls: w.stableCalls, reason: w.reason };
    this.opts.audit?.({ ...base, action: 'rollout.verdict', outcome: 'ok', detail: figures });
    const events: RolloutAlert['event'][] = ['verdict'];
    if (r.stage !== before.stage && r.state === 'progressing') events.push('step');
    if (r.state !== before.state) events.push(r.state === 'promoted' ? 'promoted' : r.state === 'rolled-back' ? 'rolled-back' : 'paused');
    for (const event of events) {
      const weight = weightIn(s.traffic, r.version);
      if (event !== 'verdict') this.opts.audit?.({ ...base, action: `rollout.${event}`, outcome: 'ok', detail: { stage: r.stage, weight, stable: r.stable, reason: r.reason ?? w.reason } });
      this.alert({ type: 'autoglm.rollout', event, function: s.name, namespace: s.namespace, version: r.version, stable: r.stable, state: r.state, stage: r.stage, weight, window: w, reason: r.reason ?? w.reason, at: new Date(now).toISOString() });
    }
  }

  private alert(a: RolloutAlert): void {
    const send = this.opts.send;
    if (!send) return;
    void (async () => {
      for (let i = 0; i < 3; i++) {
        try {
          return await send(a);
        } catch (err) {
          if (i === 2) this.opts.log.warn('rollout alert not delivered', { err, function: a.function, event: a.event });
        }
      }
    })();
  }

  /** Stops the checks and gives up this router's leases, so another router takes over at once. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.timer);
      await this.running;
      for (const fn of this.held) await this.opts.leases.release(fn).catch(() => undefined);
      this.held.clear();
    })();
    return this.closed;
  }
}
