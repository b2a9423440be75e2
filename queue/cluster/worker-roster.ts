import type { Redis } from 'ioredis';
import { Heartbeats } from './heartbeats.ts';
import { keys } from '../keys.ts';
import type { FunctionStat } from './function-stat.ts';
import type { DeviceSlot } from './placement.ts';

/** A model held in a worker's cache. */
export interface LoadedModel {
  /** `function@version`. */
  key: string;
  /** What it costs the cache budget: its manifest `memory`, or what it holds when that is more. */
  bytes: number;
  /** Bytes of tensors its load allocated, where the worker measures it. */
  measuredBytes?: number;
}

/** A GPU as nvidia-smi last reported it, for a worker pinned to it. */
export interface GpuReading {
  name: string;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  /** Percent; absent when the driver does not say. */
  utilizationPct?: number;
  /** Degrees Celsius; absent when the driver does not say. */
  temperatureC?: number;
  /** When it was read, epoch ms. */
  readAt: number;
}

/** What a pool worker reports about itself with every heartbeat. */
export interface WorkerState {
  id: string;
  pid: number;
  host: string;
  /** Slot id, e.g. `gpu:0` or `cpu:1`. */
  device: string;
  /** The slot in full: kind, name, model memory budget. What deploy-time placement checks against. */
  slot?: DeviceSlot;
  /** TensorFlow.js backend in use: `tensorflow`, `wasm` or `cpu` (`none` before one is chosen). */
  backend: string;
  /** Where its function code runs (`AUTOGLM_ISOLATION` as resolved): `sandbox`, `process` or `thread`. */
  isolation?: string;
  /** Functions whose queues this worker consumes. */
  functions: string[];
  /** Models loaded now, least recently used first. */
  models?: LoadedModel[];
  inFlight: number;
  jobsDone: number;
  /** Handler calls so far: with batching, fewer than jobs. */
  batches?: number;
  /** How many times the supervisor has replaced the worker of this slot. */
  restarts?: number;
  /** Resident memory, bytes: the worker's and its sandbox processes'. */
  rss?: number;
  /** Sandbox processes of this worker that died (crashed, were killed) since it started; absent at isolation `thread`. */
  sandboxDeaths?: number;
  /** Live TensorFlow.js tensors in the worker (flat over a long run, or something leaks). */
  tensors?: number;
  /** A GPU worker's device, read every `AUTOGLM_GPU_POLL`; absent on CPU slots and when nvidia-smi does not answer. */
  gpu?: GpuReading;
  /** Per function version it has run: items, batches, run and queue times. */
  functionStats?: FunctionStat[];
  startedAt: number;
  /** Set by the roster when read: last heartbeat, epoch ms. */
  seenAt?: number;
}

/**
 * Worker liveness in Redis (see {@link Heartbeats}): a worker counts as live while its heartbeat
 * is younger than `staleMs` (default 10 s), so a killed worker drops out without anyone cleaning up.
 */
export class WorkerRoster extends Heartbeats<WorkerState> {
  constructor(redis: Redis, prefix: string, staleMs = 10_000) {
    super(redis, keys.workers(prefix), (id) => keys.worker(prefix, id), staleMs);
  }

  /**
   * The device slot of each live worker, with its host and worker id, for deploy-time placement:
   * `placeFunction(manifest, await roster.inventory())`. One entry per worker: two pools on one
   * host both have a `cpu:0`, with different namespaces.
   */
  async inventory(): Promise<(DeviceSlot & { host: string; worker: string })[]> {
    return (await this.live()).flatMap((w) => (w.slot ? [{ ...w.slot, host: w.host, worker: w.id }] : []));
  }
}
