import { describe, expect, it } from 'vitest';
import type { WorkerState } from '../../queue/cluster/index.ts';
import { findSamples, parseExposition, sampleValue } from '../../test/harness/exposition.ts';
import { RouterMetrics } from './router-metrics.ts';
import { Scraper } from './scraper.ts';

const worker = (id: string, extra: Partial<WorkerState> = {}): WorkerState => ({
  id,
  pid: 1,
  host: 'h',
  device: 'cpu:0',
  backend: 'wasm',
  functions: ['echo'],
  inFlight: 2,
  jobsDone: 7,
  startedAt: 0,
  ...extra,
});

const counts = { waiting: 3, active: 1, delayed: 0, failed: 2, completed: 9 };

describe('Scraper', () => {
  it('labels every worker series with worker, device and backend, and leaves out what a worker does not report', async () => {
    const router = new RouterMetrics();
    router.record({ method: 'GET', route: '/healthz', status: 200, seconds: 0.001 });
    const scraper = new Scraper({
      router,
      functionNames: () => ['echo'],
      workers: { live: async () => [worker('h-1', { rss: 1000, tensors: 4, batches: 5, restarts: 1, models: [{ key: 'echo@a', bytes: 1 }] }), worker('h-2', { device: 'gpu:0', backend: 'tensorflow' })] },
      queues: { counts: async (fns) => new Map(fns.map((f) => [f, counts])) },
    });
    const p = parseExposition(await scraper.scrape());
    expect(sampleValue(p, 'autoglm_worker_up', { worker: 'h-2', device: 'gpu:0', backend: 'tensorflow' })).toBe(1);
    expect(sampleValue(p, 'autoglm_worker_rss_bytes', { worker: 'h-1', device: 'cpu:0', backend: 'wasm' })).toBe(1000);
    expect(sampleValue(p, 'autoglm_worker_models_loaded', { worker: 'h-1', device: 'cpu:0', backend: 'wasm' })).toBe(1);
    expect(findSamples(p, 'autoglm_worker_rss_bytes')).toHaveLength(1);
    for (const s of p.samples.filter((x) => x.name.startsWith('autoglm_worker_'))) expect(Object.keys(s.labels).sort()).toEqual(['backend', 'device', 'worker']);
    expect(p.types.get('autoglm_worker_jobs_done_total')).toBe('counter');
    for (const [state, n] of Object.entries(counts)) expect(sampleValue(p, 'autoglm_queue_jobs', { function: 'echo', state })).toBe(n);
    expect(sampleValue(p, 'autoglm_http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBe(1);
    expect(sampleValue(p, 'autoglm_metrics_collector_success', { collector: 'queues' })).toBe(1);
    expect(sampleValue(p, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(p.types.get('process_cpu_seconds_total')).toBe('counter');
  });

  it('answers without the Redis parts when they fail or hang, and says which', async () => {
    const scraper = new Scraper({
      router: new RouterMetrics(),
      functionNames: () => ['echo'],
      workers: { live: () => Promise.reject(new Error('redis down')) },
      queues: { counts: () => new Promise(() => undefined) },
      redisTimeoutMs: 50,
    });
    const p = parseExposition(await scraper.scrape());
    expect(sampleValue(p, 'autoglm_metrics_collector_success', { collector: 'workers' })).toBe(0);
    expect(sampleValue(p, 'autoglm_metrics_collector_success', { collector: 'queues' })).toBe(0);
    expect(p.types.has('autoglm_queue_jobs')).toBe(false);
    expect(p.types.has('autoglm_http_requests_total')).toBe(true);
    expect(sampleValue(p, 'process_start_time_seconds')).toBeGreaterThan(Date.now() / 1000 - process.uptime() - 5);
  });

  it('gives each serving version its timeout and traffic share from the catalogue, and the last audit verification', async () => {
    const manifest = (timeout: number) => ({ timeout }) as never;
    const v = (version: string, timeout: number) => ({ version, hash: version, manifest: manifest(timeout), size: 1, createdAt: 0, createdBy: 'a' });
    const traffic = { stable: 'a1', routes: [{ version: 'a1', weight: 90 }, { version: 'b2', weight: 10 }], shadow: { version: 'c3', percent: 5 }, history: [], updatedAt: 0, updatedBy: 'a' };
    let verified: { ok: boolean; at: number } | undefined;
    const scraper = new Scraper({
      router: new RouterMetrics(),
      functionNames: () => [],
      workers: { live: async () => [] },
      catalog: () => [{ name: 'risk', namespace: 'bank', createdAt: 0, traffic, versions: { a1: v('a1', 30_000), b2: v('b2', 2_000), c3: v('c3', 5_000), old: v('old', 1_000) } }],
      audit: () => verified,
    });
    let p = parseExposition(await scraper.scrape());
    expect(sampleValue(p, 'autoglm_function_timeout_seconds', { function: 'risk', version: 'b2', namespace: 'bank' })).toBe(2);
    expect(sampleValue(p, 'autoglm_function_traffic_share', { function: 'risk', version: 'a1', namespace: 'bank' })).toBe(0.9);
    expect(sampleValue(p, 'autoglm_function_traffic_share', { function: 'risk', version: 'c3', namespace: 'bank' })).toBe(0);
    expect(findSamples(p, 'autoglm_function_timeout_seconds').map((s) => s.labels.version)).toEqual(['a1', 'b2', 'c3']);
    expect(p.types.has('autoglm_audit_verify_ok')).toBe(false);
    verified = { ok: false, at: 1_700_000_000_500 };
    p = parseExposition(await scraper.scrape());
    expect(sampleValue(p, 'autoglm_audit_verify_ok')).toBe(0);
    expect(sampleValue(p, 'autoglm_audit_verify_timestamp_seconds')).toBe(1_700_000_000);
  });
});
