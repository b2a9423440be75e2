import type { Redis } from 'ioredis';
import type { Logger } from '../../functions/sdk/index.ts';
import { keys } from '../../queue/keys.ts';
import { recordOf, servingVersions, type DriftCounts, type FunctionState } from '../../queue/cluster/index.ts';
import type { AuditEvent } from '../audit/index.ts';
import { driftReport, type FeatureDrift } from './drift-report.ts';

/** What an alert says: a feature entered `drift`, or left it. */
export interface DriftAlert {
  type: 'autoglm.drift';
  status: 'drift' | 'recovered';
  function: string;
  version: string;
  namespace: string;
  feature: string;
  psi: number;
  threshold: number;
  count: number;
  windowMs: number;
  at: string;
}

/** Options of a {@link DriftWatch}. */
export interface DriftWatchOptions {
  redis: Redis;
  prefix: string;
  counts: Pick<DriftCounts, 'window'>;
  /** The router's copy of the catalogue. */
  functions: () => readonly FunctionState[];
  /** Delivers an alert (signed with its namespace's webhook key, to `AUTOGLM_ALERT_URL`); rejects when it was not accepted. */
  send?: (alert: DriftAlert) => Promise<void>;
  audit?: (event: AuditEvent) => void;
  log: Logger;
  /** How often every serving version is checked [30 s]. */
  everyMs?: number;
}

/** Tries per alert before it is given up (logged): the receiver is the operator's, usually up. */
const SEND_TRIES = 3;

/**
 * Watches the serving versions that declare `drift`: every `everyMs` each feature's verdict is
 * compared with what was last announced (in Redis, shared by the routers), and an entry into
 * `drift`, or a way out of it (back to `ok` or `warn`), is announced once: whichever router
 * moves the shared state first sends it, and audits it.
 */
export class DriftWatch {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: DriftWatchOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.opts.everyMs ?? 30_000);
    this.timer.unref();
  }

  /** Checks every serving version now (one check at a time). */
  check(now = Date.now()): Promise<void> {
    this.running ??= this.checkAll(now)
      .catch((err: unknown) => this.opts.log.warn('drift check failed; trying again at the next', { err }))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async checkAll(now: number): Promise<void> {
    for (const s of this.opts.functions()) {
      for (const version of servingVersions(s.traffic)) {
        const rec = recordOf(s, version);
        const report = rec && (await driftReport(rec, this.opts.counts, now));
        if (!report) continue;
        for (const f of report.features) await this.settle(s, version, f, report.thresholds.drift, report.windowMs, now);
      }
    }
  }

  /** Moves a feature's announced state to its verdict; announces the move when this router made it. */
  private async settle(s: FunctionState, version: string, f: FeatureDrift, threshold: number, windowMs: number, now: number): Promise<void> {
    if (f.status === 'insufficient') return;
    const key = keys.driftAlerted(this.opts.prefix);
    const field = `${s.name}@${version}:${f.name}`;
    const moved = f.status === 'drift' ? await this.opts.redis.hsetnx(key, field, 'drift') : await this.opts.redis.hdel(key, field);
    if (moved !== 1) return;
    const alert: DriftAlert = {
      type: 'autoglm.drift',
      status: f.status === 'drift' ? 'drift' : 'recovered',
      function: s.name,
      version,
      namespace: s.namespace,
      feature: f.name,
      psi: f.psi,
      threshold,
      count: f.count,
      windowMs,
      at: new Date(now).toISOString(),
    };
    this.opts.log.warn(alert.status === 'drift' ? 'a feature of live inputs drifted from the training data' : 'a drifted feature is back', { ...alert });
    this.opts.audit?.({ actor: 'system', roles: [], action: 'drift.alert', namespace: s.namespace, function: s.name, version, outcome: 'ok', detail: { feature: f.name, status: alert.status, psi: f.psi } });
    await this.deliver(alert);
  }

  private async deliver(alert: DriftAlert): Promise<void> {
    const { send } = this.opts;
    if (!send) return;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(alert);
      } catch (err) {
        if (attempt >= SEND_TRIES) {
          this.opts.log.error('a drift alert could not be delivered', { err, function: alert.function, feature: alert.feature, status: alert.status });
          return;
        }
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }
}
