import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GENESIS, type AuditRecord } from './audit-record.ts';
import { afterAnchor, anchorTarget, walkSegments } from './chain-verify.ts';
import type { ChainWriter } from './chain-writer.ts';
import { ANCHOR_FILE, listSegments, readJsonFile, readLastLine, readLines, writeJsonAtomic, type ChainAnchor } from './segment-files.ts';

/** What one retention pass did to one chain. */
export interface PruneResult {
  chain: string;
  /** Segment files deleted. */
  deleted: string[];
  /** The chain's anchor after the pass. */
  anchor?: ChainAnchor;
  /** Why nothing was deleted although segments had expired (the chain failed verification). */
  error?: string;
}

async function firstRecord(path: string): Promise<AuditRecord | undefined> {
  for await (const l of readLines(path)) {
    try {
      return JSON.parse(l.text) as AuditRecord;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Time of a segment's last record; NaN when unreadable (such a segment is never expired). */
function lastTime(last: { text: string } | undefined): number {
  try {
    return last ? Date.parse((JSON.parse(last.text) as AuditRecord).time) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Deletes a chain's whole segments whose newest record is older than `cutoffMs`, oldest first,
 * never the segment being written. In order, so a crash at any step leaves a verifiable chain:
 *
 * 1. verify the doomed segments from the current anchor, and that the first kept record follows
 *    them: retention never erases the evidence of tampering (it refuses, and says why);
 * 2. append an `audit.prune` record whose target names the new anchor (seq and hash of the last
 *    doomed record), and flush it: the chain itself vouches for the anchor;
 * 3. write anchor.json; 4. delete the segments.
 */
export async function pruneChain(w: ChainWriter, cutoffMs: number, now: Date, signal?: AbortSignal): Promise<PruneResult> {
  await w.flush();
  const dir = w.dir;
  const result: PruneResult = { chain: w.chain, deleted: [] };
  let anchor: ChainAnchor | undefined;
  try {
    anchor = await readJsonFile<ChainAnchor>(join(dir, ANCHOR_FILE));
  } catch {
    return { ...result, error: 'anchor.json is not valid JSON' };
  }
  const all = await listSegments(dir);
  const live = afterAnchor(all, anchor);
  const leftovers = all.slice(0, all.length - live.length);

  const doomed: string[] = [];
  for (const name of live.slice(0, -1)) {
    if (name === w.currentSegment) break;
    if (!(lastTime(await readLastLine(join(dir, name))) < cutoffMs)) break;
    doomed.push(name);
  }

  if (doomed.length > 0) {
    const start = anchor ? { seq: anchor.seq, prev: anchor.hash } : { seq: 0, prev: GENESIS };
    const walk = await walkSegments(dir, w.chain, doomed, start, { keys: w.keys, ...(signal ? { signal } : {}) });
    if (walk.bad) return { ...result, ...(anchor ? { anchor } : {}), error: `not pruned: ${walk.bad.file}${walk.bad.line ? ` line ${walk.bad.line}` : ''}: ${walk.bad.reason}` };
    const kept = await firstRecord(join(dir, live[doomed.length]!));
    if (!kept || kept.seq !== walk.seq + 1 || kept.prev !== walk.hash) {
      return { ...result, ...(anchor ? { anchor } : {}), error: `not pruned: ${w.chain}/${live[doomed.length]} does not continue the chain from seq ${walk.seq}` };
    }
    const next: ChainAnchor = { seq: walk.seq, hash: walk.hash, time: walk.time!, prunedAt: now.toISOString() };
    w.append({ actor: 'system', roles: [], action: 'audit.prune', outcome: 'ok', target: anchorTarget(next) });
    await w.flush();
    await writeJsonAtomic(join(dir, ANCHOR_FILE), next);
    anchor = next;
  }
  for (const name of [...leftovers, ...doomed]) {
    await rm(join(dir, name), { force: true });
    result.deleted.push(name);
  }
  return { ...result, ...(anchor ? { anchor } : {}) };
}
