import { mergeDrift, type DriftDelta } from './drift-counter.ts';
import type { InvocationResult } from '../functions/sdk/index.ts';
import type { FunctionRecord } from '../queue/cluster/index.ts';
import type { ChunkSink, Host, HostInput, HostStats } from './function-host.ts';
import { CatalogIndex } from './catalog-index.ts';

const isInline = (r: FunctionRecord) => r.manifest.isolation === 'inline';

/**
 * Runs each version where its manifest says: `isolation: inline` versions on `inline` (a host on
 * the worker's main thread), the others on `thread` (the inference thread). Each host is told
 * only of its own versions, so it warms and unloads only those. Versions it does not know
 * (a straggler job) go to the thread host, which answers for them as it always did.
 */
export class SplitHost implements Host {
  private readonly index = new CatalogIndex();

  constructor(
    private readonly thread: Host,
    private readonly inline: Host,
  ) {}

  get backend(): string {
    return this.thread.backend;
  }

  setRecords(all: FunctionRecord[], serving?: Iterable<string>): void {
    const keys = serving ? [...serving] : undefined;
    this.index.set(all, keys);
    this.thread.setRecords(all.filter((r) => !isInline(r)), keys);
    this.inline.setRecords(all.filter(isInline), keys);
  }

  execute(data: HostInput, signal: AbortSignal, onChunk?: ChunkSink): Promise<InvocationResult> {
    return this.hostOf(this.index.find(data.fn, data.version)).execute(data, signal, onChunk);
  }

  async warm(): Promise<void> {
    await Promise.all([this.thread.warm(), this.inline.warm()]);
  }

  probe(rec: FunctionRecord): Promise<{ loadMs: number }> {
    return this.hostOf(rec).probe(rec);
  }

  reload(keys: readonly string[]): void {
    // Each host ignores the keys it does not serve.
    this.thread.reload(keys);
    this.inline.reload(keys);
  }

  /** Both hosts' figures together; tensors are the inference thread's (inline code holds no model). */
  stats(): HostStats {
    const t = this.thread.stats();
    const i = this.inline.stats();
    return {
      backend: t.backend,
      models: [...t.models, ...i.models],
      modelBytes: t.modelBytes + i.modelBytes,
      batches: t.batches + i.batches,
      jobsDone: t.jobsDone + i.jobsDone,
      inFlight: t.inFlight + i.inFlight,
      loads: t.loads + i.loads,
      unloads: t.unloads + i.unloads,
      tensors: t.tensors,
      // A version runs on one of the two: its figures are in one list only.
      functions: [...t.functions, ...i.functions],
    };
  }

  takeDrift(): DriftDelta[] {
    return mergeDrift(this.thread.takeDrift(), this.inline.takeDrift());
  }

  async close(): Promise<void> {
    await Promise.all([this.thread.close(), this.inline.close()]);
  }

  private hostOf(rec: FunctionRecord | undefined): Host {
    return rec && isInline(rec) ? this.inline : this.thread;
  }
}
