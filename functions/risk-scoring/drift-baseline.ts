/**
 * Writes the drift baseline (`artifacts/drift-baseline.json`): deciles of each drift feature
 * (`drift-features.ts`) over histories from the training generator at the natural fraud rate
 * (the validation set's settings: the population live traffic should look like, where the
 * training set is enriched with fraud). Deterministic. `train` (training.ts) writes the same
 * file from its validation records, which for the offline recipe of `train.ts` are these.
 *
 *   npx tsx functions/risk-scoring/drift-baseline.ts
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBaseline } from '../sdk/index.ts';
import { DRIFT_BASELINE_FILE, driftFeatures } from './drift-features.ts';
import { generateSequences } from './generate-data.ts';

/** Where the baseline's histories come from: the validation set's generator settings. */
export const BASELINE_SAMPLE = { seed: 202, count: 5_000, fraudRate: 0.02 } as const;

export async function writeDriftBaseline(functionDir: string): Promise<void> {
  const samples: Record<string, number[]> = {};
  for (const { input } of generateSequences(BASELINE_SAMPLE)) {
    for (const [name, v] of Object.entries(driftFeatures(input))) (samples[name] ??= []).push(v);
  }
  await writeFile(join(functionDir, DRIFT_BASELINE_FILE), JSON.stringify(buildBaseline(samples), null, 1) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await writeDriftBaseline(fileURLToPath(new URL('.', import.meta.url)));
