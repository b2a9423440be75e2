import { hostname } from 'node:os';
import type { DeviceSlot, DriftCounts, GpuReading, WorkerRoster } from '../queue/cluster/index.ts';
import { mergeDrift, type DriftDelta } from './drift-counter.ts';
import type { ConsumerSet } from './consumer-set.ts';
import type { Host } from './function-host.ts';
import { beatEveryMs, type WorkerMessage } from './worker-messages.ts';

/** Options of a {@link WorkerHeartbeat}. */
export interface WorkerHeartbeatOptions {
  /** Where the worker's state goes, for /readyz, `autoglm pool` and placement. */
  roster: WorkerRoster;
  workerId: string;
  slot: DeviceSlot;
  /** Times this slot's worker was replaced before. */
  restarts: number;
  host: Host;
  /** The isolation level function code runs at (for /readyz and `autoglm pool`). */
  isolation: string;
  /** The inference thread, when function code runs on one: how long it has been silent. */
  thread: { unresponsiveMs(): number } | undefined;
  consumers: Pick<ConsumerSet, 'functions' | 'inFlight' | 'longestTimeoutMs'>;
  /** The device's last reading, on a GPU slot. */
  gpu: () => GpuReading | undefined;
  /** How long the worker's loop (and its inference thread) may be silent before the supervisor replaces it. */
  hangLimitMs: number;
  /** Sends a message to the supervisor. */
  toSupervisor: (msg: WorkerMessage) => void;
  /** How often the state goes to Redis [2 s: the roster counts a worker live for 10 s by default]; the pool worker passes a fifth of its roster's `staleMs`. */
  everyMs?: number;
  /** Where the drift counts of live inputs go with each beat [nowhere]. */
  drift?: Pick<DriftCounts, 'add'>;
}

/**
 * A worker's two heartbeats: its state to Redis, and to the supervisor (over IPC) the figures its
 * hang and memory checks need. The second is sent from the main loop, so its absence means the
 * loop is blocked.
 */
export class WorkerHeartbeat {
  private readonly startedAt = Date.now();
  private timers: NodeJS.Timeout[] = [];
  /** The beat written last, so a stop can wait for it: one landing after a leave would list the worker again. */
  private lastBeat: Promise<void> = Promise.resolve();
  /** Drift counts Redis has not taken yet (it was unreachable): sent with the next beat. */
  private driftUnsent: DriftDelta[] = [];

  constructor(private readonly opts: WorkerHeartbeatOptions) {}

  /** Beats now, then on both intervals. */
  async start(): Promise<void> {
    await this.beat().catch(() => undefined);
    this.timers = [
      setInterval(() => this.beat().catch(() => undefined), this.opts.everyMs ?? 2000),
      setInterval(() => this.tellSupervisor(), beatEveryMs(this.opts.hangLimitMs)),
    ];
  }

  /** Writes the worker's state, and the drift counts since the last beat, to Redis now. */
  beat(): Promise<void> {
    const beat = this.writeBeat();
    this.lastBeat = beat.catch(() => undefined);
    return beat;
  }

  private async writeBeat(): Promise<void> {
    await this.sendDrift();
    const { roster, workerId, slot, restarts, host, consumers, gpu } = this.opts;
    const s = host.stats();
    const reading = gpu();
    await roster.beat({
      id: workerId,
      pid: process.pid,
      host: hostname(),
      device: slot.id,
      slot,
      backend: host.backend,
      isolation: this.opts.isolation,
      functions: consumers.functions(),
      models: s.models,
      inFlight: consumers.inFlight(),
      jobsDone: s.jobsDone,
      batches: s.batches,
      restarts,
      rss: process.memoryUsage().rss + (s.sandboxRss ?? 0),
      sandboxDeaths: s.sandboxDeaths,
      tensors: s.tensors,
      ...(reading ? { gpu: reading } : {}),
      functionStats: s.functions,
      startedAt: this.startedAt,
    });
  }

  private async sendDrift(): Promise<void> {
    const { drift, host } = this.opts;
    if (!drift) return;
    const tallies = mergeDrift(this.driftUnsent, host.takeDrift());
    this.driftUnsent = [];
    try {
      await drift.add(tallies);
    } catch {
      // Counted again into the next beat's minute: a window loses nothing for a short outage.
      this.driftUnsent = tallies;
    }
  }

  /** Stops both beats; resolves once the last beat sent has landed (or failed). */
  stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    return this.lastBeat;
  }

  private tellSupervisor(): void {
    const { host, consumers, thread, hangLimitMs } = this.opts;
    const s = host.stats();
    // The inference thread gets at least the longest timeout of the functions it serves: a batch may legitimately run that long.
    const threadLimitMs = Math.max(hangLimitMs, consumers.longestTimeoutMs());
    this.opts.toSupervisor({
      type: 'beat',
      rss: process.memoryUsage().rss + (s.sandboxRss ?? 0),
      backend: host.backend,
      inFlight: consumers.inFlight(),
      batches: s.batches,
      models: s.models.map((m) => m.key),
      threadSilentMs: thread?.unresponsiveMs() ?? 0,
      threadLimitMs,
      loopLimitMs: thread ? hangLimitMs : threadLimitMs,
    });
  }
}
