import { spawn, type SpawnOptions } from 'node:child_process';
import type { TrainingProgress } from '../functions/sdk/index.ts';
import type { FromTrainer, ToTrainer, TrainLogLine } from './train-protocol.ts';
import { TrainingProcessLostError } from './training-errors.ts';

/** How long a training process has to stop after it was asked to (ctx.signal), before SIGKILL, ms. */
export const TRAIN_STOP_GRACE_MS = 10_000;

/** How often the worker's serving state is read while a training runs, ms. */
const BUSY_POLL_MS = 5;

/** How a training process ended with an answer: `train`'s report, its error, or no `train` at all. */
export type TrainOutcome = Extract<FromTrainer, { type: 'done' | 'failed' | 'unsupported' }>;

/** Options of {@link runTrainProcess}. */
export interface TrainProcessOptions {
  /** What to run (already niced, at the worker's isolation level). */
  command: { file: string; args: string[]; options: SpawnOptions };
  /** The first message: settings, secrets, knowledge. */
  start: Extract<ToTrainer, { type: 'start' }>;
  /** Dataset chunk `n` (0 ≤ n < start.chunks), opened. */
  chunk(n: number): Promise<Buffer>;
  onProgress(p: TrainingProgress): void;
  onLog(line: TrainLogLine): void;
  /** Whether the worker serves live calls now: polled while the process runs, changes sent to it (`ctx.giveWay`) [never busy]. */
  busy?: () => boolean;
  /** [{@link TRAIN_STOP_GRACE_MS}] */
  graceMs?: number;
}

/**
 * Runs one training process and serves it: dataset chunks one at a time as it asks (so the
 * dataset is streamed through, never held here or there whole), its progress and log lines to
 * the callbacks. When `signal` aborts (cancel, timeout, the worker closing) the process is told
 * (its `ctx.signal` fires) and killed if it has not ended within the grace.
 *
 * `outcome` settles only once the process has exited, so when it does the slot is free and no
 * process of this training is left: with the process's answer; or rejected with `signal.reason`
 * when aborted (whatever it answered), with a TrainingProcessLostError when it ended without an
 * answer, or with the error of a chunk that could not be read.
 */
export function runTrainProcess(o: TrainProcessOptions, signal: AbortSignal): { pid: number | undefined; outcome: Promise<TrainOutcome> } {
  const child = spawn(o.command.file, o.command.args, o.command.options);
  const graceMs = o.graceMs ?? TRAIN_STOP_GRACE_MS;
  let answer: TrainOutcome | undefined;
  let fault: unknown;
  let killTimer: NodeJS.Timeout | undefined;
  const send = (m: ToTrainer) => {
    if (child.connected) child.send(m, (err) => err && undefined);
  };
  /** Kills the process if it has not exited within the grace. */
  const killLater = () => {
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), graceMs);
  };
  const onAbort = () => {
    send({ type: 'abort', reason: signal.reason instanceof Error ? signal.reason.message : 'the training was stopped' });
    killLater();
  };

  child.on('message', (raw) => {
    const m = raw as FromTrainer;
    switch (m?.type) {
      case 'chunk': {
        const n = m.n;
        if (!Number.isSafeInteger(n) || n < 0) return;
        if (n >= o.start.chunks) return send({ type: 'chunk', n, data: null });
        o.chunk(n).then(
          (data) => send({ type: 'chunk', n, data }),
          (err: unknown) => {
            fault ??= err;
            child.kill('SIGKILL');
          },
        );
        return;
      }
      case 'progress':
        return o.onProgress(m.progress);
      case 'log':
        return o.onLog(m.line);
      case 'done':
      case 'failed':
      case 'unsupported':
        answer ??= m;
        // It exits by itself once its answer is sent; one that does not is not kept.
        return killLater();
    }
  });
  const outcome = new Promise<TrainOutcome>((resolve, reject) => {
    const ended = (why: string) => {
      clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) reject(signal.reason);
      else if (fault !== undefined) reject(fault);
      else if (answer) resolve(answer);
      else reject(new TrainingProcessLostError(why));
    };
    child.on('exit', (code, sig) => ended(sig ? `killed by ${sig}` : `exit code ${code}`));
    child.on('error', (err) => {
      // Never started (no such command): there will be no exit.
      if (child.pid === undefined) ended(err.message);
    });
  });
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  send(o.start);
  if (o.busy) {
    // A function call every few ms; a message only on a change (a burst of calls starts or ends).
    let was = false;
    const poll = setInterval(() => {
      const now = o.busy!();
      if (now !== was) send({ type: 'serving', busy: (was = now) });
    }, BUSY_POLL_MS);
    poll.unref();
    void outcome.finally(() => clearInterval(poll)).catch(() => undefined);
  }
  return { pid: child.pid, outcome };
}

