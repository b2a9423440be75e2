import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../functions/sdk/index.ts';

/** Node flags that let a child run TypeScript as is: tsx's loader, by absolute URL so any cwd works. */
export const TS_EXEC_ARGV = ['--import', import.meta.resolve('tsx')];

/** Options of a {@link Supervisor}; defaults in brackets. */
export interface SupervisorOptions {
  /** Worker processes to keep running. */
  count: number;
  /** Module each worker runs. */
  script: string;
  /** Environment of the workers (a slot number is added as `AUTOGLM_WORKER_SLOT`). */
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
  log: Logger;
}

/** What the supervisor knows about one slot. */
export interface SlotState {
  slot: number;
  pid: number | undefined;
  restarts: number;
  state: 'starting' | 'running' | 'backoff' | 'stopped';
}

interface Slot extends SlotState {
  child: ChildProcess | undefined;
  startedAt: number;
  crashesInRow: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Keeps `count` worker processes alive: forks them, restarts one that dies (with exponential
 * backoff so a crash loop does not spin), and on `close()` asks each to drain (SIGTERM), killing
 * any that outlive the grace period. A worker killed mid-job loses nothing: its job's lock
 * expires and BullMQ hands the job to another worker.
 */
export class Supervisor {
  private readonly slots: Slot[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: SupervisorOptions) {}

  start(): void {
    for (let i = 0; i < this.opts.count; i++) {
      const slot: Slot = { slot: i, pid: undefined, restarts: 0, state: 'starting', child: undefined, startedAt: 0, crashesInRow: 0, timer: undefined };
      this.slots.push(slot);
      this.spawn(slot);
    }
  }

  /** Per-slot state, for health output and tests. */
  state(): SlotState[] {
    return this.slots.map(({ slot, pid, restarts, state }) => ({ slot, pid, restarts, state }));
  }

  /** Drains every worker. Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.slots.map((s) => this.stop(s))).then(() => undefined);
    return this.closing;
  }

  private spawn(slot: Slot): void {
    const child = fork(this.opts.script, [], {
      execArgv: this.opts.execArgv ?? TS_EXEC_ARGV,
      env: { ...this.opts.env, AUTOGLM_WORKER_SLOT: String(slot.slot) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.child = child;
    slot.pid = child.pid;
    slot.startedAt = Date.now();
    slot.state = 'starting';
    child.on('message', (m: { type?: string }) => {
      if (m?.type === 'ready') slot.state = 'running';
    });
    child.on('exit', (code, signal) => {
      slot.child = undefined;
      if (this.closing) {
        slot.state = 'stopped';
        return;
      }
      const upMs = Date.now() - slot.startedAt;
      slot.crashesInRow = upMs > (this.opts.stableMs ?? 30_000) ? 1 : slot.crashesInRow + 1;
      const delay = Math.min((this.opts.backoffMs ?? 250) * 2 ** (slot.crashesInRow - 1), this.opts.maxBackoffMs ?? 15_000);
      slot.state = 'backoff';
      slot.restarts++;
      this.opts.log.warn('worker exited; restarting', { slot: slot.slot, pid: slot.pid, code, signal, restartInMs: delay });
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        if (!this.closing) this.spawn(slot);
      }, delay);
    });
  }

  private stop(slot: Slot): Promise<void> {
    clearTimeout(slot.timer);
    const child = slot.child;
    if (!child || child.exitCode !== null) {
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
