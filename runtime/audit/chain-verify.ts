import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLogNotFoundError } from './audit-errors.ts';
import type { AuditKeyring } from './audit-keys.ts';
import { GENESIS, malformed, sealProblem, type AuditRecord } from './audit-record.ts';
import type { HeadAnchor, HeadAnchors } from './head-anchors.ts';
import { ANCHOR_FILE, HEAD_FILE, listChains, listSegments, parseSegmentName, readJsonFile, readLines, type ChainAnchor, type ChainHead } from './segment-files.ts';

/** Where verification first failed. `file` is relative to the audit directory (`<chain>/<segment>`). */
export interface BadRecord {
  chain: string;
  file: string;
  /** 1-based line in `file`, when the failure is at a line. */
  line?: number;
  /** The seq that belongs at that place (for a missing record, the missing one). */
  seq?: number;
  reason: string;
}

/** The outcome for one chain. */
export interface ChainReport {
  chain: string;
  ok: boolean;
  /** Records checked. */
  records: number;
  firstSeq?: number;
  lastSeq?: number;
  /** Retention deleted everything up to and including this seq. */
  anchorSeq?: number;
  segments: number;
  /** Hash of the last record checked: compare it with a copy kept elsewhere (a SIEM). */
  lastHash?: string;
  /**
   * Records sealed without a key (written before the chain was keyed): their hashes are plain
   * sha256, so they prove order, not authorship. Only a chain's first records can be legacy.
   */
  legacy?: { records: number; lastSeq: number };
  /** The chain's head anchored in Redis, compared with the files; absent when not checked (offline). */
  headAnchor?: HeadAnchorCheck;
  /** The newest segment ends in a partial line (a write in progress, or cut by a crash); not counted. */
  torn?: boolean;
  firstBad?: BadRecord;
}

/**
 * How a chain's files compare with its anchor in Redis. `match`: the anchored record is the last
 * one. `behind`: it is an earlier record of the files (a write being anchored, or Redis lost its
 * latest writes; records after it are as trustworthy as their key). `missing`: no anchor (fails
 * when the chain has records). `ahead`: the anchor names records the files no longer have (fails).
 * `mismatch`: the record at the anchor's seq is another one (fails). `folder missing`: Redis
 * anchors a chain with no folder (fails).
 */
export interface HeadAnchorCheck {
  status: 'match' | 'behind' | 'missing' | 'ahead' | 'mismatch' | 'folder missing';
  /** The anchored seq. */
  seq?: number;
  /** Records in the files after the anchored one. */
  behind?: number;
}

/** What verification checks records and heads with. */
export interface VerifyOptions {
  /** The audit keys. Without the key a record names, that record fails: it cannot be authenticated. */
  keys?: AuditKeyring;
  /** Chains' heads anchored outside the files. Without them, cut tails and deleted chains go unseen (offline verify). */
  anchors?: HeadAnchors;
  /** Where `anchors` come from, for the reasons verify gives [Redis]. */
  anchorsIn?: string;
}

/** The outcome for a whole audit directory: every chain in it. */
export interface VerifyReport {
  ok: boolean;
  records: number;
  chains: ChainReport[];
  /** The first failure, in chain order. */
  firstBad?: BadRecord;
}

/** Where a walk starts: the seq and hash of the record before the first one to read. */
export interface WalkStart {
  seq: number;
  prev: string;
}

export interface WalkResult {
  /** The last good record's seq and hash (`start` when none was read). */
  seq: number;
  hash: string;
  time?: string;
  records: number;
  firstSeq?: number;
  /** Position of the last record read. */
  last?: { file: string; line: number };
  /** The hash found at `headSeq`, and where. */
  atHead?: { hash: string; file: string; line: number };
  /** The hash found at `anchorSeq`, and where. */
  atAnchor?: { hash: string; file: string; line: number };
  /** Unkeyed (legacy) records read, and the last one's seq. */
  legacy: number;
  legacyLastSeq?: number;
  /** A keyed record was read: no unkeyed one may follow. */
  keyed: boolean;
  /** `target`s of audit.prune records: the anchors the chain itself vouches for. */
  prunes: Set<string>;
  torn: boolean;
  bad?: BadRecord;
}

/** The `target` of the audit.prune record that vouches for an anchor. */
export const anchorTarget = (a: { seq: number; hash: string }): string => `anchor:${a.seq}:${a.hash}`;

/**
 * Reads `segments` in order and checks, record by record: well-formed JSON, seq one more than
 * the last, hash recomputed from the content, prev equal to the previous hash. Stops at the first
 * failure. Memory stays constant however long the chain.
 */
export async function walkSegments(
  chainDir: string,
  chain: string,
  segments: readonly string[],
  start: WalkStart,
  opts: { keys?: AuditKeyring; tornTailAllowed?: boolean; headSeq?: number; anchorSeq?: number; signal?: AbortSignal } = {},
): Promise<WalkResult> {
  const r: WalkResult = { seq: start.seq, hash: start.prev, records: 0, prunes: new Set(), torn: false, legacy: 0, keyed: false };
  const fail = (file: string, line: number, reason: string): WalkResult => ({ ...r, bad: { chain, file, line, seq: r.seq + 1, reason } });
  for (let i = 0; i < segments.length; i++) {
    opts.signal?.throwIfAborted();
    const file = `${chain}/${segments[i]}`;
    for await (const l of readLines(join(chainDir, segments[i]!))) {
      if (!l.complete) {
        if (i === segments.length - 1 && opts.tornTailAllowed) {
          r.torn = true;
          break;
        }
        return fail(file, l.n, 'incomplete line (no newline) inside the chain');
      }
      let rec: AuditRecord;
      try {
        rec = JSON.parse(l.text) as AuditRecord;
      } catch {
        return fail(file, l.n, 'not valid JSON');
      }
      const why = malformed(rec);
      if (why) return fail(file, l.n, `malformed record: ${why}`);
      const want = r.seq + 1;
      if (rec.seq !== want) return fail(file, l.n, `expected seq ${want} here, found seq ${rec.seq}: records were deleted, inserted or reordered`);
      const unsealed = sealProblem(rec, opts.keys);
      if (unsealed) return fail(file, l.n, unsealed);
      if (rec.kid === undefined && r.keyed) return fail(file, l.n, 'unkeyed record after keyed ones: it was rewritten without the audit key');
      if (rec.prev !== r.hash) return fail(file, l.n, `prev does not match the hash of ${r.records === 0 && start.seq > 0 ? 'the anchor' : `record ${r.seq}`}: a record before it was replaced`);
      r.seq = rec.seq;
      r.hash = rec.hash;
      r.time = rec.time;
      r.records++;
      r.firstSeq ??= rec.seq;
      r.last = { file, line: l.n };
      if (rec.seq === opts.headSeq) r.atHead = { hash: rec.hash, file, line: l.n };
      if (rec.seq === opts.anchorSeq) r.atAnchor = { hash: rec.hash, file, line: l.n };
      if (rec.kid !== undefined) r.keyed = true;
      else {
        r.legacy++;
        r.legacyLastSeq = rec.seq;
      }
      if (rec.action === 'audit.prune' && typeof rec.target === 'string') r.prunes.add(rec.target);
    }
  }
  return r;
}

const HEX64 = /^[0-9a-f]{64}$/;
const validPoint = (p: unknown): p is { seq: number; hash: string } =>
  !!p && typeof p === 'object' && Number.isSafeInteger((p as ChainHead).seq) && (p as ChainHead).seq >= 0 && typeof (p as ChainHead).hash === 'string' && HEX64.test((p as ChainHead).hash);

/** Segments entirely at or before the anchor: left by a prune that stopped before deleting them. */
export function afterAnchor(segments: readonly string[], anchor: ChainAnchor | undefined): string[] {
  if (!anchor) return [...segments];
  let i = 0;
  while (i + 1 < segments.length && (parseSegmentName(segments[i + 1]!)?.firstSeq ?? Infinity) <= anchor.seq + 1) i++;
  return segments.slice(i);
}

async function verifyChainOnce(auditDir: string, chain: string, { keys, anchored }: ChainVerifyOptions): Promise<ChainReport> {
  const dir = join(auditDir, chain);
  const report: ChainReport = { chain, ok: false, records: 0, segments: 0 };
  const bad = (b: Omit<BadRecord, 'chain'>): ChainReport => ({ ...report, ok: false, firstBad: { chain, ...b } });
  // Head first: it is written after the data it names, so whatever is read next holds at least as much.
  let head: ChainHead | undefined;
  let anchor: ChainAnchor | undefined;
  try {
    head = await readJsonFile<ChainHead>(join(dir, HEAD_FILE));
  } catch {
    return bad({ file: `${chain}/${HEAD_FILE}`, reason: 'head.json is not valid JSON' });
  }
  if (head !== undefined && !validPoint(head)) return bad({ file: `${chain}/${HEAD_FILE}`, reason: 'head.json has no valid seq and hash' });
  try {
    anchor = await readJsonFile<ChainAnchor>(join(dir, ANCHOR_FILE));
  } catch {
    return bad({ file: `${chain}/${ANCHOR_FILE}`, reason: 'anchor.json is not valid JSON' });
  }
  if (anchor !== undefined && !validPoint(anchor)) return bad({ file: `${chain}/${ANCHOR_FILE}`, reason: 'anchor.json has no valid seq and hash' });
  if (anchor) report.anchorSeq = anchor.seq;

  const segments = afterAnchor(await listSegments(dir), anchor);
  report.segments = segments.length;
  const start: WalkStart = anchor ? { seq: anchor.seq, prev: anchor.hash } : { seq: 0, prev: GENESIS };
  const redis = anchored?.anchor;
  const w = await walkSegments(dir, chain, segments, start, {
    tornTailAllowed: true,
    ...(keys ? { keys } : {}),
    ...(head ? { headSeq: head.seq } : {}),
    ...(redis ? { anchorSeq: redis.seq } : {}),
  });
  report.records = w.records;
  if (w.firstSeq !== undefined) report.firstSeq = w.firstSeq;
  if (w.records > 0) report.lastSeq = w.seq;
  if (w.records > 0) report.lastHash = w.hash;
  if (w.legacy > 0) report.legacy = { records: w.legacy, lastSeq: w.legacyLastSeq! };
  if (w.torn) report.torn = true;
  if (w.bad) return { ...report, firstBad: w.bad };

  const lastFile = w.last?.file ?? (segments.length ? `${chain}/${segments.at(-1)}` : `${chain}/${HEAD_FILE}`);
  const nextLine = (w.last?.line ?? 0) + 1;
  if (anchored) {
    const check = compareAnchor(chain, anchored, w, start, lastFile, nextLine);
    report.headAnchor = check.check;
    if (check.bad) return bad(check.bad);
  }
  if (!head) {
    if (w.records === 0 && !anchor) return { ...report, ok: true };
    return bad({ file: `${chain}/${HEAD_FILE}`, reason: 'head.json is missing: the end of the chain cannot be checked' });
  }
  if (head.seq > w.seq) {
    return bad({ file: lastFile, line: nextLine, seq: w.seq + 1, reason: `records ${w.seq + 1}..${head.seq} are missing from the end: head.json says the chain ends at seq ${head.seq}` });
  }
  if (head.seq < start.seq) return bad({ file: `${chain}/${HEAD_FILE}`, seq: head.seq, reason: `head.json (seq ${head.seq}) is older than anchor.json (seq ${start.seq})` });
  // head.seq below the last record: head is rewritten after each flush, so a crash (or this very
  // read) can see it lag behind. The record it names must still be the one it names.
  const headHash = head.seq === start.seq ? { hash: start.prev, file: `${chain}/${ANCHOR_FILE}`, line: undefined } : w.atHead;
  if (!headHash || headHash.hash !== head.hash) {
    return bad({ file: headHash?.file ?? lastFile, ...(headHash?.line ? { line: headHash.line } : {}), seq: head.seq, reason: `record ${head.seq} does not match head.json` });
  }
  if (anchor && !w.prunes.has(anchorTarget(anchor))) {
    return bad({ file: `${chain}/${ANCHOR_FILE}`, seq: anchor.seq, reason: 'anchor.json is not vouched for by an audit.prune record in the chain: records before it may have been deleted' });
  }
  return { ...report, ok: true };
}

/** How one chain is verified: with these keys; against this anchor from Redis, when `anchored` is given (not offline). */
export interface ChainVerifyOptions {
  keys?: AuditKeyring | undefined;
  anchored?: { anchor: HeadAnchor | undefined; where?: string };
}

/** The files against the anchor in Redis: records cut from the end, or rewritten, show here. */
function compareAnchor(
  chain: string,
  { anchor: a, where = 'Redis' }: NonNullable<ChainVerifyOptions['anchored']>,
  w: WalkResult,
  start: WalkStart,
  lastFile: string,
  nextLine: number,
): { check: HeadAnchorCheck; bad?: Omit<BadRecord, 'chain'> } {
  if (!a) {
    if (w.seq === 0) return { check: { status: 'missing' } };
    return {
      check: { status: 'missing' },
      bad: { file: `${chain}/${HEAD_FILE}`, seq: w.seq, reason: `the chain has no anchor in ${where}: its anchor was deleted, or it was never written by a router of this platform` },
    };
  }
  if (a.seq > w.seq) {
    return {
      check: { status: 'ahead', seq: a.seq },
      bad: { file: lastFile, line: nextLine, seq: w.seq + 1, reason: `records ${w.seq + 1}..${a.seq} are missing from the end: the chain is anchored in ${where} at seq ${a.seq}` },
    };
  }
  // An anchor older than the retention anchor predates every record left: nothing to compare it with.
  const found = a.seq === start.seq ? { hash: start.prev, file: `${chain}/${ANCHOR_FILE}`, line: undefined } : w.atAnchor;
  if (a.seq >= start.seq && found?.hash !== a.hash) {
    return {
      check: { status: 'mismatch', seq: a.seq },
      bad: { file: found?.file ?? lastFile, ...(found?.line ? { line: found.line } : {}), seq: a.seq, reason: `record ${a.seq} is not the one anchored in ${where}: the chain was rewritten` },
    };
  }
  return { check: a.seq === w.seq ? { status: 'match', seq: a.seq } : { status: 'behind', seq: a.seq, behind: w.seq - a.seq } };
}

const readAnchorText = (auditDir: string, chain: string) => readFile(join(auditDir, chain, ANCHOR_FILE), 'utf8').catch(() => '');

/**
 * Verifies one chain from its anchor (or its first record) to head.json. A live router may prune
 * while this runs; a failure that coincides with a new anchor, or a segment vanishing under the
 * read, is retried once.
 */
export async function verifyChain(auditDir: string, chain: string, opts: ChainVerifyOptions = {}): Promise<ChainReport> {
  for (let attempt = 0; ; attempt++) {
    const anchorBefore = await readAnchorText(auditDir, chain);
    try {
      const report = await verifyChainOnce(auditDir, chain, opts);
      if (report.ok || attempt > 0 || (await readAnchorText(auditDir, chain)) === anchorBefore) return report;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw err;
    }
  }
}

/**
 * Verifies every chain under `auditDir` (`<stateDir>/audit`): what `autoglm audit verify` runs,
 * on a live router or on a copy of the files. With `anchors`, every chain anchored there must
 * have its folder, and each chain's files must reach its anchor.
 * @throws AuditLogNotFoundError when `auditDir` does not exist.
 */
export async function verifyAuditDir(auditDir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const s = await stat(auditDir).catch(() => undefined);
  if (!s?.isDirectory()) throw new AuditLogNotFoundError(auditDir);
  // Anchors first: each is written after the files it names, so the files read next reach at least as far.
  const anchors = opts.anchors ? await opts.anchors.all() : undefined;
  const where = opts.anchorsIn ?? 'Redis';
  const found = await listChains(auditDir);
  const chains: ChainReport[] = [];
  for (const chain of [...new Set([...found, ...(anchors?.keys() ?? [])])].sort()) {
    const a = anchors?.get(chain);
    if (a && !found.includes(chain)) {
      chains.push({
        chain,
        ok: false,
        records: 0,
        segments: 0,
        headAnchor: { status: 'folder missing', seq: a.seq },
        firstBad: { chain, file: chain, seq: a.seq, reason: `the chain's folder is missing: the chain is anchored in ${where} at seq ${a.seq}` },
      });
      continue;
    }
    chains.push(await verifyChain(auditDir, chain, { keys: opts.keys, ...(anchors ? { anchored: { anchor: a, where } } : {}) }));
  }
  const firstBad = chains.find((c) => c.firstBad)?.firstBad;
  return { ok: chains.every((c) => c.ok), records: chains.reduce((n, c) => n + c.records, 0), chains, ...(firstBad ? { firstBad } : {}) };
}
