/**
 * The far side of a {@link HostEndpoint}: selects the TensorFlow.js backend, then runs a
 * {@link FunctionHost} on the main side's messages. Shared by the inference thread
 * (`host-thread-entry.ts`) and the sandbox process (`sandbox-entry.ts`); only the transport differs.
 */
import { AutoglmError, createLogger, fromErrorRecord, toErrorRecord, type InvocationResult, type KnowledgeCollection } from '../functions/sdk/index.ts';
import { selectBackend, type BackendSelection } from '../functions/sdk/tf/index.ts';
import type { FunctionLogLine } from '../queue/cluster/index.ts';
import { BundleCache } from './bundle-cache.ts';
import { FunctionHost, type HostInput } from './function-host.ts';
import { joinKnowledge } from './knowledge-parts.ts';
import { readBatches } from './batch-text.ts';
import type { FromThread, ThreadData, ToThread } from './host-thread-protocol.ts';

/** How the far side talks: posts to the main side, and hears from it. */
export interface HostPort {
  post(m: FromThread): void;
  onMessage(fn: (m: ToThread) => void): void;
}

/** Selects the backend and serves; a failure to start is posted as `fatal`, after which nothing listens. */
export async function serveHost(port: HostPort, data: ThreadData): Promise<void> {
  try {
    serve(port, data, await selectBackend({ choice: data.backend, gpuModule: data.gpuModule }));
  } catch (err) {
    port.post({ t: 'fatal', message: (err as Error).message, ...(err instanceof AutoglmError ? { error: toErrorRecord(err) } : {}) });
  }
}

/** Requests this side makes of the main side (secrets, knowledge, bundles), by id. */
class Asks<T> {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: T) => void; reject: (e: Error) => void }>();

  ask(send: (id: number) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(++this.seq, { resolve, reject });
      send(this.seq);
    });
  }

  answer(id: number, m: { value: T } | { error: Parameters<typeof fromErrorRecord>[0] }): void {
    const p = this.waiting.get(id);
    this.waiting.delete(id);
    if ('value' in m) p?.resolve(m.value);
    else p?.reject(fromErrorRecord(m.error));
  }
}

function serve(port: HostPort, data: ThreadData, selection: BackendSelection): void {
  const { post } = port;
  const log = createLogger({ component: 'inference', device: data.slot.id }, data.logLevel);
  // Function log lines of one turn cross together, as results do.
  let lines: FunctionLogLine[] = [];
  const onLog = (line: FunctionLogLine) => {
    if (lines.push(line) === 1) process.nextTick(() => post({ t: 'logs', lines: lines.splice(0) }));
  };
  // Secrets are opened on the main side, which holds the keys, as a version loads.
  const secretsAsked = new Asks<Record<string, string>>();
  const secrets = (rec: { name: string; version: string }) => secretsAsked.ask((id) => post({ t: 'secrets', id, fn: rec.name, version: rec.version }));
  // So are knowledge collections; they cross in parts, gathered here until the last.
  const knowledgeAsked = new Asks<Record<string, KnowledgeCollection>>();
  const knowledgeParts = new Map<number, KnowledgeCollection[][]>();
  const knowledge = (rec: { name: string; version: string }) => knowledgeAsked.ask((id) => post({ t: 'knowledge', id, fn: rec.name, version: rec.version }));
  const bundlesAsked = new Asks<string>();
  const bundles =
    data.bundles === 'ask'
      ? { ensure: (hash: string) => bundlesAsked.ask((id) => post({ t: 'bundle', id, hash })) }
      : new BundleCache(data.bundles.bundleCacheDir, { localDir: data.bundles.artifactsDir }, data.bundles.limits);
  const host = new FunctionHost({ slot: data.slot, backend: selection.name, bundles, numTensors: selection.numTensors, numBytes: selection.numBytes, log, onLog, secrets, knowledge });
  const aborts = new Map<number, AbortController>();

  // `execute` resolves even for failed functions; this covers a bug in the host itself.
  const failure = (job: HostInput, err: unknown): InvocationResult => {
    const now = Date.now();
    return { version: job.version, device: data.slot.id, backend: selection.name, batchSize: 1, timings: { picked: now, started: now, finished: now }, error: toErrorRecord(err) };
  };
  const answer = (id: number, p: Promise<unknown>) =>
    p.then(
      (value) => post({ t: 'reply', id, ok: true, value }),
      (err: unknown) => post({ t: 'reply', id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );

  // Chunks of one turn cross together, as log lines do; results are posted after the chunks
  // waiting, so a call's chunks all precede its result.
  let chunks: { id: number; json: string }[] = [];
  const flushChunks = () => chunks.length > 0 && post({ t: 'chunks', chunks: chunks.splice(0) });
  const onChunk = (id: number) => (json: string) => {
    if (chunks.push({ id, json }) === 1) process.nextTick(flushChunks);
  };
  // Results finished in one turn go back together, as batches came; before the next message is
  // read, which may be a batch queued behind this one: with setImmediate these results would
  // wait out that whole batch while the main thread had nothing to send next.
  let outbox: { id: number; result: InvocationResult }[] = [];
  const reply = (results: { id: number; result: InvocationResult }[]) => {
    if (outbox.length === 0) process.nextTick(() => (flushChunks(), post({ t: 'done', results: outbox.splice(0) })));
    outbox.push(...results);
  };
  const run = (runs: { id: number; data: HostInput; picked: number }[]) => {
    const jobs = runs.map((r) => {
      const ac = new AbortController();
      aborts.set(r.id, ac);
      return { data: r.data, signal: ac.signal, picked: r.picked, ...(r.data.stream ? { onChunk: onChunk(r.id) } : {}) };
    });
    void host
      .executeBatch(jobs)
      .catch((err: unknown) => jobs.map((j) => failure(j.data, err)))
      .then((results) => {
        for (const r of runs) aborts.delete(r.id);
        reply(results.map((result, i) => ({ id: runs[i]!.id, result })));
      });
  };

  port.onMessage((m: ToThread) => {
    switch (m.t) {
      case 'records':
        host.setRecords(m.all, m.serving);
        break;
      case 'batches':
        for (const runs of readBatches(m.json)) run(runs);
        break;
      case 'abort':
        aborts.get(m.id)?.abort();
        break;
      case 'warm':
        // With the state after warming, so the first heartbeat already lists the warm models.
        void answer(m.id, host.warm().then(() => host.stats()));
        break;
      case 'probe':
        void answer(m.id, host.probe(m.rec));
        break;
      case 'reload':
        host.reload(m.keys);
        break;
      case 'secrets':
        secretsAsked.answer(m.id, 'values' in m ? { value: m.values } : { error: m.error });
        break;
      case 'knowledge': {
        if ('error' in m) {
          knowledgeParts.delete(m.id);
          knowledgeAsked.answer(m.id, { error: m.error });
          break;
        }
        const parts = knowledgeParts.get(m.id) ?? [];
        parts.push(m.part);
        if (!m.last) knowledgeParts.set(m.id, parts);
        else {
          knowledgeParts.delete(m.id);
          knowledgeAsked.answer(m.id, { value: joinKnowledge(parts) });
        }
        break;
      }
      case 'bundle':
        bundlesAsked.answer(m.id, 'dir' in m ? { value: m.dir } : { error: m.error });
        break;
      case 'close':
        void answer(m.id, host.close());
        break;
      case 'ping':
        post({ t: 'pong', stats: host.stats(), rss: process.memoryUsage().rss, drift: host.takeDrift() });
        break;
    }
  });
  post({ t: 'ready', backend: selection.name, skipped: selection.skipped, simd: selection.simd });
}
