import { describe, expect, it } from 'vitest';
import { createLogger, type InvocationResult } from '../functions/sdk/index.ts';
import { SentJson } from '../queue/jobs/index.ts';
import { readBatches } from './batch-text.ts';
import { HostThread } from './host-thread.ts';
import type { FromThread, HostEndpoint, ToThread } from './host-thread-protocol.ts';

/** The other side of a host thread, played by the test: it is ready at once, keeps what it is sent, and closes when asked. */
function fakeSide(): { endpoint: HostEndpoint; sent: ToThread[]; reply: (m: FromThread) => void } {
  const sent: ToThread[] = [];
  let on: Parameters<HostEndpoint['listen']>[0] | undefined;
  const endpoint: HostEndpoint = {
    send: (m) => {
      sent.push(m);
      if (m.t === 'close') queueMicrotask(() => on!.message({ t: 'reply', id: m.id, ok: true, value: undefined }));
    },
    listen: (next) => {
      on = next;
      queueMicrotask(() => on!.message({ t: 'ready', backend: 'cpu', skipped: [], simd: undefined }));
    },
    terminate: async () => undefined,
  };
  return { endpoint, sent, reply: (m) => on!.message(m) };
}

const slot = { id: 'cpu:0', kind: 'cpu' as const, index: 0, name: 'cpu', memoryBytes: 1 << 30 };
const data = (input: unknown, id: string) => ({ fn: 'f', version: 'abcdef123456', input, deadline: null, enqueuedAt: 1, id });

describe('HostThread hands batches to the other side', () => {
  it('as text with sent inputs spliced in; an input held parsed that cannot be written fails alone, and the rest cross', async () => {
    const side = fakeSide();
    const host = await HostThread.over(side.endpoint, { slot, backend: 'cpu', gpuModule: '@tensorflow/tfjs-node-gpu', logLevel: 'error', bundles: 'ask', log: createLogger({ level: 'error' }), pingMs: 60_000 });
    try {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const group = new SentJson('[{"i":0},{"i":1}]');
      // Versions the host does not know cross alone, one batch each, all in this turn's message.
      const results = [host.execute(data(group.input(0), 'f.g:0'), new AbortController().signal), host.execute(data(circular, 'f.c'), new AbortController().signal), host.execute(data(group.input(1), 'f.g:1'), new AbortController().signal)];
      const failed = await results[1]!;
      expect(failed.error).toMatchObject({ code: 'INVALID_INPUT', retryable: false });
      expect(failed.error!.message).toMatch(/cannot be handed to the function/);
      const batches = side.sent.filter((m): m is Extract<ToThread, { t: 'batches' }> => m.t === 'batches');
      expect(batches).toHaveLength(1);
      const crossed = readBatches(batches[0]!.json).flat();
      expect(crossed.map((r) => [r.data.id, r.data.input])).toEqual([
        ['f.g:0', { i: 0 }],
        ['f.g:1', { i: 1 }],
      ]);
      const answer = (id: number, n: number): { id: number; result: InvocationResult } => ({ id, result: { version: 'abcdef123456', device: 'cpu:0', backend: 'cpu', batchSize: 1, timings: { picked: 1, started: 1, finished: 1 }, output: n } });
      side.reply({ t: 'done', results: crossed.map((r, n) => answer(r.id, n)) });
      expect((await results[0]!).output).toBe(0);
      expect((await results[2]!).output).toBe(1);
    } finally {
      await host.close();
    }
  });
});
