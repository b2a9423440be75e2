import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import type { MetricFamily } from './exposition.ts';
import { gauge } from './instruments.ts';

// One monitor per process, like the figures it measures; its timer is unref'd (keeps no process alive).
let loopDelay: IntervalHistogram | undefined;
const RESOLUTION_MS = 10;

/** Starts sampling event-loop delay once per process; later calls reuse it. */
function sharedLoopDelay(): IntervalHistogram {
  if (!loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    loopDelay.enable();
  }
  return loopDelay;
}

/** How late a `setImmediate` callback runs now, seconds: the event loop's current backlog. */
function measureLag(): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => setImmediate(() => resolve(Number(process.hrtime.bigint() - start) / 1e9)));
}

/**
 * The router process's own figures, under the names Prometheus' client libraries use:
 * memory, CPU, start time, heap, and event-loop delay (now, and p50/p99/max since the last scrape).
 */
export class ProcessMetrics {
  private readonly delay = sharedLoopDelay();

  async collect(): Promise<MetricFamily[]> {
    const lag = await measureLag();
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const d = this.delay;
    // The monitor records whole timer intervals (an idle loop gives ~10.1 ms): keep only the delay beyond one.
    const seconds = (ns: number) => (Number.isFinite(ns) && d.count > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) / 1000 : 0);
    const delays: [string, string, number][] = [
      ['nodejs_eventloop_lag_p50_seconds', 'Median event-loop delay since the last scrape, seconds.', seconds(d.percentile(50))],
      ['nodejs_eventloop_lag_p99_seconds', '99th percentile event-loop delay since the last scrape, seconds.', seconds(d.percentile(99))],
      ['nodejs_eventloop_lag_max_seconds', 'Largest event-loop delay since the last scrape, seconds.', seconds(d.max)],
    ];
    // Per scrape, not since start: a spike an hour ago should not hide today's p99.
    d.reset();
    return [
      gauge('process_resident_memory_bytes', 'Resident memory size, bytes.', [[{}, mem.rss]]),
      { name: 'process_cpu_seconds_total', help: 'User and system CPU time spent, seconds.', type: 'counter', samples: [{ labels: {}, value: (cpu.user + cpu.system) / 1e6 }] },
      gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, seconds.', [[{}, Math.round(performance.timeOrigin) / 1000]]),
      gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, bytes.', [[{}, mem.heapUsed]]),
      gauge('nodejs_eventloop_lag_seconds', 'How late a callback queued at scrape time ran, seconds.', [[{}, lag]]),
      ...delays.map(([name, help, v]) => gauge(name, help, [[{}, v]])),
    ];
  }
}
