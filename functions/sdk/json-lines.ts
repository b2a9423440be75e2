import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { splitRecords, type TrainingData } from './training.ts';

/**
 * The records of a JSON Lines file, parsed one line at a time as they are read (blank lines are
 * skipped but counted, so an error names the line an editor shows).
 * @throws Error naming the file and line of a line that is not JSON
 */
export async function* jsonLinesRecords(path: string): AsyncGenerator<unknown> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as unknown;
    } catch (err) {
      throw new Error(`${path}:${n}: not JSON (${(err as Error).message})`);
    }
  }
}

/**
 * A JSON Lines file as {@link TrainingData}, split as the platform splits an upload
 * ({@link splitRecords}: `share` held out by record number), for running a function's `train`
 * offline on the same records. The file is read once to count, then again on every iteration.
 */
export async function jsonLinesDataset(path: string, share: number): Promise<TrainingData> {
  let total = 0;
  for await (const _ of jsonLinesRecords(path)) total++;
  return splitRecords(() => jsonLinesRecords(path), total, share);
}
