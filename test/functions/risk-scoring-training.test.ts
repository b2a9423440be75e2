import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitRecords, type TrainingData } from '../../functions/sdk/index.ts';
import { generateSequences, toRecord } from '../../functions/risk-scoring/generate-data.ts';
import riskScoring from '../../functions/risk-scoring/handler.ts';
import type { RiskOutput } from '../../functions/risk-scoring/risk-scorer.ts';
import { readRecord } from '../../functions/risk-scoring/training-records.ts';
import { parse as parseYaml } from 'yaml';
import { parseManifest } from '../../functions/sdk/index.ts';
import { schemaAjv } from '../../runtime/registry/manifest-schemas.ts';
import { fraudInput } from './risk-fixtures.ts';
import { TempDirs, invocationContext, loadContext, newVersionFolder, trainCancelledAtFirstReport, trainingContext } from './training-fixtures.ts';

const DIR = fileURLToPath(new URL('../../functions/risk-scoring/', import.meta.url));
const ARTIFACTS = ['artifacts/model.json', 'artifacts/weights.bin', 'artifacts/model-meta.json', 'artifacts/drift-baseline.json'];
const temps = new TempDirs('risk-train');

/** 600 generated histories (20% fraud, so both sides hold both classes), split as the platform splits an upload. */
const RECORDS = generateSequences({ count: 600, seed: 31, fraudRate: 0.2 }).map(toRecord);
const dataset = (): TrainingData => splitRecords(() => RECORDS, RECORDS.length, 0.2);

const context = (over: Parameters<typeof trainingContext>[2]) => trainingContext('risk-scoring', DIR, over);

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(() => {
  temps.removeAll();
});

describe('risk-scoring train', () => {
  it('writes a model the handler loads, and reports it and the current model on the same held-out records', async () => {
    const outDir = temps.make('out');
    const ctx = context({ outDir });
    const result = await riskScoring.train!(dataset(), ctx);

    for (const f of ARTIFACTS) expect(existsSync(join(outDir, f)), f).toBe(true);
    const version = newVersionFolder(temps, DIR, outDir);
    // The new version: the function's files with outDir's on top, as the platform assembles it.
    const state = await riskScoring.load!(loadContext(version));
    try {
      const details = result.details as { thresholds: { medium: number; high: number }; epochs: number; records: { heldOut: { records: number } } };
      const [out] = (await riskScoring.handle([fraudInput()], state, invocationContext('risk-scoring'))) as RiskOutput[];
      expect(out!.thresholds).toEqual(details.thresholds);
      expect(out!.score).toBeGreaterThanOrEqual(0);
      expect(details.epochs).toBe(1);
      expect(details.records.heldOut.records).toBe(dataset().counts.heldOut);
    } finally {
      riskScoring.unload!(state);
    }
    const meta = JSON.parse(readFileSync(join(outDir, 'artifacts/model-meta.json'), 'utf8')) as { thresholds: unknown };
    expect(meta.thresholds).toEqual((result.details as { thresholds: unknown }).thresholds);

    for (const m of [result.metrics, result.baseline!]) {
      expect(m.rocAuc).toBeGreaterThan(0.5);
      expect(m.rocAuc).toBeLessThanOrEqual(1);
      expect(Object.keys(m).sort()).toEqual(['averagePrecision', 'precisionHigh', 'precisionMedium', 'recallHigh', 'recallMedium', 'rocAuc']);
    }
    // The shipped model (8 epochs on 12,000 histories) beats one epoch on 384.
    expect(result.baseline!.rocAuc).toBeGreaterThan(result.metrics.rocAuc!);
    const epochs = ctx.reports.filter((p) => p.epoch !== undefined);
    expect(epochs.at(-1)).toMatchObject({ epoch: 1, epochs: 1, metrics: { rocAuc: expect.any(Number) } });
  });

  it('reports no baseline when the current version has no model to compare', async () => {
    const result = await riskScoring.train!(dataset(), context({ outDir: temps.make('first'), dir: temps.make('empty') }));
    expect(result.metrics.rocAuc).toBeGreaterThan(0.5);
    expect(result.baseline).toBeUndefined();
  });

  it('stops between batches once cancelled, writing nothing', async () => {
    const outDir = temps.make('cancelled');
    // Batches of 4: the first progress report comes after 50 batches, mid-way through epoch 1 of 3.
    const { error, reports } = await trainCancelledAtFirstReport(riskScoring.train!, dataset(), context, outDir, 4);
    expect(error).toEqual(new Error('cancelled by the test'));
    expect(reports).toEqual([expect.objectContaining({ epoch: 1, epochs: 3, step: 50 })]);
    for (const f of ARTIFACTS) expect(existsSync(join(outDir, f)), f).toBe(false);
  });

  it('refuses a dataset whose held-out part lacks a class, counting its records in words that agree', async () => {
    // One record: line 0 is always held out, so the held-out part holds it alone, genuine.
    const one = generateSequences({ count: 1, seed: 7, fraudRate: 0 }).map(toRecord);
    await expect(riskScoring.train!(splitRecords(() => one, 1, 0.2), context({ outDir: temps.make('one') }))).rejects.toMatchObject({
      code: 'TRAINING_DATA_UNUSABLE',
      message: 'the held-out part holds 1 usable record, 0 fraudulent: it needs fraudulent and genuine ones (upload more records)',
    });
  });

  it('refuses settings it cannot use, naming them', async () => {
    await expect(riskScoring.train!(dataset(), context({ outDir: temps.make('bad'), env: { TRAIN_EPOCHS: 'many', TRAIN_LEARNING_RATE: '-1' } }))).rejects.toThrow(/TRAIN_EPOCHS.*TRAIN_LEARNING_RATE/);
  });
});

describe('risk-scoring dataset records', () => {
  const input = { transactions: [] };
  it("the manifest's record schema takes what generate-data.ts writes and feedback export lines, and refuses other labels", () => {
    const manifest = parseManifest(parseYaml(readFileSync(join(DIR, 'manifest.yaml'), 'utf8')));
    if (!manifest.ok || !manifest.manifest.training) throw new Error('manifest has no training section');
    expect(manifest.manifest.training).toMatchObject({ primaryMetric: 'rocAuc', higherIsBetter: true, tolerance: 0.01, device: 'gpu', heldOut: 0.2 });
    const validate = schemaAjv().compile(manifest.manifest.training.record);
    for (const r of RECORDS.slice(0, 50)) expect(validate(JSON.parse(JSON.stringify(r))), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ input: fraudInput(), output: { level: 'low' }, feedback: { label: 'high' } })).toBe(true);
    expect(validate({ input: fraudInput(), label: 2 })).toBe(false);
    expect(validate({ input: fraudInput() })).toBe(false);
  });

  it('reads labelled records and validation marks', () => {
    expect(readRecord({ input, label: 1 })).toEqual({ input, label: 1, validation: false });
    expect(readRecord({ input, label: 0, split: 'validation' })).toEqual({ input, label: 0, validation: true });
    expect(readRecord({ input, label: 'yes' })).toEqual({ skip: expect.stringContaining('0 or 1') });
  });

  it('reads feedback export lines: a label is the deserved level, `correct` judges the output level', () => {
    expect(readRecord({ input, output: { level: 'low' }, feedback: { label: 'high' } })).toMatchObject({ label: 1 });
    expect(readRecord({ input, output: { level: 'high' }, feedback: { label: 'low' } })).toMatchObject({ label: 0 });
    expect(readRecord({ input, output: { level: 'high' }, feedback: { correct: true } })).toMatchObject({ label: 1 });
    expect(readRecord({ input, output: { level: 'high' }, feedback: { correct: false } })).toMatchObject({ label: 0 });
    expect(readRecord({ input, output: { level: 'low' }, feedback: { correct: false } })).toMatchObject({ label: 1 });
    expect(readRecord({ input, output: { level: 'medium' }, feedback: { correct: true } })).toMatchObject({ label: 0 });
    expect(readRecord({ input, output: { code: 'X' }, failed: true, feedback: { correct: true } })).toHaveProperty('skip');
    expect(readRecord({ input, output: { level: 'high' }, feedback: { score: 0.5 } })).toHaveProperty('skip');
    expect(readRecord({ output: { level: 'high' }, feedback: { label: 'high' } })).toHaveProperty('skip');
  });
});
