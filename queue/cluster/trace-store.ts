import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';
import type { PayloadCipher, Sealed } from './payload-cipher.ts';

/**
 * What the store reads of a finished span: the fields of OpenTelemetry's `ReadableSpan` it keeps.
 * Declared here by shape, so the cluster layer does not import the tracing SDK; an SDK span fits.
 */
export interface FinishedSpan {
  readonly name: string;
  spanContext(): { traceId: string; spanId: string };
  readonly parentSpanContext?: { spanId: string } | undefined;
  /** [seconds, nanoseconds] since the epoch. */
  readonly startTime: readonly [number, number];
  readonly endTime: readonly [number, number];
  /** 0 unset, 1 ok, 2 error (OpenTelemetry's `SpanStatusCode`). */
  readonly status: { code: number; message?: string | undefined };
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly resource: { readonly attributes: Readonly<Record<string, unknown>> };
}

/** One span as the trace API gives it. */
export interface StoredSpan {
  spanId: string;
  /** The parent span's id; absent for a root. A caller's span that continued its trace is a parent not stored. */
  parentId?: string;
  name: string;
  /** `service.name` of the process that recorded it: `autoglm-router`, `autoglm-worker`. */
  service: string;
  /** Epoch ms, with sub-millisecond precision. */
  start: number;
  durationMs: number;
  status: 'unset' | 'ok' | 'error';
  statusMessage?: string;
  /** The span's `autoglm.*` attributes (job id, function, device, batch size…); nothing else is kept. */
  attributes: Record<string, string | number | boolean>;
}

/** Options of a {@link TraceStore}. */
export interface TraceStoreOptions {
  /** Traces kept, the most recently written (`AUTOGLM_TRACE_KEEP`) [10,000]. Failed ones do not count. */
  keep?: number;
  /** How long a trace with a failed span is kept, ms (`AUTOGLM_TRACE_FAILED_TTL`) [1 day]; also the longest any trace is kept. */
  failedTtlMs?: number;
  /** Traces written by one script call at most, so Redis is never held long by one [500]. */
  chunk?: number;
}

/** The attribute naming a span's namespace: its trace is sealed with that namespace's key, and a span without one is not stored. */
export const NAMESPACE_ATTRIBUTE = 'autoglm.namespace';

/** The additional data a trace's batches are sealed with: a batch moved to another trace fails to open. */
const traceAad = (traceId: string): string => `trace:${traceId}`;

// KEYS: 1 recent traces (zset id → ms), 2 failed traces (zset id → ms).
// ARGV: 1 now ms, 2 keep, 3 failed TTL ms, 4 prefix of a trace's list key, then per trace:
//       its id, '1' if a span of this batch failed else '0', its sealed batch (JSON).
// Each batch is appended to its trace's list. A trace with a failed span (now or before) moves to
// the failed set, out of the count, and lives the failed TTL; others are recent, and the oldest
// recent ones past `keep` are deleted. Every list expires after the failed TTL at the latest.
// Returns the number of recent traces deleted.
const WRITE = `
local now, keep, failedTtl, pfx = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
for i = 5, #ARGV, 3 do
  local id = ARGV[i]
  local key = pfx .. id
  redis.call('RPUSH', key, ARGV[i + 2])
  redis.call('PEXPIRE', key, failedTtl)
  if ARGV[i + 1] == '1' or redis.call('ZSCORE', KEYS[2], id) then
    redis.call('ZADD', KEYS[2], now, id)
    redis.call('ZREM', KEYS[1], id)
  else
    redis.call('ZADD', KEYS[1], now, id)
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - failedTtl)
local over = redis.call('ZCARD', KEYS[1]) - keep
if over <= 0 then return 0 end
local old = redis.call('ZRANGE', KEYS[1], 0, over - 1)
for _, id in ipairs(old) do redis.call('DEL', pfx .. id) end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
return over`;

/** One trace's spans of a flush, before sealing. */
interface Batch {
  ns: string;
  failed: boolean;
  spans: StoredSpan[];
}

/**
 * The platform's own store of recent traces, so a job's trace can be read with no collector:
 * routers and workers hand it their finished spans in batches (off the call path, see the
 * telemetry's store processor); it keeps each trace's spans sealed with the key of the
 * namespace that ran it (a span's attributes name functions, devices and ids, and a trace
 * belongs to its namespace like the job's payloads do), the newest `keep` traces, and every
 * trace with a failed span for `failedTtlMs`.
 */
export class TraceStore {
  private readonly keep: number;
  private readonly failedTtlMs: number;
  private readonly chunk: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cipher: PayloadCipher,
    opts: TraceStoreOptions = {},
  ) {
    this.keep = opts.keep ?? 10_000;
    this.failedTtlMs = opts.failedTtlMs ?? 86_400_000;
    this.chunk = opts.chunk ?? 500;
  }

  /**
   * Writes finished spans, grouped by trace, one sealed batch per trace. Spans without a
   * namespace (not an invocation's) are left out.
   * @throws the Redis error when a write fails (the caller drops the batch: traces are best effort)
   */
  async take(spans: readonly FinishedSpan[]): Promise<void> {
    const byTrace = new Map<string, Batch>();
    for (const s of spans) {
      const { traceId } = s.spanContext();
      let b = byTrace.get(traceId);
      const ns = s.attributes[NAMESPACE_ATTRIBUTE];
      if (!b) {
        if (typeof ns !== 'string') continue;
        b = { ns, failed: false, spans: [] };
        byTrace.set(traceId, b);
      }
      const stored = storedSpan(s);
      b.failed ||= stored.status === 'error';
      b.spans.push(stored);
    }
    const entries = [...byTrace];
    for (let i = 0; i < entries.length; i += this.chunk) {
      const args: string[] = [];
      for (const [traceId, b] of entries.slice(i, i + this.chunk)) {
        args.push(traceId, b.failed ? '1' : '0', JSON.stringify(this.cipher.seal(b.spans, traceAad(traceId), b.ns)));
      }
      await this.redis.eval(WRITE, 2, keys.traces(this.prefix), keys.failedTraces(this.prefix), String(Date.now()), String(this.keep), String(this.failedTtlMs), keys.trace(this.prefix, ''), ...args);
    }
  }

  /**
   * A trace's spans of namespace `ns` in start order, or undefined when none is kept. Only that
   * namespace's batches are read: a caller may send any trace id in its `traceparent`, and
   * another namespace's calls continuing the trace must not show (nor be shown) there. A batch
   * that does not open (a key removed from the keyring) is skipped; the rest still shows.
   */
  async read(traceId: string, ns: string): Promise<StoredSpan[] | undefined> {
    const batches = await this.redis.lrange(keys.trace(this.prefix, traceId), 0, -1);
    const spans: StoredSpan[] = [];
    for (const b of batches) {
      try {
        const sealed = JSON.parse(b) as Sealed;
        if (sealed.n === ns) spans.push(...(this.cipher.open(sealed, traceAad(traceId)) as StoredSpan[]));
      } catch {
        /* not openable here: left out */
      }
    }
    return spans.length ? spans.sort((a, b) => a.start - b.start) : undefined;
  }
}

const STATUS = ['unset', 'ok', 'error'] as const;

/** Epoch ms of an OpenTelemetry time. */
const ms = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;

/** A span as stored: its place in the trace, its times, its status and its `autoglm.*` attributes. */
function storedSpan(s: FinishedSpan): StoredSpan {
  const attributes: StoredSpan['attributes'] = {};
  for (const [k, v] of Object.entries(s.attributes)) {
    if (k.startsWith('autoglm.') && k !== NAMESPACE_ATTRIBUTE && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) attributes[k.slice(8)] = v;
  }
  const start = ms(s.startTime);
  const parentId = s.parentSpanContext?.spanId;
  return {
    spanId: s.spanContext().spanId,
    ...(parentId ? { parentId } : {}),
    name: s.name,
    service: String(s.resource.attributes['service.name'] ?? 'unknown'),
    start,
    durationMs: Math.max(0, ms(s.endTime) - start),
    status: STATUS[s.status.code] ?? 'unset',
    ...(s.status.message ? { statusMessage: s.status.message } : {}),
    attributes,
  };
}
