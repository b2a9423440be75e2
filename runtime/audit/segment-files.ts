/**
 * The on-disk layout of the audit log, and the few file primitives it needs.
 *
 * ```
 * <stateDir>/audit/
 *   <chainId>/                          one per writing process (see chain-lock.ts)
 *     lock                              {pid, host, nonce, since} of the holder
 *     head.json                         {seq, hash, time, segment} of the last record on disk
 *     anchor.json                       {seq, hash, time, prunedAt} of the last record deleted by retention
 *     0000000000000001_2024-05-01.jsonl segments: first seq (16 digits) _ UTC day of that record
 *     0000000000004711_2024-05-02.jsonl
 * ```
 */
import { createReadStream } from 'node:fs';
import { open, readFile, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const HEAD_FILE = 'head.json';
export const ANCHOR_FILE = 'anchor.json';
export const LOCK_FILE = 'lock';

const SEGMENT_RE = /^(\d{16})_(\d{4}-\d{2}-\d{2})\.jsonl$/;
export const CHAIN_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What head.json holds: the newest record known to be on disk. */
export interface ChainHead {
  chain: string;
  seq: number;
  hash: string;
  time?: string;
  segment?: string;
}

/** What anchor.json holds: the newest record retention deleted; verification starts after it. */
export interface ChainAnchor {
  seq: number;
  hash: string;
  /** Time of that record. */
  time: string;
  prunedAt: string;
}

/** `0000000000000001_2024-05-01.jsonl`: segments sort by their first seq. */
export function segmentName(firstSeq: number, time: string): string {
  return `${String(firstSeq).padStart(16, '0')}_${time.slice(0, 10)}.jsonl`;
}

export function parseSegmentName(name: string): { firstSeq: number; day: string } | undefined {
  const m = SEGMENT_RE.exec(name);
  return m ? { firstSeq: Number(m[1]), day: m[2]! } : undefined;
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** A chain's segment files, oldest first. Other files are ignored. */
export async function listSegments(chainDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(chainDir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  return names.filter((n) => SEGMENT_RE.test(n)).sort();
}

/** The chain ids under an audit directory, sorted. */
export async function listChains(auditDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(auditDir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  return entries.filter((e) => e.isDirectory() && CHAIN_RE.test(e.name)).map((e) => e.name).sort();
}

/** A JSON file's value; undefined when the file does not exist. @throws SyntaxError when it is not JSON. */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/** Replaces `path` atomically (write, fsync, rename): a crash leaves the old or the new content, never half. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(value) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** One line of a segment. `complete` is false for a final line without its newline (a write cut short). */
export interface SegmentLine {
  text: string;
  /** 1-based line number in the file. */
  n: number;
  complete: boolean;
}

/** Streams a segment's lines with constant memory, however large the file. */
export async function* readLines(path: string): AsyncGenerator<SegmentLine> {
  let rest: Buffer = Buffer.alloc(0);
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    // UTF-8 never puts 0x0a inside a multi-byte character, so splitting bytes on it is safe.
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, start)) {
      yield { text: buf.toString('utf8', start, i), n: ++n, complete: true };
      start = i + 1;
    }
    rest = buf.subarray(start);
  }
  if (rest.length) yield { text: rest.toString('utf8'), n: ++n, complete: false };
}

/**
 * The last complete line of a file (read from its end), and where it ends. `torn` counts bytes
 * after the last newline: a write cut short. Undefined when the file holds no complete line.
 */
export async function readLastLine(path: string): Promise<{ text: string; end: number; torn: number } | undefined> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    // Records are at most a few KiB; 1 MiB from the end always holds the last complete one.
    const len = Math.min(size, 1024 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const lastNl = buf.lastIndexOf(10);
    if (lastNl === -1) return undefined;
    const prevNl = lastNl === 0 ? -1 : buf.lastIndexOf(10, lastNl - 1);
    if (prevNl === -1 && len < size) return undefined;
    const end = size - len + lastNl + 1;
    return { text: buf.toString('utf8', prevNl + 1, lastNl), end, torn: size - end };
  } finally {
    await fh.close();
  }
}

/** Size of a file, 0 when it does not exist. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (isMissing(err)) return 0;
    throw err;
  }
}

export const chainDir = (auditDir: string, chain: string): string => join(auditDir, chain);
