import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { AuditLog, type AuditLogOptions } from './audit-log.ts';
import { newAuditKeySpec, parseAuditKeys } from './audit-keys.ts';
import type { AuditRecord } from './audit-record.ts';
import { verifyAuditDir } from './chain-verify.ts';

const keys = parseAuditKeys(newAuditKeySpec('t'));

const DAY = 86_400_000;
const quiet = createLogger({}, 'error', () => undefined);
let dir: string;
let t: number;
const open: AuditLog[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-audit-ret-'));
  t = Date.parse('2024-05-01T10:00:00.000Z');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function openLog(o: Partial<AuditLogOptions> = {}): Promise<AuditLog> {
  const a = await AuditLog.open({ dir, keys, chainId: 'c', now: () => new Date(t), log: quiet, pruneIntervalMs: 0, retentionMs: 2 * DAY, ...o });
  open.push(a);
  return a;
}

/** `days` days of 4 records each, one segment per day; the clock ends on the last day. */
async function fill(a: AuditLog, days: number): Promise<void> {
  for (let d = 0; d < days; d++) {
    if (d > 0) t += DAY;
    for (let i = 0; i < 4; i++) a.append({ actor: 'u', action: 'invoke', function: 'echo', outcome: 'ok' });
  }
  await a.flush();
}

const segs = (chain = 'c') => readdirSync(join(dir, chain)).filter((f) => f.endsWith('.jsonl')).sort();
const anchor = (chain = 'c') => JSON.parse(readFileSync(join(dir, chain, 'anchor.json'), 'utf8'));

describe('retention', () => {
  it('deletes whole expired segments; the log still verifies from the anchor', async () => {
    const a = await openLog();
    await fill(a, 5); // May 1..5, records 1..20
    expect(segs()).toHaveLength(5);
    const [r] = await a.prune(); // now May 5 10:00, cutoff May 3 10:00: May 1 and 2 expire
    expect(r).toMatchObject({ chain: 'c', deleted: ['0000000000000001_2024-05-01.jsonl', '0000000000000005_2024-05-02.jsonl'] });
    expect(r!.error).toBeUndefined();
    expect(segs()[0]).toBe('0000000000000009_2024-05-03.jsonl');
    expect(anchor()).toMatchObject({ seq: 8, time: '2024-05-02T10:00:00.000Z' });
    const report = await a.verify();
    expect(report).toMatchObject({ ok: true, records: 13, chains: [{ chain: 'c', firstSeq: 9, lastSeq: 21, anchorSeq: 8 }] });
    // The chain vouches for its anchor.
    const [prune] = await a.query({ action: 'audit.prune' });
    expect(prune).toMatchObject({ seq: 21, actor: 'system', target: `anchor:8:${anchor().hash}` });
  });

  it('keeps the segment being written even when it has expired', async () => {
    const a = await openLog();
    await fill(a, 1);
    t += 10 * DAY;
    expect((await a.prune())[0]!.deleted).toEqual([]);
    expect(segs()).toHaveLength(1);
  });

  it('after pruning, deleting the oldest kept segment is still caught', async () => {
    const a = await openLog();
    await fill(a, 5);
    await a.prune();
    unlinkSync(join(dir, 'c', segs()[0]!));
    const r = await verifyAuditDir(dir, { keys });
    expect(r.firstBad).toMatchObject({ chain: 'c', seq: 9, line: 1 });
  });

  it('refuses to prune segments that fail verification, keeping the evidence', async () => {
    const a = await openLog();
    await fill(a, 5);
    const first = join(dir, 'c', segs()[0]!);
    writeFileSync(first, readFileSync(first, 'utf8').replace('"actor":"u"', '"actor":"x"'));
    const [r] = await a.prune();
    expect(r!.deleted).toEqual([]);
    expect(r!.error).toMatch(/not pruned: c\/0000000000000001_2024-05-01.jsonl line 1: hash mismatch/);
    expect(existsSync(first)).toBe(true);
    expect(existsSync(join(dir, 'c', 'anchor.json'))).toBe(false);
  });

  it('a prune interrupted before deleting is finished by the next one, and verifies meanwhile', async () => {
    const a = await openLog();
    await fill(a, 5);
    const doomed = segs().slice(0, 2);
    for (const f of doomed) copyFileSync(join(dir, 'c', f), join(dir, f));
    await a.prune();
    for (const f of doomed) copyFileSync(join(dir, f), join(dir, 'c', f)); // as if the deletes never ran
    expect(await verifyAuditDir(dir, { keys })).toMatchObject({ ok: true, chains: [{ firstSeq: 9, anchorSeq: 8 }] });
    const [r] = await a.prune();
    expect(r!.deleted).toEqual(doomed);
    expect((await a.verify()).ok).toBe(true);
  });

  it('a restarted log continues a pruned chain', async () => {
    const a = await openLog();
    await fill(a, 5);
    await a.prune();
    await a.close();
    const b = await openLog();
    expect(b.append({ actor: 'u', action: 'invoke', outcome: 'ok' }).seq).toBe(22);
    expect(await b.verify()).toMatchObject({ ok: true, chains: [{ firstSeq: 9, lastSeq: 22 }] });
  });

  it('prunes the chains of routers that are gone', async () => {
    const gone = await openLog({ chainId: 'gone' });
    await fill(gone, 5);
    await gone.close();
    const a = await openLog({ chainId: 'live' });
    a.append({ actor: 'u', action: 'invoke', outcome: 'ok' });
    const results = await a.prune();
    expect(results.find((r) => r.chain === 'gone')!.deleted).toHaveLength(2);
    expect(existsSync(join(dir, 'gone', 'lock'))).toBe(false);
    const report = await a.verify();
    expect(report.ok).toBe(true);
    expect(report.chains.find((c) => c.chain === 'gone')).toMatchObject({ anchorSeq: 8, lastSeq: 21 });
  });

  it('retention 0 keeps everything', async () => {
    const a = await openLog({ retentionMs: 0 });
    await fill(a, 3);
    t += 1000 * DAY;
    expect(await a.prune()).toEqual([]);
    expect(segs()).toHaveLength(3);
  });

  it('keeps the records themselves intact: a pruned chain still holds every later record', async () => {
    const a = await openLog();
    await fill(a, 5);
    await a.prune();
    const seqs = segs().flatMap((f) => readFileSync(join(dir, 'c', f), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as AuditRecord).seq));
    expect(seqs).toEqual(Array.from({ length: 13 }, (_, i) => i + 9));
  });
});
