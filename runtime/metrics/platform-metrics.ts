import { BATCH_SIZE_BOUNDS, SECONDS_BOUNDS, servingVersions, type BucketCounts, type FunctionStat, type FunctionState, type WorkerState } from '../../queue/cluster/index.ts';
import { QUEUE_STATES, type QueueCounts } from '../../queue/jobs/index.ts';
import type { Labels, MetricFamily, Sample } from './exposition.ts';
import { gauge, histogramSamples } from './instruments.ts';

/** `autoglm_queue_jobs{function,state}`: one series per function and job state. */
export function queueFamilies(counts: ReadonlyMap<string, QueueCounts>): MetricFamily[] {
  const rows: [Labels, number][] = [];
  for (const [fn, c] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    for (const state of QUEUE_STATES) rows.push([{ function: fn, state }, c[state]]);
  }
  return [gauge('autoglm_queue_jobs', 'Jobs in each function queue by state (waiting includes prioritized), read from Redis at scrape time.', rows)];
}

/**
 * What the catalogue says of each serving version (routes with weight, or a shadow): its
 * timeout, so an alert can compare latency with it, and its share of the calls, so a dashboard
 * shows a canary. Read from the router's copy of the catalogue: no Redis round trip.
 */
export function catalogFamilies(states: readonly FunctionState[]): MetricFamily[] {
  const timeouts: [Labels, number][] = [];
  const weights: [Labels, number][] = [];
  for (const s of [...states].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const version of [...servingVersions(s.traffic)].sort()) {
      const v = s.versions[version];
      if (!v) continue;
      const labels = { function: s.name, version, namespace: s.namespace };
      timeouts.push([labels, v.manifest.timeout / 1000]);
      weights.push([labels, (s.traffic.routes.find((r) => r.version === version)?.weight ?? 0) / 100]);
    }
  }
  return [
    gauge('autoglm_function_timeout_seconds', "A serving version's timeout (manifest `timeout`), seconds.", timeouts),
    gauge('autoglm_function_traffic_share', "Share of a function's calls routed to a version, 0 to 1 (a shadow's copies are not counted).", weights),
    ...rolloutFamilies(states),
  ];
}

const ROLLOUT_STATES = ['progressing', 'paused', 'promoted', 'rolled-back', 'aborted'] as const;

/**
 * Each function's latest rollout, from the catalogue copy: its state (one series per state, 1 for
 * the one it is in, as kube-state-metrics shows phases), the step in force and the windows that
 * failed, so an alert fires on a rollback or a rollout paused for want of calls.
 */
function rolloutFamilies(states: readonly FunctionState[]): MetricFamily[] {
  const state: [Labels, number][] = [];
  const step: [Labels, number][] = [];
  const failed: [Labels, number][] = [];
  for (const s of [...states].sort((a, b) => a.name.localeCompare(b.name))) {
    const r = s.rollout;
    if (!r) continue;
    const labels = { function: s.name, namespace: s.namespace, version: r.version, stable: r.stable };
    for (const st of ROLLOUT_STATES) state.push([{ ...labels, state: st }, r.state === st ? 1 : 0]);
    step.push([labels, r.stage]);
    failed.push([labels, r.failures]);
  }
  return [
    gauge('autoglm_rollout_state', "A function's latest rollout: 1 for the state it is in (progressing, paused, promoted, rolled-back, aborted), 0 for the others.", state),
    gauge('autoglm_rollout_step', 'Index of the rollout step in force (0: the first step; the last: promotion).', step),
    gauge('autoglm_rollout_failed_windows', "Analysis windows of the rollout that failed a gate; `failureLimit` of them roll it back.", failed),
  ];
}

/** Per-worker figures from the heartbeats; a field a worker does not report gives no series. */
const WORKER_SERIES: readonly { name: string; help: string; type: 'gauge' | 'counter'; value: (w: WorkerState) => number | undefined }[] = [
  { name: 'autoglm_worker_up', help: 'A live pool worker (heartbeat within 10 s); always 1.', type: 'gauge', value: () => 1 },
  { name: 'autoglm_worker_inflight', help: 'Jobs the worker is running now.', type: 'gauge', value: (w) => w.inFlight },
  { name: 'autoglm_worker_jobs_done_total', help: 'Invocations the worker process has finished since it started: a job once, a job with items (grouped calls, a bulk job) once per item.', type: 'counter', value: (w) => w.jobsDone },
  { name: 'autoglm_worker_batches_total', help: 'Handler calls (batches) the worker process has made since it started.', type: 'counter', value: (w) => w.batches },
  { name: 'autoglm_worker_rss_bytes', help: 'Resident memory of the worker process, bytes.', type: 'gauge', value: (w) => w.rss },
  { name: 'autoglm_worker_tensors', help: 'Live TensorFlow.js tensors in the worker.', type: 'gauge', value: (w) => w.tensors },
  { name: 'autoglm_worker_models_loaded', help: "Models in the worker's cache.", type: 'gauge', value: (w) => w.models?.length },
  { name: 'autoglm_worker_sandbox_deaths_total', help: 'Sandbox processes of the worker that died (crashed or were killed) since it started; none at isolation thread.', type: 'counter', value: (w) => w.sandboxDeaths },
  { name: 'autoglm_worker_restarts', help: "Times the supervisor has replaced this device slot's worker.", type: 'gauge', value: (w) => w.restarts },
  // A GPU worker's device as nvidia-smi last read it (every AUTOGLM_GPU_POLL); none for CPU slots.
  { name: 'autoglm_gpu_memory_total_bytes', help: "Memory of the worker's GPU, bytes.", type: 'gauge', value: (w) => w.gpu?.memoryTotalBytes },
  { name: 'autoglm_gpu_memory_used_bytes', help: "Memory in use on the worker's GPU (by every process on it), bytes.", type: 'gauge', value: (w) => w.gpu?.memoryUsedBytes },
  { name: 'autoglm_gpu_utilization_ratio', help: "Share of the last sample period the worker's GPU was busy, 0 to 1.", type: 'gauge', value: (w) => (w.gpu?.utilizationPct === undefined ? undefined : w.gpu.utilizationPct / 100) },
  { name: 'autoglm_gpu_temperature_celsius', help: "Temperature of the worker's GPU, degrees Celsius.", type: 'gauge', value: (w) => w.gpu?.temperatureC },
];

/**
 * Worker series from the live workers' last heartbeats, each labelled `worker` (its id),
 * `device` (its slot) and `backend` (the TensorFlow.js backend it chose).
 */
export function workerFamilies(workers: readonly WorkerState[]): MetricFamily[] {
  const sorted = [...workers].sort((a, b) => a.id.localeCompare(b.id));
  const perWorker: MetricFamily[] = WORKER_SERIES.map(({ name, help, type, value }) => ({
    name,
    help,
    type,
    samples: sorted.flatMap((w) => {
      const v = value(w);
      return typeof v === 'number' ? [{ labels: workerLabels(w), value: v }] : [];
    }),
  }));
  return [...perWorker, ...functionFamilies(sorted)];
}

const workerLabels = (w: WorkerState): Labels => ({ worker: w.id, device: w.device, backend: w.backend });

/** Per function version and worker, as Triton reports per model: what to tune batching by. */
const FUNCTION_HISTOGRAMS: readonly { name: string; help: string; bounds: readonly number[]; of: (s: FunctionStat) => BucketCounts }[] = [
  { name: 'autoglm_function_batch_size', help: 'Items per handler call (its _count is the number of calls, batches).', bounds: BATCH_SIZE_BOUNDS, of: (s) => s.batchSize },
  { name: 'autoglm_function_run_seconds', help: 'Length of each handler call, seconds.', bounds: SECONDS_BOUNDS, of: (s) => s.runSeconds },
  { name: 'autoglm_function_queue_seconds', help: 'Per item, from its job\'s submission to the start of its handler call (queue, then batcher), seconds.', bounds: SECONDS_BOUNDS, of: (s) => s.queueSeconds },
];

function functionFamilies(workers: readonly WorkerState[]): MetricFamily[] {
  const rows = workers.flatMap((w) => (w.functionStats ?? []).map((s) => ({ s, labels: { function: s.function, version: s.version, ...workerLabels(w) } })));
  const items: Sample[] = rows.flatMap(({ s, labels }) => [
    { labels: { ...labels, outcome: 'ok' }, value: s.ok },
    { labels: { ...labels, outcome: 'error' }, value: s.failed },
  ]);
  return [
    { name: 'autoglm_function_items_total', help: 'Items (invocations, or a bulk job\'s inputs) a worker ran to an outcome, by version and outcome (ok, error).', type: 'counter', samples: items },
    ...FUNCTION_HISTOGRAMS.map(({ name, help, bounds, of }): MetricFamily => ({ name, help, type: 'histogram', samples: rows.flatMap(({ s, labels }) => histogramSamples(labels, bounds, of(s))) })),
  ];
}
