import { withTimeout, type DriftCounts, type FeedbackStore, type FunctionState, type ResultCache, type WorkerState } from '../../queue/cluster/index.ts';
import { driftFamilies } from './drift-metrics.ts';
import { feedbackFamilies } from './feedback-metrics.ts';
import { resultCacheFamilies } from './result-cache-metrics.ts';
import { type QueueCounts } from '../../queue/jobs/index.ts';
import { formatExposition, type MetricFamily } from './exposition.ts';
import { gauge } from './instruments.ts';
import { catalogFamilies, queueFamilies, workerFamilies } from './platform-metrics.ts';
import { ProcessMetrics } from './process-metrics.ts';
import type { RouterMetrics } from './router-metrics.ts';

/** What a scrape reads; each part comes in so tests can hand in their own. */
export interface ScraperOptions {
  /** This router's request counters. */
  router: RouterMetrics;
  /** Names of the deployed functions, whose queues are counted. */
  functionNames: () => readonly string[];
  /** Job counts per function queue (`QueueStats`); absent: no queue series. */
  queues?: { counts(functions: readonly string[]): Promise<ReadonlyMap<string, QueueCounts>> };
  /** The live workers' heartbeats (`WorkerRoster`). */
  workers: { live(): Promise<WorkerState[]> };
  /** Live inputs' drift counts; with `catalog`, PSI per feature of each serving version that watches drift. */
  drift?: Pick<DriftCounts, 'window'>;
  /** Feedback on outputs; absent: no feedback series. */
  feedback?: Pick<FeedbackStore, 'totalsOf'>;
  /** The result cache; with `catalog`, the entries of each function that declares `cache`; absent: no such series. */
  resultCache?: Pick<ResultCache, 'entries'>;
  /** The router's copy of the catalogue; absent: no per-version series. */
  catalog?: () => readonly FunctionState[];
  /** The audit log's last verification (`AuditLog.lastVerification`); absent: no audit series. */
  audit?: () => { ok: boolean; at: number } | undefined;
  /** Longest wait for Redis before a part is left out of the answer. Default 2000 ms. */
  redisTimeoutMs?: number;
}

/**
 * Assembles one scrape: the router's own counters and process figures, plus what Redis holds
 * (queue counts, worker heartbeats). A Redis part that fails or is slow is left out and
 * `autoglm_metrics_collector_success{collector}` says so, so the router's own series still come.
 */
export class Scraper {
  private readonly process = new ProcessMetrics();
  private readonly timeoutMs: number;

  constructor(private readonly opts: ScraperOptions) {
    this.timeoutMs = opts.redisTimeoutMs ?? 2000;
  }

  /** The whole answer, in the text exposition format. */
  async scrape(): Promise<string> {
    const { queues, workers, functionNames, drift, catalog, feedback, resultCache } = this.opts;
    const parts: [collector: string, read: () => Promise<MetricFamily[]>][] = [['workers', () => workers.live().then(workerFamilies)]];
    if (queues) parts.push(['queues', () => queues.counts(functionNames()).then(queueFamilies)]);
    if (drift && catalog) parts.push(['drift', () => driftFamilies(catalog(), drift)]);
    if (feedback) parts.push(['feedback', () => feedbackFamilies(functionNames(), feedback)]);
    if (resultCache && catalog) parts.push(['result-cache', () => resultCacheFamilies(catalog(), resultCache)]);
    const settled = await Promise.allSettled(parts.map(([, read]) => withTimeout(read(), this.timeoutMs)));
    const fromRedis = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
    const success = gauge(
      'autoglm_metrics_collector_success',
      'Whether this scrape could read a part held in Redis (1) or left it out (0).',
      parts.map(([collector], i) => [{ collector }, settled[i]!.status === 'fulfilled' ? 1 : 0]),
    );
    const versions = catalog ? catalogFamilies(catalog()) : [];
    return formatExposition([...this.opts.router.collect(), ...versions, ...this.auditFamilies(), ...fromRedis, success, ...(await this.process.collect())]);
  }

  /** Whether the audit log last verified intact, and when: no series before the first verification. */
  private auditFamilies(): MetricFamily[] {
    const v = this.opts.audit?.();
    if (!v) return [];
    return [
      gauge('autoglm_audit_verify_ok', 'Whether the last verification of the audit log (scheduled by AUTOGLM_AUDIT_VERIFY_INTERVAL, or asked for) found every chain intact (1) or not (0).', [[{}, v.ok ? 1 : 0]]),
      gauge('autoglm_audit_verify_timestamp_seconds', 'When the audit log was last verified, Unix seconds.', [[{}, Math.floor(v.at / 1000)]]),
    ];
  }
}
