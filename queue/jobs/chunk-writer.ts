import type { Redis } from 'ioredis';
import type { PayloadCipher } from '../cluster/index.ts';
import { keys } from '../keys.ts';

/**
 * Entries a call's chunk stream keeps (XADD MAXLEN ~): the router holding the call reads them as
 * they come and deletes the stream at the end, so only a router that falls this far behind
 * loses the oldest.
 */
export const CHUNK_STREAM_MAX = 1000;

/** How long a call's chunk stream lives after its last chunk, ms: its router deletes it sooner. */
export const CHUNK_STREAM_TTL_MS = 60_000;

/** The additional data a chunk of call `id` is sealed with: not interchangeable with its output. */
export const chunkAad = (id: string): string => `${id}:chunk`;

/** What a streaming call's chunks are written with; `close` drops whatever comes after (a handler still emitting past its timeout). */
export interface ChunkWriter {
  write(json: string): void;
  /** Resolves once the writes sent so far are answered: then {@link abandoned} knows what they learnt. */
  settled(): Promise<void>;
  /** Whether a write found the call's client gone. */
  readonly abandoned: boolean;
  close(): void;
}

/**
 * Writes call `id`'s chunks (JSON text, as `ctx.emit` serialized them), sealed with namespace
 * `ns`'s key, to its stream. On the connection the call's outcome is recorded and announced on:
 * Redis runs one connection's commands in order, so every chunk is in the stream before the
 * router hears the call ended, and its last read finds them all. Writes are not awaited (a
 * chunk lost to a Redis error is lost: the final output still arrives whole). Each write also
 * asks whether the call's client went away (`keys.chunksAbandoned`, set by its router): then
 * `onAbandoned` is called, once, and nothing more is written.
 */
export function chunkWriter(redis: Redis, prefix: string, cipher: PayloadCipher, id: string, ns: string, onAbandoned: () => void = () => undefined): ChunkWriter {
  const key = keys.chunks(prefix, id);
  const gone = keys.chunksAbandoned(prefix, id);
  let open = true;
  let goneSeen = false;
  let last: Promise<unknown> = Promise.resolve();
  return {
    get abandoned() {
      return goneSeen;
    },
    settled: () => last.then(() => undefined),
    write(json) {
      if (!open) return;
      const sealed = JSON.stringify(cipher.sealJson(Buffer.from(json, 'utf8'), chunkAad(id), ns));
      last = redis
        .pipeline()
        .xadd(key, 'MAXLEN', '~', CHUNK_STREAM_MAX, '*', 'c', sealed)
        .pexpire(key, CHUNK_STREAM_TTL_MS)
        .exists(gone)
        .exec()
        .then((replies) => {
          if (!goneSeen && replies?.[2]?.[1] === 1) {
            open = false;
            goneSeen = true;
            redis.del(key).catch(() => undefined);
            onAbandoned();
          }
        })
        .catch(() => undefined);
    },
    close() {
      open = false;
    },
  };
}
