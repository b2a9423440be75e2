import type { Redis } from 'ioredis';
import { PlatformError } from '../platform-error.ts';

/**
 * Fewer replicas than required acknowledged a write in time. The write is on the master and
 * will most likely reach them, but a failover now could lose it: the caller was told nothing
 * was accepted, and retries (with the same Idempotency-Key, an async job is not taken twice).
 */
export class ReplicasBehindError extends PlatformError {
  override readonly name = 'ReplicasBehindError';
  constructor(wanted: number, acknowledged: number, timeoutMs: number) {
    super('QUEUE_UNAVAILABLE', `only ${acknowledged} of ${wanted} Redis replica(s) acknowledged the write (AUTOGLM_REDIS_MIN_REPLICAS; waited up to ${timeoutMs} ms, less when none is connected): it could be lost if the master failed now; retry later`, {
      extra: { replicasWanted: wanted, replicasAcknowledged: acknowledged },
    });
  }
}

/** Redis did not answer the WAIT itself (the master went away under it). */
export class ReplicaWaitFailedError extends PlatformError {
  override readonly name = 'ReplicaWaitFailedError';
  constructor(cause: unknown) {
    super('QUEUE_UNAVAILABLE', 'Redis did not confirm that its replicas hold the write; retry later', { cause });
  }
}

/**
 * `AUTOGLM_REDIS_MIN_REPLICAS` as one step: before a write is reported done (an async job's 202,
 * a deploy, a secret change), `confirm` sends `WAIT <replicas> <timeout>` on the connection
 * that wrote, since WAIT covers only that connection's own writes. Redis replicates
 * asynchronously; without this, a master can acknowledge a job and die before its replica has
 * it, and the promoted replica never heard of the job. With 0 replicas it does nothing.
 */
export class ReplicaWait {
  /** Waits for no replica: a single Redis. */
  static readonly none = new ReplicaWait(0, 0);

  /**
   * Per connection, the WAIT on the wire and the one to send when it returns. WAIT blocks its
   * connection, so concurrent confirmations share rounds instead of queueing one WAIT each
   * (with a replica down, 16 in a row would hold the connection 16 timeouts long).
   */
  private readonly rounds = new WeakMap<Redis, { running?: Promise<number> | undefined; queued?: Promise<number> | undefined }>();

  constructor(
    /** Replicas that must acknowledge. */
    readonly replicas: number,
    /** How long WAIT waits for them, ms (0 is "for ever" to Redis: at least 1 is sent). */
    readonly timeoutMs: number,
  ) {}

  /** Times each connection closed, counted from its first {@link mark}. */
  private readonly closes = new WeakMap<Redis, { n: number }>();

  /**
   * Marks `conn` before a write that {@link confirm} will confirm. WAIT counts only the writes of
   * its own TCP connection: a WAIT that ioredis sends after reconnecting (to the new master, in a
   * failover) would confirm nothing the old connection wrote, and answer at once.
   */
  mark(conn: Redis): number {
    if (this.replicas === 0) return 0;
    let c = this.closes.get(conn);
    if (!c) {
      const count = { n: 0 };
      conn.on('close', () => count.n++);
      this.closes.set(conn, (c = count));
    }
    return c.n;
  }

  /**
   * Resolves once `replicas` replicas have every write `conn` sent before this call, on the
   * connection it had at `mark` (see {@link mark}; without one, whatever connection it has).
   * @throws ReplicasBehindError when fewer did within the timeout; ReplicaWaitFailedError when the WAIT failed or the connection changed
   */
  async confirm(conn: Redis, mark?: number): Promise<void> {
    if (this.replicas === 0) return;
    let acknowledged: number;
    try {
      acknowledged = await this.round(conn);
    } catch (err) {
      throw new ReplicaWaitFailedError(err);
    }
    if (mark !== undefined && this.mark(conn) !== mark) throw new ReplicaWaitFailedError(new Error('the connection to Redis was re-established between the write and its WAIT'));
    if (acknowledged < this.replicas) throw new ReplicasBehindError(this.replicas, acknowledged, this.timeoutMs);
  }

  /**
   * The count of a WAIT sent after every write `conn` made so far: a new one when none is on the
   * wire; else the next, sent once the one on the wire returns (it may predate those writes).
   */
  private round(conn: Redis): Promise<number> {
    let r = this.rounds.get(conn);
    if (!r) this.rounds.set(conn, (r = {}));
    const state = r;
    const send = (): Promise<number> => {
      const p = conn.wait(this.replicas, Math.max(1, this.timeoutMs)).then(Number);
      state.running = p;
      void p.catch(() => undefined).finally(() => {
        if (state.running === p) state.running = undefined;
      });
      return p;
    };
    if (!state.running) return send();
    return (state.queued ??= state.running
      .catch(() => undefined)
      .then(() => {
        state.queued = undefined;
        return send();
      }));
  }
}
