import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../functions/sdk/index.ts';
import { AuditChainBusyError, AuditChainDamagedError, AuditUnavailableError } from './audit-errors.ts';
import type { AuditKeyring } from './audit-keys.ts';
import { queryAuditDir, type AuditEntry, type AuditFilter } from './audit-query.ts';
import type { AuditEvent, AuditRecord } from './audit-record.ts';
import { hostName, lockHolder } from './chain-lock.ts';
import { verifyAuditDir, verifyChain, type VerifyReport } from './chain-verify.ts';
import { ChainWriter, type ChainWriterOptions } from './chain-writer.ts';
import type { HeadAnchors } from './head-anchors.ts';
import { pruneChain, type PruneResult } from './retention.ts';
import { CHAIN_RE, listChains } from './segment-files.ts';

const DAY_MS = 86_400_000;

/** What the last verification found: whether every chain was intact, when (epoch ms), over how many records. */
export interface LastVerification {
  ok: boolean;
  at: number;
  records: number;
}

/** Options of an {@link AuditLog}. Only `dir` and `keys` are required. */
export interface AuditLogOptions {
  /** The audit directory, normally `<stateDir>/audit`. Created (mode 0700) if missing. */
  dir: string;
  /**
   * The keys records are sealed (active) and verified with: `AUTOGLM_AUDIT_KEYS`, or the
   * `audit-keys` file of the state directory. Routers only: whoever holds them can forge records.
   */
  keys: AuditKeyring;
  /**
   * Where each chain's head is anchored outside the files (Redis: `AuditHeadStore`). Default none:
   * then records cut from a chain's end, with head.json rewritten, or a deleted chain folder, are
   * not detected. The router always gives it.
   */
  anchors?: HeadAnchors;
  /**
   * This process's chain. Default: the first of `<hostname>-0`, `<hostname>-1`, … that no live
   * process holds, so a restarted router continues its own chain. Set it when routers on
   * different hosts share the directory over a network file system under one host name.
   */
  chainId?: string;
  /** How long records are kept, ms: whole segments past it are deleted. Default 180 days; 0 keeps everything. */
  retentionMs?: number;
  /** How often retention runs, ms (first run 10 s after open). Default 1 hour; 0: only when `prune()` is called. */
  pruneIntervalMs?: number;
  /**
   * How often every chain is verified on its own, ms (first run a minute after open), so a
   * tampered log raises an alert (`autoglm_audit_verify_ok`) without anyone asking. Default 0:
   * only when `verify()` is called; the router passes `AUTOGLM_AUDIT_VERIFY_INTERVAL`.
   */
  verifyIntervalMs?: number;
  /** Longest a record waits in memory before it is written, ms. Default 50. */
  flushIntervalMs?: number;
  /** Write at once when this many records wait. Default 500. */
  flushBatch?: number;
  /** Start a new segment past this size, bytes (segments also roll at each UTC midnight). Default 64 MiB. */
  maxSegmentBytes?: number;
  /** Records kept in memory while the disk refuses writes; past it `append` throws. Default 100,000. */
  maxPending?: number;
  /** The clock that stamps records and decides retention. Default `() => new Date()`. */
  now?: () => Date;
  /** Where write failures and retention are reported. Default: a JSON logger on stderr. */
  log?: Logger;
}

interface Compiled extends ChainWriterOptions {
  chainId: string | undefined;
  retentionMs: number;
  pruneIntervalMs: number;
  verifyIntervalMs: number;
}

/** Chain ids tried per host before giving up: more routers than this on one host share one dir only with explicit ids. */
const MAX_AUTO_CHAINS = 64;

function compile(o: AuditLogOptions): Compiled {
  const num = (name: keyof AuditLogOptions, v: number | undefined, def: number, min: number): number => {
    const n = v ?? def;
    if (!Number.isFinite(n) || n < min) throw new RangeError(`AuditLog ${name} must be a number >= ${min}, got ${String(v)}`);
    return n;
  };
  if (o.chainId !== undefined && !CHAIN_RE.test(o.chainId)) throw new RangeError(`AuditLog chainId must match ${CHAIN_RE}, got ${JSON.stringify(o.chainId)}`);
  if (!o.keys?.keys.has(o.keys.active)) throw new RangeError('AuditLog keys must hold their active key');
  return {
    keys: o.keys,
    anchors: o.anchors,
    chainId: o.chainId,
    retentionMs: num('retentionMs', o.retentionMs, 180 * DAY_MS, 0),
    pruneIntervalMs: num('pruneIntervalMs', o.pruneIntervalMs, 3_600_000, 0),
    verifyIntervalMs: num('verifyIntervalMs', o.verifyIntervalMs, 0, 0),
    flushIntervalMs: num('flushIntervalMs', o.flushIntervalMs, 50, 0),
    flushBatch: num('flushBatch', o.flushBatch, 500, 1),
    maxSegmentBytes: num('maxSegmentBytes', o.maxSegmentBytes, 64 * 1024 * 1024, 1),
    maxPending: num('maxPending', o.maxPending, 100_000, 1),
    now: o.now ?? (() => new Date()),
    log: o.log ?? createLogger({ component: 'audit' }),
  };
}

/**
 * The append-only, tamper-evident audit trail: who did what, when, with what outcome; never a
 * payload. Each process writes its own hash chain of JSON-lines segments under `dir`; reads
 * (`query`, `verify`) cover every chain there.
 *
 * `append` is synchronous and cheap (a sha256 and two JSON encodings): records are written in
 * batches, fsynced, every `flushIntervalMs` or `flushBatch` records.
 */
export class AuditLog {
  private pruning: Promise<PruneResult[]> | undefined;
  private readonly stopPruning = new AbortController();
  private timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | undefined;
  /** Anchoring chains written before anchors existed (see {@link adoptLegacyChains}). */
  private adopting: Promise<void> = Promise.resolve();
  private verified: LastVerification | undefined;

  private constructor(
    readonly dir: string,
    private readonly writer: ChainWriter,
    private readonly o: Compiled,
  ) {}

  /**
   * Opens the log: claims a chain (continuing it if this process's predecessor left it), and
   * starts retention. A chain whose end does not match its head file is logged and left alone.
   * @throws AuditChainBusyError / AuditChainDamagedError for an explicit `chainId` that cannot be used.
   * @throws AuditUnavailableError when no chain id is free.
   */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const o = compile(options);
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    let writer: ChainWriter | undefined;
    if (o.chainId) {
      writer = await ChainWriter.open(options.dir, o.chainId, o);
    } else {
      for (let n = 0; n < MAX_AUTO_CHAINS && !writer; n++) {
        const chain = `${hostName()}-${n}`;
        try {
          writer = await ChainWriter.open(options.dir, chain, o);
        } catch (err) {
          if (err instanceof AuditChainDamagedError) o.log.error('audit chain is damaged; leaving it as evidence and using another', { chain, reason: err.reason });
          else if (!(err instanceof AuditChainBusyError)) throw err;
        }
      }
    }
    if (!writer) throw new AuditUnavailableError(`no free audit chain id under ${options.dir}`);
    const audit = new AuditLog(options.dir, writer, o);
    if (o.anchors) {
      const anchors = o.anchors;
      audit.adopting = adoptLegacyChains(options.dir, o.keys, anchors, o.log).catch((err: unknown) => o.log.error('could not anchor the legacy audit chains', { err }));
    }
    if (o.retentionMs > 0 && o.pruneIntervalMs > 0) {
      const run = () => void audit.runPrune();
      audit.timers.push(setTimeout(run, Math.min(10_000, o.pruneIntervalMs)).unref(), setInterval(run, o.pruneIntervalMs).unref());
    }
    if (o.verifyIntervalMs > 0) {
      const run = () =>
        void audit.verify().then(
          (r) => !r.ok && o.log.error('audit log failed verification', { firstBad: r.firstBad }),
          (err: unknown) => o.log.error('audit verification could not run', { err }),
        );
      audit.timers.push(setTimeout(run, Math.min(60_000, o.verifyIntervalMs)).unref(), setInterval(run, o.verifyIntervalMs).unref());
    }
    return audit;
  }

  /** The outcome of the last verification in this process (scheduled, or asked for), for metrics and alerts. */
  get lastVerification(): LastVerification | undefined {
    return this.verified;
  }

  /** The chain this process writes. */
  get chainId(): string {
    return this.writer.chain;
  }

  /**
   * Records `event`, stamped with the time, the next seq and the chain hashes; returns the record.
   * Fields other than those of {@link AuditEvent} are dropped.
   * @throws AuditUnavailableError when closed, or when the disk has refused writes for `maxPending` records.
   */
  append(event: AuditEvent): AuditRecord {
    return this.writer.append(event);
  }

  /** Writes everything appended so far. Rejects if the disk refuses (the records stay queued and are retried). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Verifies every chain in the directory, with the keys and against the anchors (after writing what is queued here). */
  async verify(): Promise<VerifyReport> {
    await this.adopting;
    await this.flush().catch(() => undefined);
    const report = await verifyAuditDir(this.dir, { keys: this.o.keys, ...(this.o.anchors ? { anchors: this.o.anchors } : {}) });
    this.verified = { ok: report.ok, at: Date.now(), records: report.records };
    return report;
  }

  /** Records matching `filter` across every chain, newest first (after writing what is queued here). */
  async query(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    await this.flush().catch(() => undefined);
    return queryAuditDir(this.dir, filter);
  }

  /**
   * Applies retention now: this process's chain, then chains no live process on this host holds
   * (a router that is gone for good). Returns what was done per chain (nothing with `retentionMs`
   * 0); a chain that fails verification is not pruned and carries an `error`.
   */
  prune(): Promise<PruneResult[]> {
    return (this.pruning ??= this.pruneAll().finally(() => {
      this.pruning = undefined;
    }));
  }

  /** Stops retention, writes what is queued, releases the chain. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      for (const t of this.timers) clearTimeout(t);
      this.stopPruning.abort();
      await this.pruning?.catch(() => undefined);
      await this.adopting;
      await this.writer.close();
    })());
  }

  private async pruneAll(): Promise<PruneResult[]> {
    if (this.o.retentionMs === 0) return [];
    const now = this.o.now();
    const cutoff = now.getTime() - this.o.retentionMs;
    const signal = this.stopPruning.signal;
    const results = [await pruneChain(this.writer, cutoff, now, signal)];
    for (const chain of await listChains(this.dir)) {
      if (chain === this.chainId || signal.aborted) continue;
      if (await lockHolder(join(this.dir, chain))) continue;
      let orphan: ChainWriter;
      try {
        orphan = await ChainWriter.open(this.dir, chain, this.o);
      } catch (err) {
        if (err instanceof AuditChainDamagedError) results.push({ chain, deleted: [], error: err.reason });
        else if (!(err instanceof AuditChainBusyError)) throw err;
        continue;
      }
      try {
        results.push(await pruneChain(orphan, cutoff, now, signal));
      } finally {
        await orphan.close();
      }
    }
    return results;
  }

  private async runPrune(): Promise<void> {
    try {
      for (const r of await this.prune()) {
        if (r.error) this.o.log.error('audit retention skipped a chain', { chain: r.chain, reason: r.error });
        else if (r.deleted.length) this.o.log.info('audit retention deleted old segments', { chain: r.chain, deleted: r.deleted.length, anchorSeq: r.anchor?.seq });
      }
    } catch (err) {
      if (!this.stopPruning.signal.aborted) this.o.log.error('audit retention failed', { err });
    }
  }
}

/**
 * The migration to anchored chains: a chain with records but no anchor, whose records are all
 * unkeyed (written before audit keys existed) and intact, is anchored at its last record, once.
 * From then on, cutting its tail or deleting it shows in verify like for any chain. A chain
 * holding keyed records but no anchor is left alone: verify reports its anchor missing.
 */
async function adoptLegacyChains(dir: string, keys: AuditKeyring, anchors: HeadAnchors, log: Logger): Promise<void> {
  const anchored = await anchors.all();
  for (const chain of await listChains(dir)) {
    if (anchored.has(chain)) continue;
    const r = await verifyChain(dir, chain, { keys });
    if (!r.ok || r.records === 0 || r.legacy?.records !== r.records) continue;
    if (await anchors.adopt(chain, { seq: r.lastSeq!, hash: r.lastHash!, at: new Date().toISOString() })) {
      log.info('anchored an unkeyed legacy audit chain', { chain, seq: r.lastSeq });
    }
  }
}
