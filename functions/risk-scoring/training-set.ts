import { isHeldOut, type Logger } from '../sdk/index.ts';
import { driftFeatures } from './drift-features.ts';
import { rawFeatures, type RawSequence } from './features.ts';
import { readRecord } from './training-records.ts';
import { parsedRiskInput } from './validate-input.ts';

/**
 * Share of the train side's records `train` keeps back to choose the thresholds when no record
 * is marked `split: "validation"`, chosen by position (the SDK's held-out hash, so the same
 * records every time).
 */
export const VALIDATION_SHARE = 0.2;

/** A history reduced to what training needs: its features (not its JSON) and its label. */
export interface Sample {
  seq: RawSequence;
  label: 0 | 1;
}

/** The train side, read once: what to learn from, what to choose thresholds on, and the drift sample. */
export interface TrainSide {
  train: Sample[];
  validation: Sample[];
  /** Drift features of the validation histories (the population live traffic should look like). */
  drift: Record<string, number[]>;
  /** `marked`: the records with `split: "validation"`; `carved`: {@link VALIDATION_SHARE} of the rest. */
  validationFrom: 'marked' | 'carved';
  /** Records that taught nothing, by reason. */
  skipped: Record<string, number>;
}

/** Counts skipped records by reason, logging the first of each reason (a dataset may hold thousands alike). */
class Skips {
  readonly counts: Record<string, number> = {};
  constructor(private readonly log: Logger, private readonly side: string) {}
  add(index: number, reason: string): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    if (this.counts[reason] === 1) this.log.warn(`skipping ${this.side} record ${index}: ${reason} (further records skipped for this reason are only counted)`);
  }
}

/** One record as a sample (and its input, for the drift features), or the reason it is skipped. */
function toSample(record: unknown): { sample: Sample; input: unknown; validation: boolean } | string {
  const r = readRecord(record);
  if ('skip' in r) return r.skip;
  const req = parsedRiskInput(r.input);
  if (req instanceof Error) return `invalid input: ${req.field}: ${req.message}`;
  return { sample: { seq: rawFeatures(req), label: r.label }, input: r.input, validation: r.validation };
}

/** Called every {@link CHECK_EVERY} records read, so a long read still reports progress and notices a cancel. */
export type Checkpoint = (records: number) => Promise<void>;
const CHECK_EVERY = 2_000;

/** Reads the held-out records into samples (their JSON is dropped as it is read). */
export async function readHeldOut(records: AsyncIterable<unknown>, log: Logger, checkpoint: Checkpoint): Promise<{ samples: Sample[]; skipped: Record<string, number> }> {
  const samples: Sample[] = [];
  const skips = new Skips(log, 'held-out');
  let i = 0;
  for await (const record of records) {
    const s = toSample(record);
    if (typeof s === 'string') skips.add(i, s);
    else samples.push(s.sample);
    if (++i % CHECK_EVERY === 0) await checkpoint(i);
  }
  return { samples, skipped: skips.counts };
}


/**
 * Reads the train side once, keeping features only. Validation is the records marked
 * `split: "validation"` when there are any (so a natural-rate validation set can sit next to a
 * fraud-enriched training set, as the offline recipe has it), else every record at a
 * {@link VALIDATION_SHARE} position; the rest is trained on, in file order.
 */
export async function readTrainSide(records: AsyncIterable<unknown>, log: Logger, checkpoint: Checkpoint): Promise<TrainSide> {
  type Row = { sample: Sample; marked: boolean; carved: boolean };
  const rows: Row[] = [];
  const drift = { marked: {} as Record<string, number[]>, carved: {} as Record<string, number[]> };
  const skips = new Skips(log, 'training');
  let i = 0;
  let unmarked = 0;
  for await (const record of records) {
    const s = toSample(record);
    if (typeof s === 'string') {
      skips.add(i, s);
    } else {
      const row: Row = { sample: s.sample, marked: s.validation, carved: !s.validation && isHeldOut(unmarked++, VALIDATION_SHARE) };
      rows.push(row);
      if (row.marked || row.carved) {
        const into = row.marked ? drift.marked : drift.carved;
        for (const [name, v] of Object.entries(driftFeatures(s.input as never))) (into[name] ??= []).push(v);
      }
    }
    if (++i % CHECK_EVERY === 0) await checkpoint(i);
  }
  const validationFrom = rows.some((r) => r.marked) ? 'marked' : 'carved';
  const isValidation = (r: Row) => (validationFrom === 'marked' ? r.marked : r.carved);
  return {
    train: rows.filter((r) => !isValidation(r)).map((r) => r.sample),
    validation: rows.filter(isValidation).map((r) => r.sample),
    drift: drift[validationFrom],
    validationFrom,
    skipped: skips.counts,
  };
}
