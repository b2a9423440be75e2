/**
 * Messages between a worker and a training process (`train-entry.ts`) over the process's IPC
 * channel (advanced serialization: Buffers cross as bytes). Nothing secret goes on the command
 * line; the settings, secrets and knowledge come in the `start` message.
 */
import type { ErrorRecord, KnowledgeCollection, LogLevel, TrainingProgress } from '../functions/sdk/index.ts';
import type { BackendChoice } from '../functions/sdk/tf/index.ts';

/** What the worker sends. */
export type ToTrainer =
  | {
      type: 'start';
      fn: string;
      version: string;
      device: string;
      /** The version's files (read-only to the process). */
      dir: string;
      /** The backend the process selects before importing function code (the worker's own). */
      backend: BackendChoice;
      gpuModule: string;
      /** Dataset: how many records, in how many chunks, and the held-out share it was split at. */
      records: number;
      chunks: number;
      heldOut: number;
      env: Record<string, string>;
      secrets: Record<string, string>;
      knowledge: Record<string, KnowledgeCollection>;
      /** Most bytes the files written may add up to (the bundle limit). */
      outLimit: number;
    }
  /** Answer to a `chunk` request: the chunk's whole JSON Lines, or null past the last. */
  | { type: 'chunk'; n: number; data: Buffer | null }
  /** Stop soon: `ctx.signal` fires, with an Error of this message as its reason (cancelled, timed out, the worker closing). */
  | { type: 'abort'; reason: string }
  /** Whether the worker is serving live calls now: `ctx.giveWay()` waits while it is (sent on every change). */
  | { type: 'serving'; busy: boolean };

/** A line function code wrote (`ctx.log`, `console.*`); the worker adds whose it is. */
export interface TrainLogLine {
  level: LogLevel;
  msg: string;
  fields?: Record<string, unknown>;
  source: 'log' | 'console';
}

/** What the training process sends. Function code runs there: the worker checks every field. */
export type FromTrainer =
  | { type: 'chunk'; n: number }
  | { type: 'progress'; progress: TrainingProgress }
  | { type: 'log'; line: TrainLogLine }
  /** `train` resolved; `refused` says why the files written cannot be sent (a link, too many bytes). */
  | { type: 'done'; files: { path: string; data: Uint8Array }[]; refused?: string; metrics: Record<string, number>; baseline?: Record<string, number>; details?: Record<string, unknown> }
  /** `train` (or loading the module) threw: its record, laundered as function code's. */
  | { type: 'failed'; error: ErrorRecord }
  /** The module does not export `train`. */
  | { type: 'unsupported'; message: string };
