import { mkdir, open, rm, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../functions/sdk/index.ts';
import { AuditChainBusyError, AuditChainDamagedError, AuditUnavailableError } from './audit-errors.ts';
import type { AuditKeyring } from './audit-keys.ts';
import { GENESIS, malformed, sealProblem, sealRecord, type AuditEvent, type AuditRecord } from './audit-record.ts';
import { ChainLock, lockHolder } from './chain-lock.ts';
import type { HeadAnchor, HeadAnchors } from './head-anchors.ts';
import {
  ANCHOR_FILE,
  HEAD_FILE,
  listSegments,
  parseSegmentName,
  readJsonFile,
  readLastLine,
  segmentName,
  writeJsonAtomic,
  type ChainAnchor,
  type ChainHead,
} from './segment-files.ts';

/** Compiled writer settings (see AuditLogOptions for what each means and its default). */
export interface ChainWriterOptions {
  maxSegmentBytes: number;
  flushIntervalMs: number;
  flushBatch: number;
  maxPending: number;
  now: () => Date;
  log: Logger;
  keys: AuditKeyring;
  anchors: HeadAnchors | undefined;
}

/** After a failed flush, wait this long before the next try (the records stay in memory). */
const RETRY_MS = 1000;

interface Pending {
  seg: string;
  line: string;
  rec: AuditRecord;
}

interface Tail {
  seq: number;
  hash: string;
  /** Key of the last record; undefined for a legacy record, or when no record is left. */
  kid?: string;
  segment?: { name: string; day: string; bytes: number };
  /** Repairs of an interrupted write, applied only once the tail proved consistent with head.json. */
  truncate?: { path: string; size: number };
  remove: string[];
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Finds where a chain ends, and checks that end against head.json. Anything cut off, or a
 * last record altered, means the chain is damaged: it is reported, and nobody continues it.
 */
async function readTail(dir: string, chain: string, keys: AuditKeyring): Promise<Tail> {
  const damaged = (reason: string) => new AuditChainDamagedError(chain, reason);
  let head: ChainHead | undefined;
  let anchor: ChainAnchor | undefined;
  try {
    head = await readJsonFile<ChainHead>(join(dir, HEAD_FILE));
    anchor = await readJsonFile<ChainAnchor>(join(dir, ANCHOR_FILE));
  } catch {
    throw damaged('head.json or anchor.json is not valid JSON');
  }
  if (head && !(Number.isSafeInteger(head.seq) && typeof head.hash === 'string' && HEX64.test(head.hash))) throw damaged('head.json has no valid seq and hash');
  const segments = await listSegments(dir);
  const remove: string[] = [];
  for (let i = segments.length - 1; i >= 0; i--) {
    const name = segments[i]!;
    const path = join(dir, name);
    const last = await readLastLine(path);
    if (!last) {
      // Created, then the process died before a whole record reached it.
      remove.push(path);
      continue;
    }
    let rec: AuditRecord;
    try {
      rec = JSON.parse(last.text) as AuditRecord;
    } catch {
      throw damaged(`the last line of ${name} is not valid JSON`);
    }
    if (malformed(rec) || sealProblem(rec, keys)) throw damaged(`the last record of ${name} was altered`);
    if (!head) throw damaged('head.json is missing');
    if (head.seq > rec.seq) throw damaged(`head.json says the chain ends at seq ${head.seq}, the files at ${rec.seq}`);
    if (head.seq === rec.seq && head.hash !== rec.hash) throw damaged(`record ${rec.seq} does not match head.json`);
    const parsed = parseSegmentName(name)!;
    return {
      seq: rec.seq,
      hash: rec.hash,
      ...(rec.kid !== undefined ? { kid: rec.kid } : {}),
      segment: { name, day: parsed.day, bytes: last.end },
      ...(last.torn > 0 ? { truncate: { path, size: last.end } } : {}),
      remove,
    };
  }
  const start = anchor ?? { seq: 0, hash: GENESIS };
  if (head && head.seq > start.seq) throw damaged(`head.json says the chain ends at seq ${head.seq}, but no records are left`);
  return { seq: start.seq, hash: start.hash, remove };
}

/**
 * Checks a chain's end against its anchor in Redis: records cut from the end (and head.json
 * rewritten to match) show here. A keyed chain without an anchor is refused too: its anchor was
 * deleted, or Redis lost it, and continuing would anchor whatever the files now say.
 */
function checkAnchor(chain: string, tail: Tail, anchor: HeadAnchor | undefined): void {
  const damaged = (reason: string) => new AuditChainDamagedError(chain, reason);
  if (!anchor) {
    if (tail.kid !== undefined) throw damaged('its anchor in Redis is missing');
    return;
  }
  if (anchor.seq > tail.seq) throw damaged(`Redis anchors the chain at seq ${anchor.seq}, its files end at seq ${tail.seq}`);
  if (anchor.seq === tail.seq && anchor.hash !== tail.hash) throw damaged(`record ${tail.seq} does not match its anchor in Redis`);
}

/**
 * Writes one chain: the only writer of its directory while it holds the lock. Records are sealed
 * (seq, prev, hash) synchronously in `append`, buffered, and written in batches: one `write` and
 * one `fdatasync` per batch, then head.json. Segments roll at each UTC day and past a size.
 */
export class ChainWriter {
  private pending: Pending[] = [];
  private seg: { name: string; day: string; bytes: number } | undefined;
  private fh: FileHandle | undefined;
  private fhName: string | undefined;
  private fhSize = 0;
  private head: ChainHead;
  private headKid: string | undefined;
  private headDirty = true;
  private anchorDirty = true;
  private anchorRefused = false;
  private anchoring: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private failing = false;
  private queued = false;
  private checkedAt = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    readonly chain: string,
    private readonly lock: ChainLock,
    private seq: number,
    private prev: string,
    segment: Tail['segment'],
    kid: string | undefined,
    private readonly opts: ChainWriterOptions,
  ) {
    this.seg = segment;
    this.headKid = kid;
    this.head = { chain, seq, hash: prev, ...(segment ? { segment: segment.name } : {}) };
  }

  /**
   * Claims chain `chain` under `auditDir` and continues it from its last record.
   * @throws AuditChainBusyError when a live process holds it.
   * @throws AuditChainDamagedError when its end does not match head.json or its anchor in Redis (left untouched).
   */
  static async open(auditDir: string, chain: string, opts: ChainWriterOptions): Promise<ChainWriter> {
    const dir = join(auditDir, chain);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const lock = await ChainLock.claim(dir);
    if (!lock) {
      const h = await lockHolder(dir);
      throw new AuditChainBusyError(chain, h ? `pid ${h.pid} on ${h.host}` : 'another process');
    }
    try {
      const tail = await readTail(dir, chain, opts.keys);
      if (opts.anchors) checkAnchor(chain, tail, await opts.anchors.get(chain));
      if (tail.truncate) {
        opts.log.warn('audit segment ended in a partial record (interrupted write); cut it off', { chain, file: tail.truncate.path });
        await truncate(tail.truncate.path, tail.truncate.size);
      }
      for (const path of tail.remove) await rm(path, { force: true });
      const w = new ChainWriter(dir, chain, lock, tail.seq, tail.hash, tail.segment, tail.kid, opts);
      await w.flush(); // a new chain gets its head.json and anchor now; a lagging one catches up
      return w;
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** The segment records are being written to; retention never deletes it. */
  get currentSegment(): string | undefined {
    return this.seg?.name;
  }

  /** The keys this chain is sealed with (retention verifies what it deletes with them). */
  get keys(): AuditKeyring {
    return this.opts.keys;
  }

  /** Seq of the newest record appended. */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Seals `event` as the next record and queues it for the next batch.
   * @throws AuditUnavailableError when closed, or when the disk has refused so many batches that
   *   `maxPending` records wait.
   * @throws InvalidAuditEventError for an event without actor, action or outcome.
   */
  append(event: AuditEvent): AuditRecord {
    if (this.closed) throw new AuditUnavailableError('the audit log is closed');
    if (this.pending.length >= this.opts.maxPending) {
      throw new AuditUnavailableError(`the audit log cannot write to ${this.dir}; ${this.pending.length} records are waiting`);
    }
    const time = this.opts.now().toISOString();
    const rec = sealRecord(event, this.seq + 1, this.prev, time, this.opts.keys);
    const line = JSON.stringify(rec) + '\n';
    const bytes = Buffer.byteLength(line);
    const day = time.slice(0, 10);
    if (!this.seg || this.seg.day !== day || (this.seg.bytes > 0 && this.seg.bytes + bytes > this.opts.maxSegmentBytes)) {
      this.seg = { name: segmentName(rec.seq, time), day, bytes: 0 };
    }
    this.seg.bytes += bytes;
    this.pending.push({ seg: this.seg.name, line, rec });
    this.seq = rec.seq;
    this.prev = rec.hash;
    if (this.pending.length >= this.opts.flushBatch && !this.failing) this.background();
    else this.arm(this.failing ? RETRY_MS : this.opts.flushIntervalMs);
    return rec;
  }

  /**
   * Writes everything appended so far (fsynced, head.json updated, then the head anchored). Rejects
   * when the disk refuses; the records stay queued. Redis refusing the anchor does not reject: it
   * is logged and retried, and verify meanwhile sees the anchor behind the files.
   */
  async flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushOnce());
    this.flushing = run.catch(() => undefined);
    await run;
    await this.anchoring;
  }

  /** Flushes what is queued, closes the file and releases the chain. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.closed = true;
      clearTimeout(this.timer);
      try {
        await this.flush();
      } catch (err) {
        this.opts.log.error('audit records could not be written at close and are lost', { err, chain: this.chain, lost: this.pending.length });
      }
      await this.fh?.close().catch(() => undefined);
      await this.lock.release();
    })());
  }

  /** Flushes within `ms`. An armed timer is never pushed back: steady appends must not starve it. */
  private arm(ms: number): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.background();
    }, ms);
  }

  /** Queues one flush behind the running one (at most one waits); failures are logged and retried. */
  private background(): void {
    if (this.queued) return;
    this.queued = true;
    const run = this.flushing.then(() => {
      this.queued = false;
      return this.flushOnce();
    });
    this.flushing = run.catch(() => undefined);
    run.catch((err: unknown) => {
      this.opts.log.error('audit flush failed; records kept in memory, retrying', { err, chain: this.chain, pending: this.pending.length });
      if (!this.closed) this.arm(RETRY_MS);
    });
  }

  private async flushOnce(): Promise<void> {
    if (this.pending.length === 0 && !this.headDirty && !(this.anchorDirty && this.opts.anchors)) return;
    const batch = this.pending;
    this.pending = [];
    let done = 0;
    try {
      while (done < batch.length) {
        const seg = batch[done]!.seg;
        let end = done;
        while (end < batch.length && batch[end]!.seg === seg) end++;
        await this.write(seg, batch.slice(done, end).map((p) => p.line).join(''));
        done = end;
        const last = batch[done - 1]!;
        this.head = { chain: this.chain, seq: last.rec.seq, hash: last.rec.hash, time: last.rec.time, segment: seg };
        this.headKid = last.rec.kid;
        this.headDirty = true;
        this.anchorDirty = true;
      }
      // After the data is durable, never before: head.json may lag the files, never lead them.
      if (this.headDirty) await writeJsonAtomic(join(this.dir, HEAD_FILE), this.head);
      this.headDirty = false;
      this.failing = false;
    } catch (err) {
      this.pending = batch.slice(done).concat(this.pending);
      this.failing = true;
      throw err;
    }
    this.anchoring ??= this.anchorLoop().finally(() => (this.anchoring = undefined));
  }

  /**
   * Anchors the head in Redis, after head.json: the anchor may lag the files, never lead them.
   * Runs beside the writes (one at a time, always the newest head), so a slow Redis never holds
   * records back. Never rejects.
   */
  private async anchorLoop(): Promise<void> {
    while (this.opts.anchors && this.anchorDirty) {
      this.anchorDirty = false;
      const head: HeadAnchor = { seq: this.head.seq, hash: this.head.hash, ...(this.headKid !== undefined ? { kid: this.headKid } : {}), at: this.opts.now().toISOString() };
      try {
        if (!(await this.opts.anchors.advance(this.chain, head)) && !this.anchorRefused) {
          // Only another writer of this chain, or a hand on Redis, can have moved it further.
          this.anchorRefused = true;
          this.opts.log.error('Redis anchors this audit chain further along than its files; its anchor is left as it is', { chain: this.chain, seq: head.seq });
        }
      } catch (err) {
        this.anchorDirty = true;
        this.opts.log.warn('could not anchor the audit chain head in Redis; retrying', { err, chain: this.chain, seq: head.seq });
        if (!this.closed) this.arm(RETRY_MS);
        return;
      }
    }
  }

  private async write(seg: string, text: string): Promise<void> {
    // A segment unlinked or replaced under us (rm, `sed -i`, a careless rotation) would swallow
    // every later record: reopen it by name, and say so.
    // Checked at most once a second: it costs a round trip to the disk, and flushes are frequent.
    const check = this.fh !== undefined && this.fhName === seg && Date.now() - this.checkedAt >= 1000;
    if (check) this.checkedAt = Date.now();
    const replaced = check && (await this.fh!.stat()).nlink === 0;
    if (replaced) this.opts.log.error('audit segment was deleted or replaced while open; reopening it', { chain: this.chain, segment: seg });
    if (this.fhName !== seg || !this.fh || replaced) {
      const old = this.fh;
      this.fh = undefined;
      await old?.close().catch(() => undefined);
      this.fh = await open(join(this.dir, seg), 'a', 0o600);
      this.fhName = seg;
      this.fhSize = (await this.fh.stat()).size;
    }
    const buf = Buffer.from(text, 'utf8');
    try {
      for (let off = 0; off < buf.length; ) off += (await this.fh.write(buf, off, buf.length - off)).bytesWritten;
      await this.fh.datasync();
      this.fhSize += buf.length;
    } catch (err) {
      // A half-written batch would leave a broken line the retry appends after: cut it off.
      await this.fh.truncate(this.fhSize).catch(() => undefined);
      throw err;
    }
  }
}
