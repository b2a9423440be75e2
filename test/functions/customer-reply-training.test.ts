import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitRecords, type TrainingData } from '../../functions/sdk/index.ts';
import { loadExamples } from '../../functions/customer-reply/dataset.ts';
import customerReply, { type ReplyOutput } from '../../functions/customer-reply/handler.ts';
import { INTENTS } from '../../functions/customer-reply/intents.ts';
import { readRecord } from '../../functions/customer-reply/training-records.ts';
import { parse as parseYaml } from 'yaml';
import { parseManifest } from '../../functions/sdk/index.ts';
import { schemaAjv } from '../../runtime/registry/manifest-schemas.ts';
import { TempDirs, invocationContext, loadContext, newVersionFolder, trainCancelledAtFirstReport, trainingContext } from './training-fixtures.ts';

const DIR = fileURLToPath(new URL('../../functions/customer-reply/', import.meta.url));
const ARTIFACTS = ['artifacts/model.json', 'artifacts/weights.bin', 'artifacts/model-meta.json'];
const temps = new TempDirs('reply-train');

/** 300 of the committed messages (15 per intent and language), as dataset records, split as the platform splits an upload. */
const RECORDS = INTENTS.flatMap((intent) =>
  (['zh', 'en'] as const).flatMap((lang) =>
    loadExamples(DIR)
      .filter((e) => e.intent === intent && e.lang === lang)
      .slice(0, 15)
      .map((e) => ({ text: e.text, intent: e.intent, language: e.lang })),
  ),
);
const dataset = (): TrainingData => splitRecords(() => RECORDS, RECORDS.length, 0.2);

const context = (over: Parameters<typeof trainingContext>[2]) => trainingContext('customer-reply', DIR, over);

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(() => {
  temps.removeAll();
});

describe('customer-reply train', () => {
  it('refuses a training part of one intent, counting its records in words that agree', async () => {
    // Two records: line 0 is held out, line 1 is the whole training part.
    const two = RECORDS.slice(0, 2);
    await expect(customerReply.train!(splitRecords(() => two, 2, 0.2), context({ outDir: temps.make('two') }))).rejects.toMatchObject({
      code: 'TRAINING_DATA_UNUSABLE',
      message: 'the training part holds 1 usable record of 1 intent: it needs at least two',
    });
  });

  it('writes a classifier the handler loads, and reports it and the current one on the same held-out records', async () => {
    const outDir = temps.make('out');
    const ctx = context({ outDir });
    const result = await customerReply.train!(dataset(), ctx);

    for (const f of ARTIFACTS) expect(existsSync(join(outDir, f)), f).toBe(true);
    const version = newVersionFolder(temps, DIR, outDir);
    const state = await customerReply.load!(loadContext(version));
    try {
      expect(state.model.meta.training).toMatchObject({ epochs: 1, trainExamples: dataset().counts.train });
      const [out] = (await customerReply.handle([{ message: 'Where is my parcel?' }], state, invocationContext('customer-reply'))) as ReplyOutput[];
      expect(INTENTS).toContain(out!.intent);
      expect(out!.reply.length).toBeGreaterThan(0);
    } finally {
      customerReply.unload!(state);
    }
    const meta = JSON.parse(readFileSync(join(outDir, 'artifacts/model-meta.json'), 'utf8')) as Record<string, unknown>;
    // Hashes of the committed data describe a model trained on it (train.ts), not on an upload.
    expect(meta.data).toBeUndefined();

    for (const m of [result.metrics, result.baseline!]) {
      expect(Object.keys(m).sort()).toEqual(['accuracy', 'accuracyEn', 'accuracyZh', 'macroF1']);
      expect(m.accuracy).toBeGreaterThanOrEqual(0);
      expect(m.accuracy).toBeLessThanOrEqual(1);
    }
    // The shipped classifier (20 epochs on 2,154 messages, most of these among them) beats one epoch on 240.
    expect(result.baseline!.accuracy).toBeGreaterThan(0.9);
    expect(result.baseline!.accuracy).toBeGreaterThan(result.metrics.accuracy!);
    expect(result.details).toMatchObject({ epochs: 1, records: { train: dataset().counts.train, heldOut: dataset().counts.heldOut } });
    expect(ctx.reports.filter((p) => p.epoch !== undefined).at(-1)).toMatchObject({ epoch: 1, epochs: 1, metrics: { trainAccuracy: expect.any(Number) } });
  });

  it('stops between batches once cancelled, writing nothing', async () => {
    const outDir = temps.make('cancelled');
    // Batches of 2: the first progress report comes after 50 batches, mid-way through epoch 1 of 3.
    const { error, reports } = await trainCancelledAtFirstReport(customerReply.train!, dataset(), context, outDir, 2);
    expect(error).toEqual(new Error('cancelled by the test'));
    expect(reports).toEqual([expect.objectContaining({ epoch: 1, epochs: 3, step: 50 })]);
    for (const f of ARTIFACTS) expect(existsSync(join(outDir, f)), f).toBe(false);
  });
});

describe('customer-reply dataset records', () => {
  it("the manifest's record schema takes labelled records and feedback export lines, and refuses unknown intents", () => {
    const manifest = parseManifest(parseYaml(readFileSync(join(DIR, 'manifest.yaml'), 'utf8')));
    if (!manifest.ok || !manifest.manifest.training) throw new Error('manifest has no training section');
    expect(manifest.manifest.training).toMatchObject({ primaryMetric: 'accuracy', higherIsBetter: true, heldOut: 0.2 });
    const validate = schemaAjv().compile(manifest.manifest.training.record);
    for (const r of RECORDS) expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ input: { message: 'Where is it?' }, output: { intent: 'other' }, feedback: { label: 'delivery_delay' } })).toBe(true);
    expect(validate({ text: 'Where is it?', intent: 'parcel' })).toBe(false);
    expect(validate({ text: 'Where is it?' })).toBe(false);
  });

  it('reads labelled records, detecting the language when not given', () => {
    expect(readRecord({ text: '我要退款', intent: 'refund_request' })).toEqual({ text: '我要退款', intent: 'refund_request', lang: 'zh' });
    expect(readRecord({ text: 'refund me', intent: 'refund_request', language: 'en' })).toEqual({ text: 'refund me', intent: 'refund_request', lang: 'en' });
    expect(readRecord({ text: 'refund me', intent: 'refunds' })).toEqual({ skip: expect.stringContaining('unknown intent') });
  });

  it('reads feedback export lines: a label is the right intent, `correct: true` confirms the output', () => {
    const input = { message: 'Where is my parcel?' };
    expect(readRecord({ input, output: { intent: 'other' }, feedback: { label: 'delivery_delay' } })).toMatchObject({ text: input.message, intent: 'delivery_delay' });
    expect(readRecord({ input, output: { intent: 'delivery_delay' }, feedback: { correct: true } })).toMatchObject({ intent: 'delivery_delay' });
    expect(readRecord({ input, output: { intent: 'other' }, feedback: { correct: false } })).toHaveProperty('skip');
    expect(readRecord({ input, output: { code: 'X' }, failed: true, feedback: { correct: true } })).toHaveProperty('skip');
    expect(readRecord({ output: { intent: 'other' }, feedback: { label: 'other' } })).toHaveProperty('skip');
  });
});
