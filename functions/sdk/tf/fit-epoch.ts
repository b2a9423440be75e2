import type * as tf from '@tensorflow/tfjs';
import type { TrainingContext } from '../training.ts';

/** Batches between progress reports inside an epoch: a second or two on 2 CPU cores for the built-in models. */
const PROGRESS_EVERY_BATCHES = 50;

/** What {@link fitEpoch} needs to know besides the data. */
export interface FitEpochOptions {
  batchSize: number;
  /** 1-based epoch number and how many there are, for the progress reports. */
  epoch: number;
  epochs: number;
  /** The training's context: its signal stops the epoch, its `progress` gets the reports. */
  ctx: Pick<TrainingContext, 'signal' | 'progress' | 'giveWay'>;
  /** Batches between progress reports. Default 50. */
  progressEvery?: number;
}

/**
 * Trains `model` (compiled) for one epoch on `x`/`y` in the order given (no shuffle: callers
 * shuffle with a seeded `Rng`, as `fit`'s own shuffle uses `Math.random`), reporting progress every
 * `progressEvery` batches and giving way to live calls after every batch (`ctx.giveWay`). A cancel (`ctx.signal`) is checked after every batch: the epoch stops
 * there and this throws. Returns the epoch's logs (`loss`, and the compiled metrics).
 * @throws the signal's reason once it fired
 */
export async function fitEpoch(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, opts: FitEpochOptions): Promise<Record<string, number>> {
  const { ctx, epoch, epochs } = opts;
  const every = opts.progressEvery ?? PROGRESS_EVERY_BATCHES;
  const steps = Math.ceil(x.shape[0]! / opts.batchSize);
  const h = await model.fit(x, y, {
    epochs: 1,
    batchSize: opts.batchSize,
    shuffle: false,
    verbose: 0,
    callbacks: {
      onBatchEnd: async (batch, logs) => {
        if (!ctx.signal.aborted && (batch + 1) % every === 0) await ctx.progress({ epoch, epochs, step: batch + 1, steps, loss: logs?.loss });
        // `fit` ends after this batch; the check below throws.
        if (ctx.signal.aborted) model.stopTraining = true;
        // Live calls on this worker go first: the next batch waits while it serves some.
        else await ctx.giveWay();
      },
    },
  });
  ctx.signal.throwIfAborted();
  return Object.fromEntries(Object.entries(h.history).map(([k, v]) => [k, v[0] as number]));
}
