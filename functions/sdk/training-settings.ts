import { EnvReader } from './env-reader.ts';
import { FunctionError } from './errors.ts';

/** The knobs most trainings have, which a version's settings (`ctx.env`) may override. */
export interface FitSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/**
 * `defaults` with the overrides of `env` (a training's `ctx.env`): `TRAIN_EPOCHS` (1–1000),
 * `TRAIN_BATCH_SIZE` (1–8192), `TRAIN_LEARNING_RATE` (above 0, at most 1). Other fields of
 * `defaults` pass through.
 * @throws FunctionError (FUNCTION_ERROR, not retryable) naming every bad key at once
 */
export function readFitSettings<S extends FitSettings>(env: Readonly<Record<string, string>>, defaults: S): S {
  const r = new EnvReader(env);
  const s: S = { ...defaults, epochs: r.int('TRAIN_EPOCHS', defaults.epochs, 1, 1000), batchSize: r.int('TRAIN_BATCH_SIZE', defaults.batchSize, 1, 8192) };
  const lr = r.string('TRAIN_LEARNING_RATE');
  if (lr !== undefined) {
    const n = Number(lr);
    if (n > 0 && n <= 1) s.learningRate = n;
    else r.errors.push(`TRAIN_LEARNING_RATE=${JSON.stringify(lr)}: expected a number above 0, at most 1`);
  }
  // FUNCTION_ERROR, as any error of function code: the platform launders other codes into it.
  if (r.errors.length > 0) throw new FunctionError(`bad training settings: ${r.errors.join('; ')}`);
  return s;
}
