import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import { schemaAjv } from '../registry/manifest-schemas.ts';
import { DatasetInvalidError, DatasetTooLargeError } from './training-errors.ts';

/** Bytes of JSON Lines per stored chunk: a worker holds about one at a time. */
export const CHUNK_BYTES = 1024 * 1024;

/** What an intake stored. */
export interface IntakeSummary {
  /** sha256 (hex) of the bytes as they came. */
  hash: string;
  records: number;
  bytes: number;
  chunks: number;
}

/** Options of {@link takeDataset}. */
export interface IntakeOptions {
  /** The manifest's `training.record`: every record is checked against it. */
  recordSchema: Record<string, unknown>;
  /** Most bytes (`AUTOGLM_TRAINING_DATA_LIMIT`). */
  maxBytes: number;
  /** The error for a dataset of no records [INVALID_DATASET on the body]: a dataset drawn from feedback names its query instead. */
  empty?: () => Error;
  /** Stores chunk `n` (whole lines): sealed by the caller's store; awaited, so a slow Redis slows the upload, not memory. */
  putChunk: (n: number, lines: Buffer) => Promise<void>;
  chunkBytes?: number;
}

const compiled = new WeakMap<object, ValidateFunction>();
function validatorOf(schema: Record<string, unknown>): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = schemaAjv().compile(schema)));
  return v;
}

/**
 * Reads a JSON Lines dataset as it streams in: each non-empty line must be a JSON object the
 * record schema accepts (the first that is not is refused, naming its line), the whole within
 * `maxBytes`; the lines are stored in chunks of whole lines as they fill, so memory holds one
 * chunk, not the dataset. The caller removes stored chunks when this throws.
 * @throws DatasetInvalidError, DatasetTooLargeError
 */
export async function takeDataset(body: AsyncIterable<Uint8Array>, o: IntakeOptions): Promise<IntakeSummary> {
  const validate = validatorOf(o.recordSchema);
  const chunkBytes = o.chunkBytes ?? CHUNK_BYTES;
  const hash = createHash('sha256');
  let bytes = 0;
  let records = 0;
  let line = 0;
  let chunks = 0;
  let pending: Buffer = Buffer.alloc(0);
  let chunk: Buffer[] = [];
  let chunkSize = 0;

  const flush = async () => {
    if (chunkSize === 0) return;
    await o.putChunk(chunks++, Buffer.concat(chunk, chunkSize));
    chunk = [];
    chunkSize = 0;
  };
  const take = async (raw: Buffer) => {
    line++;
    const text = raw.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new DatasetInvalidError(line, `not JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DatasetInvalidError(line, 'a record must be a JSON object');
    if (!validate(value)) {
      const e = validate.errors![0]!;
      throw new DatasetInvalidError(line, `${e.instancePath || '(record)'} ${e.message ?? 'is not allowed'} (manifest training.record)`, `body[${line}]${e.instancePath}`);
    }
    records++;
    const stored = Buffer.from(text + '\n', 'utf8');
    chunk.push(stored);
    chunkSize += stored.length;
    if (chunkSize >= chunkBytes) await flush();
  };

  for await (const piece of body) {
    bytes += piece.length;
    if (bytes > o.maxBytes) throw new DatasetTooLargeError(o.maxBytes);
    hash.update(piece);
    pending = pending.length ? Buffer.concat([pending, piece]) : Buffer.from(piece);
    let start = 0;
    for (let nl = pending.indexOf(10, start); nl !== -1; nl = pending.indexOf(10, start)) {
      await take(pending.subarray(start, nl));
      start = nl + 1;
    }
    pending = pending.subarray(start);
  }
  if (pending.length) await take(pending);
  await flush();
  if (records === 0) throw o.empty?.() ?? new DatasetInvalidError(Math.max(line, 1), 'the dataset holds no records');
  return { hash: hash.digest('hex'), records, bytes, chunks };
}
