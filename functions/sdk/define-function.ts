import type { ErrorRecord } from './errors.ts';
import type { KnowledgeCollection } from './knowledge/index.ts';
import type { Logger } from './logger.ts';
import type { TrainFunction } from './training.ts';

/** What a handler learns about the call it is serving. */
export interface InvocationContext {
  /** Function name and immutable version id. */
  readonly function: string;
  readonly version: string;
  /** Device the worker runs on, e.g. `cpu:0`. */
  readonly device: string;
  /** Absolute deadline (epoch ms) of the earliest-expiring item in the batch. */
  readonly deadline: number;
  /** Fires when the platform gives up on the batch (deadline, shutdown). */
  readonly signal: AbortSignal;
  /**
   * The function's log: lines land in `autoglm logs <name>` with the version, device and the
   * batch's job ids (so does `console.*`). `log.child({ … })` adds fields to every line.
   */
  readonly log: Logger;
  /** The version's settings (`env` in its manifest). */
  readonly env: Readonly<Record<string, string>>;
  /** The values of the secrets its manifest lists (`secrets`), as `load` got them. */
  readonly secrets: Readonly<Record<string, string>>;
  /** The knowledge collections its manifest lists (`knowledge`), by name: the same objects `load` got. */
  readonly knowledge: Readonly<Record<string, KnowledgeCollection>>;
  /**
   * Sends a part of item `item`'s output (its index in `inputs`, default 0) to a caller that
   * asked to stream (`Accept: text/event-stream`): a string or any JSON value, one Server-Sent
   * Event per call, in order, before the final event that carries what `handle` returns. A call
   * that did not ask to stream pays nothing: its chunks are dropped where they are made. Chunks
   * are not kept: the job record has the final output only, and an attempt run again (a retry,
   * a batch that failed and runs item by item) sends its chunks again.
   * @throws TypeError for an index outside the batch, or a chunk that is not JSON (undefined, a cycle) or over 1 MiB as JSON
   */
  emit(chunk: unknown, item?: number): void;
  /**
   * Whether item `item`'s caller streams (default item 0): a handler may then produce its output
   * in parts it would not otherwise (ask an LLM with `stream: true`). `emit` is safe either way.
   */
  wantsChunks(item?: number): boolean;
}

/** What `load` learns: where the function's files are, and on which device it runs. */
export interface LoadContext {
  readonly dir: string;
  readonly device: string;
  /** As {@link InvocationContext.log}, for lines written while loading. */
  readonly log: Logger;
  /** The version's settings (`env` in its manifest). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The values of the secrets its manifest lists (`secrets`), read when this load began. A new
   * value makes the platform load the version again (after the batches running finish).
   */
  readonly secrets: Readonly<Record<string, string>>;
  /**
   * The knowledge collections its manifest lists (`knowledge`), by name, each at its version when
   * this load began: `ctx.knowledge['store-policies'].documents`. A new version of one makes the
   * platform load the version again (after the batches running finish), so an index built here
   * from the documents is rebuilt; each result names the collection versions it used.
   */
  readonly knowledge: Readonly<Record<string, KnowledgeCollection>>;
}

/**
 * One slot of a batch result: the output, or an error for that item only. Returning an
 * `Error` (or throwing from `handle`, which fails every item) is how a handler reports failure.
 */
export type BatchResult<O> = O | Error;

/** A function as written by its author. `S` is the state `load` returns (a model, a tokenizer…). */
export interface FunctionSpec<I, O, S> {
  /** Runs once per worker and version, before the first batch. */
  load?: (ctx: LoadContext) => Promise<S> | S;
  /** Handles a batch of inputs; must return one result per input, in order. */
  handle: (inputs: I[], state: S, ctx: InvocationContext) => Promise<BatchResult<O>[]> | BatchResult<O>[];
  /** Releases what `load` acquired (tensors, handles) when the version is unloaded. */
  unload?: (state: S) => Promise<void> | void;
  /**
   * The numbers of an input the platform watches for drift (manifest `drift`): named as in the
   * version's baseline, computed as the training script computed them for it. Runs once per
   * input after its batch, synchronously; keep it cheap. A feature left out (or not finite) is
   * not counted for that input.
   */
  features?: (input: I) => Record<string, number>;
  /**
   * Retrains the model (manifest `training`): run by the platform as a training job on a pool
   * worker (`autoglm train`), in a process of its own at low priority, never in the worker that
   * serves calls. Its result becomes a new version: the same code with the files it wrote.
   */
  train?: TrainFunction;
}

/** A defined function: the shape the pool loads from a handler module's default export. */
export interface FunctionDefinition<I = unknown, O = unknown, S = unknown> extends FunctionSpec<I, O, S> {
  readonly kind: 'autoglm.function';
}

/**
 * Declares a function. The module's default export must be the result:
 *
 * ```ts
 * export default defineFunction({ handle: (inputs) => inputs.map((x) => ({ echo: x })) });
 * ```
 */
export function defineFunction<I, O, S = undefined>(spec: FunctionSpec<I, O, S>): FunctionDefinition<I, O, S> {
  if (typeof spec.handle !== 'function') throw new TypeError('defineFunction: `handle` must be a function');
  if (spec.train !== undefined && typeof spec.train !== 'function') throw new TypeError('defineFunction: `train` must be a function');
  return { ...spec, kind: 'autoglm.function' };
}

/** True when `value` came from {@link defineFunction}. */
export function isFunctionDefinition(value: unknown): value is FunctionDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'autoglm.function';
}

/** A finished invocation as the platform reports it. */
export interface InvocationResult<O = unknown> {
  output?: O;
  error?: ErrorRecord;
  version: string;
  device: string;
  /** TensorFlow.js backend of the worker that ran it (`tensorflow`, `wasm`, `cpu`). */
  backend?: string;
  /** Items in the batch this invocation's handler call processed (1 without batching). */
  batchSize: number;
  /**
   * The knowledge collections its load read, name → collection version (the version's manifest
   * `knowledge`): which text grounded the output. Absent when the manifest lists none.
   */
  knowledge?: Record<string, string>;
  /** Epoch ms: when the worker took the job, started the handler, finished. */
  timings: { picked: number; started: number; finished: number };
}
