import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { AuditLog } from './audit-log.ts';
import { newAuditKeySpec, parseAuditKeys } from './audit-keys.ts';
import { recordHash, type AuditRecord } from './audit-record.ts';
import { verifyAuditDir } from './chain-verify.ts';

const keys = parseAuditKeys(newAuditKeySpec('t'));

const quiet = createLogger({}, 'error', () => undefined);
const DAY = 86_400_000;
let dir: string;
let t: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-audit-verify-'));
  t = Date.parse('2024-05-01T10:00:00.000Z');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A closed chain `c` of `perDay` records on each of `days` days (one segment per day). */
async function writeChain(days = 1, perDay = 10, chainId = 'c'): Promise<void> {
  const log = await AuditLog.open({ dir, keys, chainId, now: () => new Date(t), log: quiet, pruneIntervalMs: 0 });
  for (let d = 0; d < days; d++) {
    for (let i = 0; i < perDay; i++) {
      log.append({ actor: `user${i}`, roles: ['deployer'], action: 'function.deploy', function: 'echo', version: 'abcdef123456', outcome: 'ok', durationMs: i });
      t += 1000;
    }
    t += DAY;
  }
  await log.close();
}

const segs = (chain = 'c') => readdirSync(join(dir, chain)).filter((f) => f.endsWith('.jsonl')).sort();
const segPath = (i: number, chain = 'c') => join(dir, chain, segs(chain)[i]!);
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1);
const writeLines = (path: string, ls: string[]) => writeFileSync(path, ls.map((l) => l + '\n').join(''));

describe('verify', () => {
  it('passes a clean log and counts its records', async () => {
    await writeChain(3, 10);
    const r = await verifyAuditDir(dir, { keys });
    expect(r).toMatchObject({ ok: true, records: 30, chains: [{ chain: 'c', ok: true, records: 30, firstSeq: 1, lastSeq: 30, segments: 3 }] });
    expect(r.firstBad).toBeUndefined();
  });

  it('catches an edited field at that record', async () => {
    await writeChain();
    const p = segPath(0);
    const ls = lines(p);
    ls[4] = ls[4]!.replace('"actor":"user4"', '"actor":"mallory"');
    writeLines(p, ls);
    const r = await verifyAuditDir(dir, { keys });
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ chain: 'c', file: `c/${segs()[0]}`, line: 5, seq: 5 });
    expect(r.firstBad!.reason).toMatch(/hash mismatch/);
  });

  it('catches an edit whose hash was recomputed (even with the key), at the next record', async () => {
    await writeChain();
    const p = segPath(0);
    const ls = lines(p);
    const rec = JSON.parse(ls[4]!) as AuditRecord;
    rec.outcome = 'denied';
    rec.hash = recordHash(rec, keys.keys.get(keys.active));
    ls[4] = JSON.stringify(rec);
    writeLines(p, ls);
    const r = await verifyAuditDir(dir, { keys });
    expect(r.firstBad).toMatchObject({ line: 6, seq: 6 });
    expect(r.firstBad!.reason).toMatch(/prev does not match/);
  });

  it('catches a deleted line where it was', async () => {
    await writeChain();
    const p = segPath(0);
    const ls = lines(p);
    ls.splice(4, 1);
    writeLines(p, ls);
    const r = await verifyAuditDir(dir, { keys });
    expect(r.firstBad).toMatchObject({ line: 5, seq: 5 });
    expect(r.firstBad!.reason).toMatch(/expected seq 5 here, found seq 6/);
  });

  it('catches two swapped lines at the first of them', async () => {
    await writeChain();
    const p = segPath(0);
    const ls = lines(p);
    [ls[3], ls[4]] = [ls[4]!, ls[3]!];
    writeLines(p, ls);
    const r = await verifyAuditDir(dir, { keys });
    expect(r.firstBad).toMatchObject({ line: 4, seq: 4 });
    expect(r.firstBad!.reason).toMatch(/expected seq 4 here, found seq 5/);
  });

  it('catches an inserted (duplicated) line', async () => {
    await writeChain();
    const p = segPath(0);
    const ls = lines(p);
    ls.splice(6, 0, ls[2]!);
    writeLines(p, ls);
    expect((await verifyAuditDir(dir, { keys })).firstBad).toMatchObject({ line: 7, seq: 7 });
  });

  it('catches records cut from the end, using head.json', async () => {
    await writeChain();
    const p = segPath(0);
    writeLines(p, lines(p).slice(0, 8));
    const r = await verifyAuditDir(dir, { keys });
    expect(r.firstBad).toMatchObject({ file: `c/${segs()[0]}`, line: 9, seq: 9 });
    expect(r.firstBad!.reason).toMatch(/records 9\.\.10 are missing from the end/);
  });

  it('catches a deleted middle segment at the first record after it', async () => {
    await writeChain(3, 10);
    const [, middle, last] = segs();
    unlinkSync(join(dir, 'c', middle!));
    const r = await verifyAuditDir(dir, { keys });
    expect(r.firstBad).toMatchObject({ file: `c/${last}`, line: 1, seq: 11 });
    expect(r.firstBad!.reason).toMatch(/expected seq 11 here, found seq 21/);
  });

  it('catches a deleted newest segment', async () => {
    await writeChain(3, 10);
    unlinkSync(segPath(2));
    expect((await verifyAuditDir(dir, { keys })).firstBad).toMatchObject({ seq: 21 });
  });

  it('catches a deleted oldest segment when no anchor covers it', async () => {
    await writeChain(2, 10);
    unlinkSync(segPath(0));
    expect((await verifyAuditDir(dir, { keys })).firstBad).toMatchObject({ line: 1, seq: 1 });
  });

  it('refuses an anchor the chain does not vouch for (forged to hide deleted records)', async () => {
    await writeChain(2, 10);
    const last = JSON.parse(lines(segPath(0)).at(-1)!) as AuditRecord;
    unlinkSync(segPath(0));
    writeFileSync(join(dir, 'c', 'anchor.json'), JSON.stringify({ seq: last.seq, hash: last.hash, time: last.time, prunedAt: new Date().toISOString() }));
    const r = await verifyAuditDir(dir, { keys });
    expect(r.firstBad).toMatchObject({ file: 'c/anchor.json', seq: 10 });
    expect(r.firstBad!.reason).toMatch(/not vouched for/);
  });

  it('fails when head.json is missing or edited', async () => {
    await writeChain();
    const head = readFileSync(join(dir, 'c', 'head.json'), 'utf8');
    writeFileSync(join(dir, 'c', 'head.json'), head.replace(/"hash":"[0-9a-f]{64}"/, `"hash":"${'1'.repeat(64)}"`));
    expect((await verifyAuditDir(dir, { keys })).firstBad).toMatchObject({ seq: 10, reason: 'record 10 does not match head.json' });
    unlinkSync(join(dir, 'c', 'head.json'));
    expect((await verifyAuditDir(dir, { keys })).firstBad!.reason).toMatch(/head.json is missing/);
  });

  it('catches a line that is not JSON', async () => {
    await writeChain();
    const p = segPath(0);
    const ls = lines(p);
    ls[2] = '{"seq":3,';
    writeLines(p, ls);
    expect((await verifyAuditDir(dir, { keys })).firstBad).toMatchObject({ line: 3, seq: 3, reason: 'not valid JSON' });
  });

  it('tolerates a partial last line (a write in progress) but not one inside the chain', async () => {
    await writeChain(2, 5);
    appendFileSync(segPath(1), '{"seq":11,"time":"2024');
    const r = await verifyAuditDir(dir, { keys });
    expect(r.ok).toBe(true);
    expect(r.chains[0]).toMatchObject({ records: 10, torn: true });
    appendFileSync(segPath(0), '{"seq":');
    expect((await verifyAuditDir(dir, { keys })).firstBad).toMatchObject({ file: `c/${segs()[0]}`, line: 6, reason: expect.stringMatching(/incomplete line/) });
  });

  it('reports every chain and the first bad one', async () => {
    await writeChain(1, 5, 'a');
    await writeChain(1, 5, 'b');
    const p = segPath(0, 'b');
    writeLines(p, lines(p).slice(1));
    const r = await verifyAuditDir(dir, { keys });
    expect(r.ok).toBe(false);
    expect(r.chains.map((c) => [c.chain, c.ok])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(r.firstBad).toMatchObject({ chain: 'b', line: 1, seq: 1 });
  });

  it('throws for a directory that does not exist', async () => {
    await expect(verifyAuditDir(join(dir, 'nope'))).rejects.toMatchObject({ code: 'AUDIT_LOG_NOT_FOUND' });
  });
});
