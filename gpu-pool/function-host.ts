import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  FunctionError,
  isFunctionDefinition,
  toErrorRecord,
  type FunctionDefinition,
  type InvocationResult,
} from '../functions/sdk/index.ts';
import type { FunctionRecord, JobData } from '../queue/index.ts';

interface Loaded {
  def: FunctionDefinition;
  state: unknown;
}

/**
 * Runs function code inside a worker process: imports a version's handler module, calls its
 * `load` once (concurrent first calls share one load), and runs `handle` for each invocation.
 */
export class FunctionHost {
  private readonly loaded = new Map<string, Promise<Loaded>>();
  private records = new Map<string, FunctionRecord>();
  jobsDone = 0;

  constructor(readonly device: string) {}

  /** Replaces the known function versions (from the catalogue). */
  setRecords(all: FunctionRecord[]): void {
    this.records = new Map(all.map((r) => [r.name, r]));
  }

  /** Names of the functions whose code is loaded here. */
  loadedFunctions(): string[] {
    return [...this.loaded.keys()];
  }

  /** Runs one invocation. Never throws for function failures: they come back in `error`. */
  async execute(data: JobData, signal: AbortSignal): Promise<InvocationResult> {
    const picked = Date.now();
    const rec = this.records.get(data.fn);
    if (!rec) {
      // The function was removed after the job was queued; another worker will not do better.
      return this.failure(data, picked, new FunctionError(`function '${data.fn}' is not deployed`, { code: 'FUNCTION_NOT_FOUND' }));
    }
    let loaded: Loaded;
    try {
      loaded = await this.load(rec);
    } catch (err) {
      return this.failure(data, picked, new FunctionError(`loading ${rec.name}@${rec.version} failed: ${(err as Error).message}`, { code: 'FUNCTION_LOAD_FAILED', retryable: true }));
    }
    const started = Date.now();
    let out: unknown;
    try {
      const results = await loaded.def.handle([data.input], loaded.state, {
        function: rec.name,
        version: rec.version,
        device: this.device,
        deadline: data.deadline ?? Infinity,
        signal,
      });
      if (!Array.isArray(results) || results.length !== 1) {
        throw new FunctionError(`handle returned ${Array.isArray(results) ? results.length : typeof results} results for 1 input`);
      }
      out = results[0];
    } catch (err) {
      out = err instanceof Error ? err : new Error(String(err));
    }
    this.jobsDone++;
    const base = { version: rec.version, device: this.device, batchSize: 1, timings: { picked, started, finished: Date.now() } };
    return out instanceof Error ? { ...base, error: toErrorRecord(out) } : { ...base, output: out };
  }

  /** Calls every loaded version's `unload`. */
  async close(): Promise<void> {
    for (const p of this.loaded.values()) {
      const l = await p.catch(() => undefined);
      if (l) await l.def.unload?.(l.state);
    }
    this.loaded.clear();
  }

  private load(rec: FunctionRecord): Promise<Loaded> {
    const key = `${rec.name}@${rec.version}`;
    let p = this.loaded.get(key);
    if (!p) {
      p = (async () => {
        const mod = (await import(pathToFileURL(join(rec.source.dir, rec.manifest.entry)).href)) as { default?: unknown };
        if (!isFunctionDefinition(mod.default)) throw new Error(`${rec.manifest.entry} must default-export defineFunction(...)`);
        const def = mod.default;
        const state = def.load ? await def.load({ dir: rec.source.dir, device: this.device }) : undefined;
        return { def, state };
      })();
      // A failed load is forgotten so the next job tries again.
      p.catch(() => this.loaded.delete(key));
      this.loaded.set(key, p);
    }
    return p;
  }

  private failure(data: JobData, picked: number, err: Error): InvocationResult {
    const now = Date.now();
    return { version: data.version, device: this.device, batchSize: 1, timings: { picked, started: now, finished: now }, error: toErrorRecord(err) };
  }
}
