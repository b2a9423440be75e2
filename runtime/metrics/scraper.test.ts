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
});
