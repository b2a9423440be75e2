import type { Redis } from 'ioredis';
import { Heartbeats } from './heartbeats.ts';
import { keys } from '../keys.ts';

/** One device slot as its pool's supervisor sees it: also while it has no live worker. */
export interface PoolSlotState {
  slot: number;
  /** Slot id, e.g. `gpu:0` or `cpu:1`. */
  device: string;
  kind: 'cpu' | 'gpu';
  /** `backoff`: its worker ended and the next one starts after a delay (a crash loop stays here). */
  state: 'starting' | 'running' | 'draining' | 'backoff' | 'stopped';
  /** The worker process now, if any. */
  pid?: number;
  /** Times its worker was replaced, and why the last time (`exited`, `hung`, `memory`, `start-timeout`). */
  restarts: number;
  lastRestart?: string;
  /** When, epoch ms. */
  lastRestartAt?: number;
}

/** A node's pool supervisor (`gpu-pool/main.ts`) and its slots. */
export interface PoolState {
  /** `<host>-<pid>` of the supervisor. */
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  slots: PoolSlotState[];
  /** Set when read: last heartbeat, epoch ms. */
  seenAt?: number;
}

/**
 * The pools' supervisors in Redis, so an operator sees every device slot of every node (`GET
 * /readyz`, `autoglm pool`), also one whose worker is down or crash-looping and so has no
 * worker heartbeat of its own.
 */
export class PoolRoster extends Heartbeats<PoolState> {
  constructor(redis: Redis, prefix: string, staleMs = 10_000) {
    super(redis, keys.pools(prefix), (id) => keys.pool(prefix, id), staleMs);
  }
}
