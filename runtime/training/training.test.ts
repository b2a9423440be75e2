import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { TarReader, packBundle } from '../../functions/sdk/bundle/index.ts';
import { isHeldOut, splitRecords } from '../../functions/sdk/index.ts';
import type { FunctionState } from '../../queue/cluster/index.ts';
import { takeDataset } from './dataset-intake.ts';
import { DatasetInvalidError, DatasetTooLargeError, NotTrainableError } from './training-errors.ts';
import { trainedBundle, verdictOf } from './trained-versions.ts';
import { Trainings, type TrainingsDeps } from './trainings.ts';

/** Feeds `text` in pieces of `size` bytes, as a socket would (lines cut anywhere). */
async function* pieces(text: string, size = 7): AsyncGenerator<Uint8Array> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const SCHEMA = { type: 'object', required: ['x'], properties: { x: { type: 'number' } } };

async function take(text: string, o: { maxBytes?: number; chunkBytes?: number } = {}) {
  const chunks: Buffer[] = [];
  const summary = await takeDataset(pieces(text), { recordSchema: SCHEMA, maxBytes: o.maxBytes ?? 1e6, chunkBytes: o.chunkBytes ?? 40, putChunk: async (n, lines) => void (chunks[n] = lines) });
  return { summary, chunks };
}

describe('takeDataset', () => {
  it('stores whole lines in chunks, skips blank lines, counts records and hashes the bytes as sent', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ x: i, note: 'n'.repeat(i % 5) }));
    const text = lines.join('\r\n') + '\n\n';
    const { summary, chunks } = await take(text);
    expect(summary).toEqual({ hash: createHash('sha256').update(text).digest('hex'), records: 20, bytes: Buffer.byteLength(text), chunks: chunks.length });
    expect(chunks.length).toBeGreaterThan(3);
    // Every chunk is whole lines; together they are the records in order.
    for (const c of chunks) expect(c.toString().endsWith('\n')).toBe(true);
    expect(Buffer.concat(chunks).toString().trimEnd().split('\n')).toEqual(lines);
  });

  it('refuses a line that is not JSON, or not an object, or not a record the schema takes, naming its line and field', async () => {
    const bad = async (text: string) => {
      const e = await take(text).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(DatasetInvalidError);
      return e as DatasetInvalidError;
    };
    expect((await bad('{"x":1}\n{"x":2}\n{"x":\n')).line).toBe(3);
    expect((await bad('{"x":1}\n\n[1,2]\n')).line).toBe(3);
    const e = await bad('{"x":1}\n{"x":"one"}\n');
    expect(e.line).toBe(2);
    expect(e.extra).toMatchObject({ field: 'body[2]/x', line: 2 });
    expect((await bad('\n\n')).message).toMatch(/no records/);
  });

  it('stops at the byte limit, as the bytes come', async () => {
    const text = Array.from({ length: 100 }, (_, i) => JSON.stringify({ x: i })).join('\n');
    await expect(take(text, { maxBytes: 200 })).rejects.toBeInstanceOf(DatasetTooLargeError);
  });
});

describe('Trainings.start', () => {
  const V = 'a1b2c3d4e5f6';
  // Refused before anything is stored: the trainings' stores are never reached.
  const trainings = new Trainings({} as TrainingsDeps);
  const echo = { name: 'echo', namespace: 'default', createdAt: 0, versions: { [V]: { version: V, manifest: {} } }, traffic: { stable: V } } as unknown as FunctionState;
  const refusal = (version?: string) => trainings.start(echo, { ...(version ? { version } : {}), then: 'none', source: { feedbackSince: 0 }, by: 't' }).catch((err: unknown) => err);

  it('refuses a version without `training`, naming the function when no version was asked for, and the query\'s version when one was', async () => {
    const chosenByDefault = await refusal();
    expect(chosenByDefault).toBeInstanceOf(NotTrainableError);
    expect((chosenByDefault as NotTrainableError).extra).toEqual({ field: 'name', in: 'path' });
    expect(((await refusal(V)) as NotTrainableError).extra).toEqual({ field: 'version', in: 'query' });
  });
});

describe('the held-out split', () => {
  it('is fixed by line number, spread over the file, near the share asked, and the same on every read', async () => {
    const held = Array.from({ length: 10_000 }, (_, i) => i).filter((i) => isHeldOut(i, 0.2));
    expect(held.length / 10_000).toBeGreaterThan(0.18);
    expect(held.length / 10_000).toBeLessThan(0.22);
    // Spread: each tenth of the file holds some.
    for (let d = 0; d < 10; d++) expect(held.filter((i) => i >= d * 1000 && i < (d + 1) * 1000).length).toBeGreaterThan(100);
    const data = splitRecords(() => Array.from({ length: 100 }, (_, i) => i), 100, 0.2);
    const read = async (it: AsyncIterable<number>) => {
      const out: number[] = [];
      for await (const x of it) out.push(x);
      return out;
    };
    const [train, heldOut, again] = [await read(data.train), await read(data.heldOut), await read(data.heldOut)];
    expect(heldOut).toEqual(again);
    expect([...train, ...heldOut].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(data.counts).toEqual({ train: train.length, heldOut: heldOut.length });
  });
});

describe('a trained version', () => {
  const t = { primaryMetric: 'auc', higherIsBetter: true, tolerance: 0.01 };
  it('is judged on the primary metric against stable on the same records, within the tolerance', () => {
    expect(verdictOf(t, { auc: 0.9 }, { auc: 0.89 })).toBe('better');
    expect(verdictOf(t, { auc: 0.885 }, { auc: 0.89 })).toBe('within');
    expect(verdictOf(t, { auc: 0.87 }, { auc: 0.89 })).toBe('worse');
    expect(verdictOf({ ...t, higherIsBetter: false }, { auc: 0.87 }, { auc: 0.89 })).toBe('better');
    expect(verdictOf(t, { auc: 0.9 }, undefined)).toBe('unmeasured');
  });

  it("is the retrained version's files with the written ones in their place, packed the same way every time", () => {
    const base = [
      { path: 'manifest.yaml', data: Buffer.from('name: f\n') },
      { path: 'index.mjs', data: Buffer.from('export default 1') },
      { path: 'artifacts/model.json', data: Buffer.from('{"w":1}') },
    ];
    const written = [
      { path: 'artifacts/new.bin', data: Buffer.from([1, 2]) },
      { path: 'artifacts/model.json', data: Buffer.from('{"w":2}') },
    ];
    const a = trainedBundle(base, written);
    expect(a.equals(trainedBundle(base, written))).toBe(true);
    expect(a.equals(packBundle(base))).toBe(false);
    const r = new TarReader({ maxBytes: 1e6, maxEntries: 100 });
    r.push(gunzipSync(a));
    const files = Object.fromEntries(r.end().map((f) => [f.path, f.data.toString()]));
    expect(files).toEqual({ 'manifest.yaml': 'name: f\n', 'index.mjs': 'export default 1', 'artifacts/model.json': '{"w":2}', 'artifacts/new.bin': '\u0001\u0002' });
  });
});
