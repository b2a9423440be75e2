import type { Redis } from 'ioredis';
import type { PayloadCipher } from '../cluster/index.ts';
import { keys } from '../keys.ts';
import { chunkAad } from './chunk-writer.ts';

/** Options of a {@link ChunkReader}. */
export interface ChunkReaderOptions {
  prefix: string;
  /** This router's id: names its wake stream. */
  routerId: string;
  /** Opens the sealed chunks. */
  cipher: PayloadCipher;
  /** Longest one XREAD blocks, ms (a new call wakes it sooner). Default 5,000. */
  blockMs?: number;
}

/** A call being followed: `end` reads what is left once its outcome is known; `stop` gives up on it (its client left). */
export interface FollowedCall {
  /** Delivers the chunks not yet delivered (all are in the stream once the call's end was announced), then forgets the call. */
  end(): Promise<void>;
  /**
   * Forgets the call and deletes its stream; nothing more is delivered. With `abandon`, marks the
   * call abandoned (`keys.chunksAbandoned`): the worker running it stops it at its next chunk.
   */
  stop(abandon?: boolean): void;
}

interface Follow {
  key: string;
  aad: string;
  /** Id of the last entry delivered. */
  last: string;
  onChunk: (value: unknown) => void;
}

/** Entries one XREAD takes per stream. */
const COUNT = 256;
/** Entries the wake stream keeps: it only has to hold one past the reader's last read. */
const WAKE_MAX = 16;
const WAKE_TTL_MS = 60_000;
/** How long an abandoned call's mark lives: longer than a chunk takes to come, shorter than anyone cares. */
const ABANDONED_TTL_MS = 60_000;

/**
 * Reads the chunk streams of every streaming call this router holds on one connection: one
 * blocking XREAD names them all, so N streaming calls cost one connection, not N. A new call
 * wakes the read with an entry on the router's wake stream, read with the rest from the last
 * id seen: an entry added before the XREAD reaches Redis still wakes it (a `CLIENT UNBLOCK`, or
 * reading from `$`, would miss that one and wait out the block).
 */
export class ChunkReader {
  private readonly follows = new Map<string, Follow>();
  private readonly wakeKey: string;
  private wakeLast = '0-0';
  private readonly blockMs: number;
  private closed = false;
  private idle: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  /**
   * @param reader a connection of its own: it spends its time blocked in XREAD
   * @param commands a shared connection for the wake entries, last reads and deletes
   */
  constructor(
    private readonly reader: Redis,
    private readonly commands: Redis,
    private readonly opts: ChunkReaderOptions,
  ) {
    this.wakeKey = keys.chunkWake(opts.prefix, opts.routerId);
    this.blockMs = opts.blockMs ?? 5000;
  }

  /** Calls being followed now. */
  get size(): number {
    return this.follows.size;
  }

  /**
   * Follows call `id`'s chunks from the first, handing each (opened) to `onChunk` in order.
   * Follow before the call is queued, or at once after: the stream is read from its start.
   */
  follow(id: string, onChunk: (value: unknown) => void): FollowedCall {
    const f: Follow = { key: keys.chunks(this.opts.prefix, id), aad: chunkAad(id), last: '0-0', onChunk };
    this.follows.set(f.key, f);
    this.wake();
    return {
      end: () => this.end(f),
      stop: (abandon) => {
        if (abandon) this.commands.set(keys.chunksAbandoned(this.opts.prefix, id), '1', 'PX', ABANDONED_TTL_MS).catch(() => undefined);
        this.forget(f);
      },
    };
  }

  /** Stops reading; calls still followed get nothing more. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.follows.clear();
    this.idle?.();
    this.reader.disconnect();
    await this.loop?.catch(() => undefined);
  }

  private wake(): void {
    this.loop ??= this.run();
    if (this.idle) return this.idle();
    this.commands
      .pipeline()
      .xadd(this.wakeKey, 'MAXLEN', '~', WAKE_MAX, '*', 'w', '')
      .pexpire(this.wakeKey, WAKE_TTL_MS)
      .exec()
      .catch(() => undefined);
  }

  private async end(f: Follow): Promise<void> {
    if (this.follows.get(f.key) !== f) return;
    try {
      // What the loop has not delivered yet; what it delivers meanwhile is not delivered twice (see `deliver`).
      const rest = (await this.commands.xrange(f.key, `(${f.last}`, '+')) as [string, string[]][];
      this.deliver(f, rest);
    } finally {
      this.forget(f);
    }
  }

  private forget(f: Follow): void {
    if (this.follows.get(f.key) !== f) return;
    this.follows.delete(f.key);
    this.commands.del(f.key).catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.follows.size === 0) {
        await new Promise<void>((resolve) => (this.idle = resolve));
        this.idle = undefined;
        continue;
      }
      const follows = [...this.follows.values()];
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await this.reader.xread('COUNT', COUNT, 'BLOCK', this.blockMs, 'STREAMS', this.wakeKey, ...follows.map((f) => f.key), this.wakeLast, ...follows.map((f) => f.last))) as typeof reply;
      } catch {
        if (this.closed) return;
        // Redis away: ioredis reconnects; try again shortly rather than spin.
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      for (const [key, entries] of reply ?? []) {
        if (key === this.wakeKey) this.wakeLast = entries.at(-1)?.[0] ?? this.wakeLast;
        else {
          const f = this.follows.get(key);
          if (f) this.deliver(f, entries);
        }
      }
    }
  }

  /** Hands on the entries after the last delivered, in order; a chunk that does not open is skipped. */
  private deliver(f: Follow, entries: [string, string[]][]): void {
    for (const [id, fields] of entries) {
      if (!after(id, f.last)) continue;
      f.last = id;
      const sealed = fields[1];
      if (sealed === undefined) continue;
      let value: unknown;
      try {
        value = this.opts.cipher.open(JSON.parse(sealed), f.aad);
      } catch {
        continue;
      }
      f.onChunk(value);
    }
  }
}

/** Whether stream entry id `a` comes after `b` (`<ms>-<seq>`). */
function after(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am > bm || (am === bm && as > bs);
}
