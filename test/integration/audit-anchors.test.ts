import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { AuditHeadStore } from '../../queue/cluster/index.ts';
import { AuditLog, canonicalJson, newAuditKeySpec, parseAuditKeys, recordHash, verifyAuditDir, type AuditRecord } from '../../runtime/audit/index.ts';
import { redisForFile } from '../harness/redis-for-file.ts';

/**
 * The four rewrites of issue 20 that an unkeyed, unanchored chain let through, by someone who can
 * write the audit files but holds neither the audit key (only routers do) nor Redis.
 */
const redis = redisForFile();
const quiet = createLogger({}, 'error', () => undefined);
const keys = parseAuditKeys(newAuditKeySpec('k1'));
let n = 0;
let dir: string;
let anchors: AuditHeadStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-audit-anchors-'));
  anchors = new AuditHeadStore(redis.conn, `anchors${++n}`); // a fresh prefix per test
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A closed chain `c` of `count` records, all in one segment, anchored in Redis. */
async function writeChain(count = 10, chainId = 'c', withAnchors: AuditHeadStore | null = anchors): Promise<AuditRecord[]> {
  const log = await AuditLog.open({ dir, keys, ...(withAnchors ? { anchors: withAnchors } : {}), chainId, log: quiet, pruneIntervalMs: 0, now: () => new Date('2024-05-01T10:00:00Z') });
  const out: AuditRecord[] = [];
  for (let i = 0; i < count; i++) out.push(log.append({ actor: `user${i}`, roles: ['deployer'], action: 'function.deploy', function: 'echo', outcome: 'ok' }));
  await log.close();
  return out;
}

const segment = (chain = 'c') => join(dir, chain, readdirSync(join(dir, chain)).find((f) => f.endsWith('.jsonl'))!);
const readRecords = (chain = 'c'): AuditRecord[] => readFileSync(segment(chain), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);

/**
 * What the attacker can do without the key: rewrite the segment with `recs`, re-chained from
 * `recs[from]` on, each hash recomputed by `seal`, and head.json set to match. Every check the
 * unkeyed chain made on the files alone then passes.
 */
function rewrite(recs: AuditRecord[], from: number, seal: (r: Omit<AuditRecord, 'hash'>) => string, chain = 'c'): void {
  let prev = recs[from]!.prev;
  const out = recs.map((r, i) => {
    if (i < from) return r;
    const rec = { ...r, prev };
    delete (rec as Partial<AuditRecord>).hash;
    rec.hash = seal(rec);
    prev = rec.hash;
    return rec;
  });
  writeFileSync(segment(chain), out.map((r) => JSON.stringify(r) + '\n').join(''));
  const last = out.at(-1)!;
  writeFileSync(join(dir, chain, 'head.json'), JSON.stringify({ chain, seq: last.seq, hash: last.hash, time: last.time, segment: segment(chain).split('/').at(-1) }) + '\n');
}

/** Recomputed as the old, unkeyed chain did (and dropping the key id: a "legacy" record). */
const sha256 = (r: Omit<AuditRecord, 'hash'>) => {
  delete r.kid;
  return recordHash(r);
};
/** Recomputed with a key that is not the audit key. */
const guessedKey = (r: Omit<AuditRecord, 'hash'>) => recordHash(r, Buffer.from('not-the-audit-key-not-the-audit-key'));

const verify = () => verifyAuditDir(dir, { keys, anchors });

describe('a keyed, anchored chain', () => {
  it('verifies, its head anchored in Redis at its last record', async () => {
    const recs = await writeChain();
    expect(recs.every((r) => r.kid === 'k1')).toBe(true);
    expect(await anchors.get('c')).toMatchObject({ seq: 10, hash: recs[9]!.hash, kid: 'k1' });
    const r = await verify();
    expect(r).toMatchObject({ ok: true, records: 10, chains: [{ chain: 'c', ok: true, lastHash: recs[9]!.hash, headAnchor: { status: 'match', seq: 10 } }] });
    expect(r.chains[0]!.legacy).toBeUndefined();
  });

  it('(1) an edited record, the chain recomputed without the key, fails at that record', async () => {
    await writeChain(10, 'c');
    await writeChain(10, 'd');
    const c = readRecords('c');
    c[4] = { ...c[4]!, actor: 'mallory' };
    rewrite(c, 4, guessedKey, 'c');
    // As plain sha256, as the unkeyed chain was: the key id must go too, and an unkeyed record
    // cannot follow keyed ones.
    const d = readRecords('d');
    d[4] = { ...d[4]!, actor: 'mallory' };
    rewrite(d, 4, sha256, 'd');
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.chains.map((x) => x.firstBad)).toEqual([
      { chain: 'c', file: expect.stringMatching(/^c\//), line: 5, seq: 5, reason: 'hash mismatch: the record was altered, or sealed without the audit key' },
      { chain: 'd', file: expect.stringMatching(/^d\//), line: 5, seq: 5, reason: 'unkeyed record after keyed ones: it was rewritten without the audit key' },
    ]);
  });

  it('(1) the whole chain rewritten as unkeyed legacy records passes the files, and fails against the Redis anchor', async () => {
    await writeChain();
    const recs = readRecords();
    recs[4] = { ...recs[4]!, actor: 'mallory' };
    rewrite(recs, 0, sha256);
    // The files alone: a legacy chain, intact, and said to be only hash-checked.
    const offline = await verifyAuditDir(dir, { keys });
    expect(offline.chains[0]).toMatchObject({ ok: true, legacy: { records: 10, lastSeq: 10 } });
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.chains[0]!.headAnchor).toMatchObject({ status: 'mismatch', seq: 10 });
    expect(r.firstBad).toMatchObject({ chain: 'c', line: 10, seq: 10, reason: expect.stringMatching(/record 10 is not the one anchored in Redis/) });
  });

  it('(2) a record dropped and the rest renumbered and re-chained fails at the first renumbered record', async () => {
    await writeChain(10, 'c');
    await writeChain(10, 'd');
    for (const [chain, seal] of [['c', guessedKey], ['d', sha256]] as const) {
      const recs = readRecords(chain).filter((r) => r.seq !== 4);
      recs.forEach((r, i) => (r.seq = i + 1));
      rewrite(recs, 3, seal, chain);
    }
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.chains.map((x) => [x.chain, x.firstBad?.seq, x.firstBad?.line, x.firstBad?.reason.split(':')[0]])).toEqual([
      ['c', 4, 4, 'hash mismatch'],
      ['d', 4, 4, 'unkeyed record after keyed ones'],
    ]);
  });

  it('(2) dropped and renumbered as a whole legacy chain, which the files accept, fails: Redis anchors seq 10', async () => {
    await writeChain();
    const recs = readRecords().filter((r) => r.seq !== 4);
    recs.forEach((r, i) => (r.seq = i + 1));
    rewrite(recs, 0, sha256);
    expect((await verifyAuditDir(dir, { keys })).ok).toBe(true);
    const r = await verify();
    expect(r.chains[0]!.headAnchor).toMatchObject({ status: 'ahead', seq: 10 });
    expect(r.firstBad).toMatchObject({ seq: 10, reason: 'records 10..10 are missing from the end: the chain is anchored in Redis at seq 10' });
  });

  it('(3) a deleted chain folder fails: Redis still anchors the chain', async () => {
    await writeChain(10, 'a');
    await writeChain(10, 'c');
    rmSync(join(dir, 'c'), { recursive: true });
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.chains.map((c) => [c.chain, c.ok])).toEqual([
      ['a', true],
      ['c', false],
    ]);
    expect(r.chains[1]!.headAnchor).toEqual({ status: 'folder missing', seq: 10 });
    expect(r.firstBad).toMatchObject({ chain: 'c', file: 'c', seq: 10, reason: "the chain's folder is missing: the chain is anchored in Redis at seq 10" });
  });

  it('(4) a truncated tail, head.json rewritten to match, fails; no router continues the chain', async () => {
    await writeChain();
    const recs = readRecords().slice(0, 7);
    writeFileSync(segment(), recs.map((r) => JSON.stringify(r) + '\n').join(''));
    writeFileSync(join(dir, 'c', 'head.json'), JSON.stringify({ chain: 'c', seq: 7, hash: recs[6]!.hash }));
    expect((await verifyAuditDir(dir, { keys })).ok).toBe(true); // the files alone cannot tell
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.chains[0]!.headAnchor).toEqual({ status: 'ahead', seq: 10 });
    expect(r.firstBad).toMatchObject({ chain: 'c', line: 8, seq: 8, reason: 'records 8..10 are missing from the end: the chain is anchored in Redis at seq 10' });
    await expect(AuditLog.open({ dir, keys, anchors, chainId: 'c', log: quiet, pruneIntervalMs: 0 })).rejects.toMatchObject({
      code: 'AUDIT_CHAIN_DAMAGED',
      reason: 'Redis anchors the chain at seq 10, its files end at seq 7',
    });
  });

  it('a keyed chain whose anchor was deleted fails, and is not continued', async () => {
    await writeChain();
    await redis.conn.hdel(`anchors${n}:audit:heads`, 'c');
    const r = await verify();
    expect(r.chains[0]!.headAnchor).toEqual({ status: 'missing' });
    expect(r.firstBad!.reason).toMatch(/no anchor in Redis/);
    await expect(AuditLog.open({ dir, keys, anchors, chainId: 'c', log: quiet, pruneIntervalMs: 0 })).rejects.toMatchObject({ reason: 'its anchor in Redis is missing' });
  });

  it('an anchor behind the files (records written while Redis was not told) is reported, and passes', async () => {
    const first = await writeChain(4);
    // The same chain continued by a writer without anchors: the files now reach seq 7.
    const more = await writeChain(3, 'c', null);
    expect(more[0]).toMatchObject({ seq: 5, prev: first[3]!.hash });
    const r = await verify();
    expect(r.chains[0]).toMatchObject({ ok: true, lastSeq: 7, headAnchor: { status: 'behind', seq: 4, behind: 3 } });
    // The next anchored flush catches up.
    await writeChain(1);
    expect((await verify()).chains[0]!.headAnchor).toEqual({ status: 'match', seq: 8 });
  });

  it('records sealed with a key rotated out verify while the ring keeps it; without it they fail', async () => {
    await writeChain(3);
    const rotated = parseAuditKeys(`${newAuditKeySpec('k2')},k1:${keys.keys.get('k1')!.toString()}`);
    const log = await AuditLog.open({ dir, keys: rotated, anchors, chainId: 'c', log: quiet, pruneIntervalMs: 0 });
    expect(log.append({ actor: 'x', action: 'invoke', outcome: 'ok' })).toMatchObject({ seq: 4, kid: 'k2' });
    expect((await log.verify()).ok).toBe(true);
    await log.close();
    const r = await verifyAuditDir(dir, { keys: parseAuditKeys(newAuditKeySpec('k2')), anchors });
    expect(r.firstBad).toMatchObject({ seq: 1, reason: expect.stringMatching(/sealed with audit key 'k1', which this verification does not have/) });
  });
});

describe('chains written before the audit key (unkeyed legacy)', () => {
  /** A chain as the unkeyed writer left it: sha256 records, head.json, no anchor. */
  function writeLegacy(chain: string, count: number): void {
    const seg = join(dir, chain, '0000000000000001_2024-04-01.jsonl');
    rmSync(join(dir, chain), { recursive: true, force: true });
    let prev = '0'.repeat(64);
    const lines: string[] = [];
    for (let seq = 1; seq <= count; seq++) {
      const body = { seq, time: '2024-04-01T10:00:00.000Z', actor: 'old', roles: [], action: 'invoke', outcome: 'ok', prev };
      const hash = createHash('sha256').update(prev + canonicalJson(body)).digest('hex');
      lines.push(JSON.stringify({ ...body, hash }));
      prev = hash;
    }
    mkdirSync(join(dir, chain), { recursive: true });
    writeFileSync(seg, lines.map((l) => l + '\n').join(''));
    writeFileSync(join(dir, chain, 'head.json'), JSON.stringify({ chain, seq: count, hash: prev }));
  }

  it('are anchored when a keyed router first opens the directory; continued chains stay keyed from there', async () => {
    writeLegacy('old', 5);
    writeLegacy('c', 3);
    const log = await AuditLog.open({ dir, keys, anchors, chainId: 'c', log: quiet, pruneIntervalMs: 0 });
    expect(log.append({ actor: 'x', action: 'invoke', outcome: 'ok' })).toMatchObject({ seq: 4, kid: 'k1' });
    const r = await log.verify();
    await log.close();
    expect(r.ok).toBe(true);
    expect(r.chains).toMatchObject([
      { chain: 'c', records: 4, legacy: { records: 3, lastSeq: 3 }, headAnchor: { status: 'match', seq: 4 } },
      { chain: 'old', records: 5, legacy: { records: 5, lastSeq: 5 }, headAnchor: { status: 'match', seq: 5 } },
    ]);
    // From then on, a cut legacy tail shows like any other.
    const seg = join(dir, 'old', '0000000000000001_2024-04-01.jsonl');
    const kept = readFileSync(seg, 'utf8').split('\n').filter(Boolean).slice(0, 3);
    writeFileSync(seg, kept.map((l) => l + '\n').join(''));
    writeFileSync(join(dir, 'old', 'head.json'), JSON.stringify({ chain: 'old', seq: 3, hash: (JSON.parse(kept[2]!) as AuditRecord).hash }));
    expect((await verify()).firstBad).toMatchObject({ chain: 'old', seq: 4, reason: expect.stringMatching(/missing from the end/) });
  });

  it('a legacy prefix is bound by the first keyed record: rewriting it fails', async () => {
    writeLegacy('c', 3);
    const log = await AuditLog.open({ dir, keys, anchors, chainId: 'c', log: quiet, pruneIntervalMs: 0 });
    log.append({ actor: 'x', action: 'invoke', outcome: 'ok' });
    await log.close();
    const recs = readRecords();
    recs[1] = { ...recs[1]!, actor: 'mallory' };
    let prev = recs[0]!.hash;
    for (const rec of recs.slice(1, 3)) {
      rec.prev = prev;
      rec.hash = recordHash(rec);
      prev = rec.hash;
    }
    writeFileSync(segment(), recs.map((x) => JSON.stringify(x) + '\n').join(''));
    expect((await verify()).firstBad).toMatchObject({ seq: 4, reason: expect.stringMatching(/prev does not match/) });
  });
});
