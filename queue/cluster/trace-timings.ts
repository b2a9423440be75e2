import type { StoredSpan } from './trace-store.ts';

/**
 * Attributes of a worker's `execute` span that carry the call's times (epoch ms): when it was
 * queued (first attempt), when the host picked it for a batch, when the handler call started and
 * ended, and the handler's error code if it failed. The worker records them on its one span per
 * attempt instead of three more spans (a recorded span costs ~7 µs of the worker's CPU on the call
 * path); the trace API makes them the `queue wait`, `batch` and `handle` spans when it reads the
 * trace (see {@link withTimingSpans}).
 */
export const TIMING_ATTRIBUTES = {
  queued: 'autoglm.queued_at',
  picked: 'autoglm.picked_at',
  started: 'autoglm.started_at',
  finished: 'autoglm.finished_at',
  handlerError: 'autoglm.handler_error',
} as const;

/**
 * `spans` in start order, with the queue wait, batch and handler spans of each worker span that
 * carries their times: the queue wait beside it under its parent, the batch and the handler call
 * under it. Their ids are the worker span's with a suffix, the same on every read.
 */
export function withTimingSpans(spans: readonly StoredSpan[]): StoredSpan[] {
  return spans.flatMap(timingSpans).sort((a, b) => a.start - b.start);
}

/** A span without its timing attributes, and the spans they make. */
function timingSpans(s: StoredSpan): StoredSpan[] {
  // Stored names: `autoglm.` dropped (see TIMING_ATTRIBUTES).
  const { queued_at, picked_at, started_at, finished_at, handler_error, ...attributes } = s.attributes;
  const out: StoredSpan[] = [{ ...s, attributes }];
  const add = (suffix: string, name: string, from: unknown, to: unknown, parentId: string | undefined, more: Partial<StoredSpan>) => {
    if (typeof from !== 'number' || typeof to !== 'number') return;
    out.push({ spanId: `${s.spanId}.${suffix}`, ...(parentId ? { parentId } : {}), name, service: s.service, start: from, durationMs: Math.max(0, to - from), status: 'unset', attributes: {}, ...more });
  };
  add('q', 'queue wait', queued_at, s.start, s.parentId, {});
  add('b', 'batch', picked_at, started_at, s.spanId, { attributes: { ...(attributes.batch_size !== undefined ? { batch_size: attributes.batch_size } : {}) } });
  const failed = typeof handler_error === 'string' ? { status: 'error' as const, statusMessage: handler_error } : {};
  add('h', s.name.replace(/^execute /, 'handle '), started_at, finished_at, s.spanId, { ...failed, attributes: { ...(attributes.isolation !== undefined ? { isolation: attributes.isolation } : {}) } });
  return out;
}
