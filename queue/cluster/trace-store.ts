import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';
import type { PayloadCipher, Sealed } from './payload-cipher.ts';
import { withTimingSpans } from './trace-timings.ts';

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

/**
 * A span made in one process and written by another: a worker's span of a synchronous call
 * travels in the done message to the router that waits for it, which writes it with its own
 * span of that call (one sealed record a call instead of one from each process).
 */
export interface CarriedSpan {
  traceId: string;
  /** The namespace whose key seals it. */
  ns: string;
  span: StoredSpan;
}

/** Options of a {@link TraceStore}. */
export interface TraceStoreOptions {
  /** Traces kept, the most recently written (`AUTOGLM_TRACE_KEEP`) [10,000]. Failed ones do not count. */
  keep?: number;
  /** How long a trace with a failed span is kept, ms (`AUTOGLM_TRACE_FAILED_TTL`) [1 day]. */
  failedTtlMs?: number;
  /**
   * How long carried spans ({@link TraceStore.carry}) wait for a span of their trace made here,
   * to be sealed with it, before they are written alone, ms [1,000].
   */
  carryWaitMs?: number;
}

/** Carried spans waiting at most; past it (Redis slow or gone) they are dropped, so memory stays bounded. */
const MAX_CARRIED = 20_000;

/** The attribute naming a span's namespace: its trace is sealed with that namespace's key, and a span without one is not stored. */
export const NAMESPACE_ATTRIBUTE = 'autoglm.namespace';

/** The additional data a trace's batches are sealed with: a batch moved to another trace fails to open. */
const traceAad = (traceId: string): string => `trace:${traceId}`;

// KEYS: 1 recent traces (zset id → ms), 2 failed traces (zset id → ms).
// ARGV: 1 now ms, 2 keep, 3 failed TTL ms, 4 prefix of a trace's list key.
// Run after each batch is written: drops failed traces older than the TTL from their set (their
// lists expire by themselves), then trims each set to its newest `keep`: the oldest recent
// traces are deleted unless they failed since (they stay, out of that count, until their TTL),
// and the oldest failed ones unless still among the recent. So a function failing every call
// for a day holds `keep` failed traces, not a day's worth. Returns the number dropped.
const TRIM = `
local now, keep, failedTtl, pfx = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - failedTtl)
local function trim(set, other)
  -- At most 4,000 a run (Lua's unpack has a stack limit); a lowered keep is reached over a few batches.
  local over = math.min(redis.call('ZCARD', set) - keep, 4000)
  if over <= 0 then return 0 end
  local old = redis.call('ZRANGE', set, 0, over - 1)
  redis.call('ZREMRANGEBYRANK', set, 0, over - 1)
  local kept = redis.call('ZMSCORE', other, unpack(old))
  local gone = {}
  for i, id in ipairs(old) do
    if not kept[i] then gone[#gone + 1] = pfx .. id end
  end
  if #gone > 0 then redis.call('DEL', unpack(gone)) end
  return over
end
return trim(KEYS[1], KEYS[2]) + trim(KEYS[2], KEYS[1])`;

/** One trace's spans of a flush, before sealing. */
interface Batch {
  traceId: string;
  ns: string;
  failed: boolean;
  spans: StoredSpan[];
}

/**
 * The platform's own store of recent traces, so a job's trace can be read with no collector:
 * routers and workers hand it their finished spans in batches (off the call path, see the
 * telemetry's store processor); it keeps each trace's spans sealed with the key of the
 * namespace that ran it (a span's attributes name functions, devices and ids, and a trace
 * belongs to its namespace like the job's payloads do), the newest `keep` traces, and traces
 * with a failed span for `failedTtlMs` (the newest `keep` of them).
 */
export class TraceStore {
  private readonly keep: number;
  private readonly failedTtlMs: number;
  private readonly carryWaitMs: number;
  /** Carried spans not written yet, oldest first, with when each came; and the timer that writes them alone. */
  private carried: { span: CarriedSpan; at: number }[] = [];
  private carryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cipher: PayloadCipher,
    opts: TraceStoreOptions = {},
  ) {
    this.keep = opts.keep ?? 10_000;
    this.failedTtlMs = opts.failedTtlMs ?? 86_400_000;
    this.carryWaitMs = opts.carryWaitMs ?? 1_000;
  }

  /**
   * Writes finished spans, one sealed batch per trace and namespace, with the carried spans
   * waiting (see {@link carry}). Spans without a namespace (not an invocation's) are left out.
   * @throws the Redis error when a write fails (the caller drops the batch: traces are best effort)
   */
  take(spans: readonly FinishedSpan[]): Promise<void> {
    const batch: CarriedSpan[] = [];
    for (const s of spans) {
      const ns = s.attributes[NAMESPACE_ATTRIBUTE];
      if (typeof ns === 'string') batch.push({ traceId: s.spanContext().traceId, ns, span: storedSpan(s) });
    }
    if (this.carried.length) {
      // Carried spans of these traces go with them; the others wait for theirs, up to carryWaitMs.
      const traces = new Set(batch.map((c) => c.traceId));
      const waiting = this.carried.filter((c) => !traces.has(c.span.traceId));
      if (waiting.length < this.carried.length) {
        for (const c of this.carried) if (traces.has(c.span.traceId)) batch.push(c.span);
        this.carried = waiting;
      }
    }
    return this.write(batch);
  }

  /**
   * Takes spans another process made (a worker's, from a done message), to be written with the
   * next span of their trace made here: the router's own span of a call ends a moment after the
   * call's done message came, and both go in one sealed record. Spans whose trace has no span
   * here within `carryWaitMs` (a call the router stopped waiting for) are written alone.
   */
  carry(spans: unknown): void {
    if (!Array.isArray(spans) || this.carried.length >= MAX_CARRIED) return;
    const at = Date.now();
    // They come off pub/sub: anything else there is left out here, not thrown at a later flush.
    for (const span of spans) if (isCarriedSpan(span)) this.carried.push({ span, at });
    this.carryTimer ??= setTimeout(() => this.writeWaited(), this.carryWaitMs).unref();
  }

  /** Writes every carried span still waiting (the process is stopping). Never rejects. */
  async flushCarried(): Promise<void> {
    clearTimeout(this.carryTimer);
    this.carryTimer = undefined;
    const spans = this.carried.map((c) => c.span);
    this.carried = [];
    await this.write(spans).catch(() => undefined);
  }

  /** Writes the carried spans that waited `carryWaitMs` alone, and waits for the rest. */
  private writeWaited(): void {
    this.carryTimer = undefined;
    const due = Date.now() - this.carryWaitMs;
    const late = this.carried.filter((c) => c.at <= due);
    this.carried = this.carried.filter((c) => c.at > due);
    if (this.carried.length) this.carryTimer = setTimeout(() => this.writeWaited(), this.carried[0]!.at - due).unref();
    if (late.length) this.write(late.map((c) => c.span)).catch(() => undefined);
  }

  /**
   * Writes spans now, one sealed batch per trace and namespace.
   * @throws the Redis error when a write fails
   */
  async write(spans: readonly CarriedSpan[]): Promise<void> {
    // By trace and namespace: a caller may continue any trace id, and its spans must never be
    // sealed with (and so shown to) another namespace, even when they share a batch.
    const byTrace = new Map<string, Batch>();
    for (const { traceId, ns, span } of spans) {
      let b = byTrace.get(`${traceId} ${ns}`);
      if (!b) {
        b = { traceId, ns, failed: false, spans: [] };
        byTrace.set(`${traceId} ${ns}`, b);
      }
      b.failed ||= span.status === 'error';
      b.spans.push(span);
    }
    if (byTrace.size === 0) return;
    // Per trace: one RPUSH (and a PEXPIRE if it failed); per batch: one ZADD for each set and one
    // trim. A script looping over the traces cost Redis ~40 µs a trace; plain commands in a pipeline cost a few.
    const now = Date.now();
    const p = this.redis.pipeline();
    const recent: (string | number)[] = [];
    const failed: (string | number)[] = [];
    for (const { traceId, ...b } of byTrace.values()) {
      const key = keys.trace(this.prefix, traceId);
      p.rpush(key, JSON.stringify(this.cipher.seal(b.spans, traceAad(traceId), b.ns)));
      if (b.failed) p.pexpire(key, this.failedTtlMs);
      (b.failed ? failed : recent).push(now, traceId);
    }
    if (recent.length) p.zadd(keys.traces(this.prefix), ...recent);
    if (failed.length) p.zadd(keys.failedTraces(this.prefix), ...failed);
    p.eval(TRIM, 2, keys.traces(this.prefix), keys.failedTraces(this.prefix), String(now), String(this.keep), String(this.failedTtlMs), keys.trace(this.prefix, ''));
    const results = (await p.exec()) ?? [];
    const err = results.find(([e]) => e)?.[0];
    if (err) throw err;
  }

  /**
   * When the oldest trace still kept among the recent ones was written (epoch ms), or undefined
   * when none is: a trace missing though written after it cannot have been pushed out yet.
   */
  async oldestKept(): Promise<number | undefined> {
    const [, score] = await this.redis.zrange(keys.traces(this.prefix), '0', '0', 'WITHSCORES');
    return score === undefined ? undefined : Number(score);
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
    return spans.length ? withTimingSpans(spans) : undefined;
  }
}

const STATUS = ['unset', 'ok', 'error'] as const;

/** A carried span as a worker sends it: its trace, namespace and the span as stored. */
function isCarriedSpan(v: unknown): v is CarriedSpan {
  const c = v as CarriedSpan | null;
  return typeof c === 'object' && c !== null && typeof c.traceId === 'string' && typeof c.ns === 'string' && typeof c.span === 'object' && c.span !== null && typeof c.span.status === 'string';
}

/** Epoch ms of an OpenTelemetry time. */
const ms = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;

/** A span as stored: its place in the trace, its times, its status and its `autoglm.*` attributes. */
export function storedSpan(s: FinishedSpan): StoredSpan {
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
