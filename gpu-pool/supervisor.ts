import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../functions/sdk/index.ts';
import type { DeviceSlot } from '../queue/cluster/index.ts';
import type { WorkerMessage } from './worker-messages.ts';

/** Node flags that let a child run TypeScript as is: tsx's loader, by absolute URL so any cwd works. */
export const TS_EXEC_ARGV = ['--import', import.meta.resolve('tsx')];

/** Options of a {@link Supervisor}; defaults in brackets. */
export interface SupervisorOptions {
  /** One worker process per slot. */
  slots: DeviceSlot[];
  /** Module each worker runs. */
  script: string;
  /**
   * Environment of the workers. Each also gets `AUTOGLM_WORKER_SLOT`, `AUTOGLM_WORKER_DEVICE`
   * (the slot as JSON), `AUTOGLM_WORKER_RESTARTS`, and `CUDA_VISIBLE_DEVICES`: its GPU's index,
   * or empty on CPU slots so a CPU worker never takes GPU memory.
   */
  env: Record<string, string | undefined>;
  /** Node flags for workers [{@link TS_EXEC_ARGV}]. */
  execArgv?: string[];
  /** How long a draining worker may take before it is killed [30 s]. */
  graceMs?: number;
  /** First restart delay after a crash; doubles per crash in a row, capped by `maxBackoffMs` [250 ms]. */
  backoffMs?: number;
  /** [15 s] */
  maxBackoffMs?: number;
  /** A worker that stays up this long resets its backoff [30 s]. */
  stableMs?: number;
  /**
   * A ready worker that sends no heartbeat for this long (or for the longer limit it reports:
   * handlers running inline may block it for their timeout) is hung: killed and replaced [60 s].
   */
  hangLimitMs?: number;
  /** A worker not ready this long after it was started is killed and replaced [120 s]. */
  startTimeoutMs?: number;
  /** Resident memory above which a slot's worker is drained and replaced; 0 = no limit [none]. */
  maxRssBytes?: (slot: DeviceSlot) => number;
  /** How often workers are checked [500 ms]. */
  checkEveryMs?: number;
  log: Logger;
}

/** What {@link Supervisor.health} reports. */
export interface PoolHealth {
  /** Workers running and heartbeating. */
  live: number;
  /** Why slots are not live (and `no live worker` first when none is). */
  reasons: string[];
  slots: SlotState[];
}

/** Why a worker was replaced. */
export type RestartReason = 'exited' | 'hung' | 'memory' | 'start-timeout';

/** What the supervisor knows about one slot. */
export interface SlotState {
  slot: number;
  device: DeviceSlot;
  pid: number | undefined;
  restarts: number;
  state: 'starting' | 'running' | 'draining' | 'backoff' | 'stopped';
  lastRestart: RestartReason | undefined;
  /** When the last replacement began, epoch ms. */
  lastRestartAt: number | undefined;
  /** From the worker's latest heartbeat. */
  backend: string | undefined;
  rss: number | undefined;
  inFlight: number | undefined;
  batches: number | undefined;
  models: string[];
}

interface Slot extends SlotState {
  child: ChildProcess | undefined;
  startedAt: number;
  lastBeatAt: number;
  /** Silence the worker says its main loop may legitimately have (handlers run there inline). */
  loopLimitMs: number;
  crashesInRow: number;
  timer: NodeJS.Timeout | undefined;
  /** Set when the supervisor ends the worker on purpose, so the exit is accounted to it. */
  ending: RestartReason | undefined;
}

/**
 * Keeps one worker process per device slot alive: forks them (GPU workers pinned with
 * `CUDA_VISIBLE_DEVICES`), restarts one that dies (with exponential backoff so a crash loop does
 * not spin), kills and replaces one whose heartbeats stop (event loop blocked) or whose inference
 * thread stops answering past its limit, drains and replaces one over its memory limit, and on
 * `close()` asks each to drain (SIGTERM), killing any that outlive the grace period. A worker
 * killed mid-job loses nothing: its job's lock expires and BullMQ hands the job to another.
 */
export class Supervisor {
  private readonly slots: Slot[] = [];
  private closing: Promise<void> | undefined;
  private checker: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SupervisorOptions) {}

  start(): void {
    this.opts.slots.forEach((device, i) => {
      const slot: Slot = {
        slot: i,
        device,
        pid: undefined,
        restarts: 0,
        state: 'starting',
        lastRestart: undefined,
        lastRestartAt: undefined,
        backend: undefined,
        rss: undefined,
        inFlight: undefined,
        batches: undefined,
        models: [],
        child: undefined,
        startedAt: 0,
        lastBeatAt: 0,
        loopLimitMs: 0,
        crashesInRow: 0,
        timer: undefined,
        ending: undefined,
      };
      this.slots.push(slot);
      this.spawn(slot);
    });
    this.checker = setInterval(() => this.check(), this.opts.checkEveryMs ?? 500);
  }

  /** Per-slot state: the pool publishes it to Redis (workers publish their own figures themselves). */
  state(): SlotState[] {
    return this.slots.map(({ slot, device, pid, restarts, state, lastRestart, lastRestartAt, backend, rss, inFlight, batches, models }) => ({
      slot,
      device,
      pid,
      restarts,
      state,
      lastRestart,
      lastRestartAt,
      backend,
      rss,
      inFlight,
      batches,
      models,
    }));
  }

  /**
   * Whether the pool can serve: live workers (running, and heard from within the silence the
   * supervisor itself tolerates before it replaces one as hung), and why each other slot is not.
   */
  health(now = Date.now()): PoolHealth {
    const reasons: string[] = [];
    let live = 0;
    for (const s of this.slots) {
      const name = `slot ${s.slot} (${s.device.id})`;
      const silentMs = now - s.lastBeatAt;
      const after = s.lastRestart ? `, last replaced: ${s.lastRestart}, ${s.restarts} restarts` : '';
      if (this.closing) reasons.push(`${name}: the pool is stopping`);
      else if (s.state === 'running' && silentMs <= Math.max(this.opts.hangLimitMs ?? 60_000, s.loopLimitMs)) live++;
      else if (s.state === 'running') reasons.push(`${name}: no heartbeat for ${silentMs} ms`);
      else if (s.state === 'backoff') reasons.push(`${name}: worker exited, restarting after a delay${after}`);
      else reasons.push(`${name}: worker ${s.state}${after}`);
    }
    if (live === 0) reasons.unshift('no live worker');
    return { live, reasons, slots: this.state() };
  }

  /** Drains every worker. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.checker);
      await Promise.all(this.slots.map((s) => this.stop(s)));
    })();
    return this.closing;
  }

  private spawn(slot: Slot): void {
    const d = slot.device;
    const child = fork(this.opts.script, [], {
      execArgv: this.opts.execArgv ?? TS_EXEC_ARGV,
      env: {
        ...this.opts.env,
        AUTOGLM_WORKER_SLOT: String(slot.slot),
        AUTOGLM_WORKER_DEVICE: JSON.stringify(d),
        AUTOGLM_WORKER_RESTARTS: String(slot.restarts),
        CUDA_VISIBLE_DEVICES: d.kind === 'gpu' ? String(d.index) : '',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    Object.assign(slot, { child, pid: child.pid, startedAt: Date.now(), lastBeatAt: Date.now(), loopLimitMs: 0, state: 'starting', ending: undefined });
    child.on('message', (m: WorkerMessage) => this.onMessage(slot, m));
    // An IPC write to a worker that just died must not crash the supervisor.
    child.on('error', () => undefined);
    child.on('exit', (code, signal) => this.onExit(slot, child, code, signal));
  }

  private onMessage(slot: Slot, m: WorkerMessage): void {
    if (m?.type === 'ready') {
      slot.state = 'running';
      slot.backend = m.backend;
      slot.lastBeatAt = Date.now();
    } else if (m?.type === 'beat') {
      slot.lastBeatAt = Date.now();
      Object.assign(slot, { rss: m.rss, inFlight: m.inFlight, batches: m.batches, models: m.models, backend: m.backend, loopLimitMs: m.loopLimitMs ?? 0 });
      if (slot.state === 'running' && m.threadSilentMs > m.threadLimitMs) {
        this.end(slot, 'hung', `its inference thread has not answered for ${m.threadSilentMs} ms (limit ${m.threadLimitMs} ms)`);
      }
    }
  }

  private check(): void {
    const now = Date.now();
    for (const slot of this.slots) {
      if (!slot.child || slot.ending) continue;
      if (slot.state === 'starting' && now - slot.startedAt > (this.opts.startTimeoutMs ?? 120_000)) {
        this.end(slot, 'start-timeout', `not ready ${now - slot.startedAt} ms after start`);
      } else if (slot.state === 'running' && now - slot.lastBeatAt > Math.max(this.opts.hangLimitMs ?? 60_000, slot.loopLimitMs)) {
        this.end(slot, 'hung', `no heartbeat for ${now - slot.lastBeatAt} ms: its event loop is blocked`);
      } else if (slot.state === 'running' && slot.rss !== undefined) {
        const limit = this.opts.maxRssBytes?.(slot.device) ?? 0;
        if (limit > 0 && slot.rss > limit) this.end(slot, 'memory', `resident memory ${slot.rss} bytes is over its limit of ${limit}`);
      }
    }
  }

  /** Ends a worker on purpose: hung ones are killed, one over its memory limit drains first. */
  private end(slot: Slot, reason: RestartReason, why: string): void {
    const child = slot.child;
    if (!child || slot.ending) return;
    slot.ending = reason;
    this.opts.log.warn('replacing worker', { slot: slot.slot, device: slot.device.id, pid: child.pid, reason, why });
    if (reason === 'memory') {
      slot.state = 'draining';
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), (this.opts.graceMs ?? 30_000) + 2000);
      child.once('exit', () => clearTimeout(kill));
    } else {
      child.kill('SIGKILL');
    }
  }

  private onExit(slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.child !== child) return;
    slot.child = undefined;
    if (this.closing) {
      slot.state = 'stopped';
      return;
    }
    const reason = slot.ending ?? 'exited';
    const upMs = Date.now() - slot.startedAt;
    // A drain for memory is planned, not a crash: the replacement starts at once.
    if (reason !== 'memory') slot.crashesInRow = upMs > (this.opts.stableMs ?? 30_000) ? 1 : slot.crashesInRow + 1;
    const delay = reason === 'memory' ? 0 : Math.min((this.opts.backoffMs ?? 250) * 2 ** (slot.crashesInRow - 1), this.opts.maxBackoffMs ?? 15_000);
    Object.assign(slot, { state: 'backoff', restarts: slot.restarts + 1, lastRestart: reason, lastRestartAt: Date.now(), rss: undefined, inFlight: undefined, models: [] });
    if (reason === 'exited') this.opts.log.warn('worker exited; restarting', { slot: slot.slot, device: slot.device.id, pid: slot.pid, code, signal, restartInMs: delay });
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (!this.closing) this.spawn(slot);
    }, delay);
  }

  private stop(slot: Slot): Promise<void> {
    clearTimeout(slot.timer);
    const child = slot.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      slot.state = 'stopped';
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), (this.opts.graceMs ?? 30_000) + 2000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
