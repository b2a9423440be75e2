import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { eventually } from '../../test/harness/eventually.ts';
import { AuditLog, type AuditLogOptions } from './audit-log.ts';
import { newAuditKeySpec, parseAuditKeys } from './audit-keys.ts';
import type { AuditEvent, AuditRecord } from './audit-record.ts';

const keys = parseAuditKeys(newAuditKeySpec('t'));

const DAY = 86_400_000;
let dir: string;
let t: number;
let logged: string[];
const log = createLogger({}, 'warn', (l) => logged.push(l));
const open: AuditLog[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-audit-log-'));
  t = Date.parse('2024-05-01T10:00:00.000Z');
  logged = [];
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function openLog(o: Partial<AuditLogOptions> = {}): Promise<AuditLog> {
  const a = await AuditLog.open({ dir, keys, now: () => new Date(t), log, pruneIntervalMs: 0, ...o });
  open.push(a);
  return a;
}

const ev = (over: Partial<AuditEvent> = {}): AuditEvent => ({ actor: 'alice', roles: ['admin'], action: 'invoke', function: 'echo', version: 'abcdef123456', outcome: 'ok', durationMs: 3, ...over });
const fileRecords = (chain: string): AuditRecord[] =>
  readdirSync(join(dir, chain))
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => readFileSync(join(dir, chain, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord));
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const host = hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 40);

describe('AuditLog', () => {
  it('stores appended events as chained records, and only the audit fields', async () => {
    const a = await openLog({ chainId: 'r1' });
    const r1 = a.append(ev());
    const r2 = a.append({ ...ev({ actor: 'bob', outcome: 'error', code: 'FUNCTION_ERROR' }), input: { secret: 'hunter2' }, token: 'eyJ...' } as AuditEvent);
    expect(r1).toMatchObject({ seq: 1, time: '2024-05-01T10:00:00.000Z', actor: 'alice', action: 'invoke', outcome: 'ok', prev: '0'.repeat(64) });
    expect(r2).toMatchObject({ seq: 2, prev: r1.hash, actor: 'bob', code: 'FUNCTION_ERROR' });
    await a.close();
    const text = readdirSync(join(dir, 'r1')).map((f) => readFileSync(join(dir, 'r1', f), 'utf8')).join('');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('eyJ');
    expect(fileRecords('r1')).toEqual([r1, r2]);
    expect(JSON.parse(readFileSync(join(dir, 'r1', 'head.json'), 'utf8'))).toMatchObject({ chain: 'r1', seq: 2, hash: r2.hash });
  });

  it('refuses events without actor, a noun.verb action or a known outcome', async () => {
    const a = await openLog();
    expect(() => a.append(ev({ actor: '' }))).toThrow(/actor/);
    expect(() => a.append(ev({ action: 'Deploy Things' }))).toThrow(/action/);
    expect(() => a.append(ev({ outcome: 'maybe' as 'ok' }))).toThrow(/outcome/);
    expect((await a.verify()).records).toBe(0);
  });

  it('close flushes, is idempotent, and later appends are refused', async () => {
    const a = await openLog({ chainId: 'r1', flushIntervalMs: 60_000 });
    a.append(ev());
    const c1 = a.close();
    expect(a.close()).toBe(c1);
    await c1;
    expect(fileRecords('r1')).toHaveLength(1);
    expect(existsSync(join(dir, 'r1', 'lock'))).toBe(false);
    expect(() => a.append(ev())).toThrow(expect.objectContaining({ code: 'AUDIT_UNAVAILABLE', status: 503 }));
  });

  it('writes a full batch without waiting for the timer', async () => {
    const a = await openLog({ chainId: 'r1', flushIntervalMs: 60_000, flushBatch: 5 });
    for (let i = 0; i < 5; i++) a.append(ev());
    for (let i = 0; i < 100 && fileRecords('r1').length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fileRecords('r1')).toHaveLength(5);
  });

  it('writes while bursts of appends continue: flushing is never starved', async () => {
    const a = await openLog({ chainId: 'r1', flushBatch: 500 });
    const head = () => (existsSync(join(dir, 'r1', 'head.json')) ? (JSON.parse(readFileSync(join(dir, 'r1', 'head.json'), 'utf8')) as { seq: number }) : { seq: 0 });
    // Bursts of 500 appends, one turn of the event loop between them, until records are on disk.
    // Flushing starved by the appends (a timer pushed back, a batch never started) never gets
    // there: the appends stop at maxPending. How many bursts it takes is the disk's speed, not
    // checked here (test/bench/audit-log-bench.ts measures the throughput).
    let appended = 0;
    while (head().seq === 0 && appended < 100_000) {
      for (let i = 0; i < 500; i++) a.append(ev());
      appended += 500;
      await new Promise((r) => setImmediate(r));
    }
    expect(head().seq).toBeGreaterThan(0);
    await a.flush();
    expect(fileRecords('r1')).toHaveLength(appended);
  });

  it('a restarted log continues its chain', async () => {
    const a = await openLog();
    a.append(ev());
    a.append(ev());
    const last = a.append(ev());
    await a.close();
    const b = await openLog();
    expect(b.chainId).toBe(a.chainId);
    expect(b.chainId).toBe(`${host}-0`);
    expect(b.append(ev())).toMatchObject({ seq: 4, prev: last.hash });
    const report = await b.verify();
    expect(report).toMatchObject({ ok: true, records: 4, chains: [{ chain: a.chainId, lastSeq: 4 }] });
  });

  it('takes over the chain of a dead process (stale lock) and continues it', async () => {
    const a = await openLog({ chainId: 'r1' });
    const last = a.append(ev());
    await a.close();
    writeFileSync(join(dir, 'r1', 'lock'), JSON.stringify({ pid: deadPid(), host, nonce: 'dead', since: new Date().toISOString() }));
    const b = await openLog({ chainId: 'r1' });
    expect(b.append(ev())).toMatchObject({ seq: 2, prev: last.hash });
    expect(JSON.parse(readFileSync(join(dir, 'r1', 'lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    expect((await b.verify()).ok).toBe(true);
  });

  it('never takes a chain a live process holds', async () => {
    const a = await openLog({ chainId: 'r1' });
    await expect(openLog({ chainId: 'r1' })).rejects.toMatchObject({ code: 'AUDIT_CHAIN_BUSY' });
    // A lock from another host cannot be checked, so it counts as live.
    mkdirSync(join(dir, `${host}-0`));
    writeFileSync(join(dir, `${host}-0`, 'lock'), JSON.stringify({ pid: deadPid(), host: 'elsewhere', nonce: 'x', since: '' }));
    const b = await openLog();
    expect(b.chainId).toBe(`${host}-1`);
    await a.close();
  });

  it('two logs on one directory write two chains; both verify, and queries see both', async () => {
    const a = await openLog();
    const b = await openLog();
    expect(a.chainId).not.toBe(b.chainId);
    for (let i = 0; i < 5; i++) {
      a.append(ev({ actor: 'from-a' }));
      t += 1000;
      b.append(ev({ actor: 'from-b' }));
      t += 1000;
    }
    await b.flush(); // each log flushes only its own chain before reading
    const report = await a.verify();
    expect(report.ok).toBe(true);
    expect(report.chains.map((c) => [c.chain, c.records])).toEqual([
      [a.chainId, 5],
      [b.chainId, 5],
    ]);
    const all = await b.query({});
    expect(all).toHaveLength(10);
    // Newest first across chains: b's fifth record was the last appended.
    expect(all.map((r) => r.actor).slice(0, 4)).toEqual(['from-b', 'from-a', 'from-b', 'from-a']);
    expect(new Set(all.map((r) => r.chain))).toEqual(new Set([a.chainId, b.chainId]));
  });

  it('cuts off a partial record left by a crash and continues', async () => {
    const a = await openLog({ chainId: 'r1' });
    const last = a.append(ev());
    await a.close();
    const seg = readdirSync(join(dir, 'r1')).find((f) => f.endsWith('.jsonl'))!;
    appendFileSync(join(dir, 'r1', seg), '{"seq":2,"time":"20');
    const b = await openLog({ chainId: 'r1' });
    expect(b.append(ev())).toMatchObject({ seq: 2, prev: last.hash });
    expect(await b.verify()).toMatchObject({ ok: true, records: 2 });
    expect(logged.join('\n')).toContain('partial record');
  });

  it('leaves a damaged chain as evidence: a new process starts another chain', async () => {
    const a = await openLog();
    a.append(ev());
    a.append(ev());
    await a.close();
    const seg = readdirSync(join(dir, a.chainId)).find((f) => f.endsWith('.jsonl'))!;
    const path = join(dir, a.chainId, seg);
    const before = readFileSync(path, 'utf8');
    writeFileSync(path, before.split('\n')[0] + '\n'); // the last record cut off
    await expect(openLog({ chainId: a.chainId })).rejects.toMatchObject({ code: 'AUDIT_CHAIN_DAMAGED' });
    const b = await openLog();
    expect(b.chainId).toBe(`${host}-1`);
    expect(logged.join('\n')).toMatch(/damaged/);
    expect(readFileSync(path, 'utf8')).toBe(before.split('\n')[0] + '\n');
    expect((await b.verify()).firstBad).toMatchObject({ chain: a.chainId, seq: 2 });
  });

  it('reopens a segment replaced while open, so later records are not lost', async () => {
    const a = await openLog({ chainId: 'r1' });
    a.append(ev());
    await a.flush();
    const seg = join(dir, 'r1', readdirSync(join(dir, 'r1')).find((f) => f.endsWith('.jsonl'))!);
    const text = readFileSync(seg, 'utf8');
    rmSync(seg);
    writeFileSync(seg, text); // what `sed -i` does: a new file under the old name
    a.append(ev());
    await a.flush();
    expect(fileRecords('r1').map((r) => r.seq)).toEqual([1, 2]);
    expect(logged.join('\n')).toContain('deleted or replaced');
    expect((await a.verify()).ok).toBe(true);
  });

  it('rolls segments at UTC midnight and past the size limit', async () => {
    const a = await openLog({ chainId: 'r1', maxSegmentBytes: 1000 });
    for (let i = 0; i < 3; i++) a.append(ev());
    t += DAY;
    for (let i = 0; i < 12; i++) a.append(ev());
    await a.flush();
    const files = readdirSync(join(dir, 'r1')).filter((f) => f.endsWith('.jsonl')).sort();
    expect(files[0]).toBe('0000000000000001_2024-05-01.jsonl');
    expect(files[1]).toBe('0000000000000004_2024-05-02.jsonl');
    expect(files.length).toBeGreaterThan(2);
    for (const f of files.slice(1)) expect(readFileSync(join(dir, 'r1', f)).length).toBeLessThanOrEqual(1000);
    expect(await a.verify()).toMatchObject({ ok: true, records: 15 });
  });

  it('refuses appends once maxPending records cannot be written', async () => {
    const a = await openLog({ chainId: 'r1', maxPending: 3, flushIntervalMs: 60_000 });
    // The segment's path is taken by a directory: every write fails.
    mkdirSync(join(dir, 'r1', '0000000000000001_2024-05-01.jsonl'));
    for (let i = 0; i < 3; i++) a.append(ev());
    expect(() => a.append(ev())).toThrow(expect.objectContaining({ code: 'AUDIT_UNAVAILABLE' }));
    await expect(a.flush()).rejects.toThrow();
    rmSync(join(dir, 'r1', '0000000000000001_2024-05-01.jsonl'), { recursive: true });
    await a.flush();
    expect(fileRecords('r1').map((r) => r.seq)).toEqual([1, 2, 3]);
    expect((await a.verify()).ok).toBe(true);
  });
});

describe('AuditLog scheduled verification', () => {
  it('verifies every chain by itself (verifyIntervalMs), remembers the outcome, and logs a failure', async () => {
    const a = await openLog({ verifyIntervalMs: 100 });
    expect(a.lastVerification).toBeUndefined();
    a.append(ev());
    a.append(ev({ actor: 'bob' }));
    await a.flush();
    const first = await eventually(() => a.lastVerification?.records === 2 && a.lastVerification, 'the first scheduled verification');
    expect(first.ok).toBe(true);
    // An edited record: the next scheduled run finds it.
    const seg = readdirSync(join(dir, a.chainId)).find((f) => f.endsWith('.jsonl'))!;
    writeFileSync(join(dir, a.chainId, seg), readFileSync(join(dir, a.chainId, seg), 'utf8').replace('"actor":"bob"', '"actor":"eve"'));
    const failed = await eventually(() => a.lastVerification?.ok === false && a.lastVerification, 'a scheduled verification to find the edit');
    expect(failed.at).toBeGreaterThanOrEqual(first.at);
    await eventually(() => logged.some((l) => l.includes('audit log failed verification') && l.includes('hash mismatch')), 'the failure to be logged');
  });
});

describe('AuditLog.query', () => {
  let a: AuditLog;
  beforeEach(async () => {
    a = await openLog({ chainId: 'q' });
    const events: Partial<AuditEvent>[] = [
      { actor: 'alice', action: 'function.deploy', function: 'echo' },
      { actor: 'bob', action: 'invoke', function: 'echo' },
      { actor: 'bob', action: 'invoke', function: 'risk', outcome: 'error', code: 'DEADLINE_EXCEEDED' },
      { actor: 'carol', action: 'access.denied', function: 'risk', outcome: 'denied', code: 'FORBIDDEN' },
      { actor: 'alice', action: 'traffic.change', function: 'risk' },
    ];
    for (const e of events) {
      a.append(ev(e));
      t += DAY / 2;
    }
  });
  const actors = (rs: AuditRecord[]) => rs.map((r) => `${r.actor}:${r.seq}`);

  it('returns everything newest first', async () => {
    expect(actors(await a.query())).toEqual(['alice:5', 'carol:4', 'bob:3', 'bob:2', 'alice:1']);
  });
  it('filters by actor, function, action and outcome', async () => {
    expect(actors(await a.query({ actor: 'bob' }))).toEqual(['bob:3', 'bob:2']);
    expect(actors(await a.query({ function: 'risk' }))).toEqual(['alice:5', 'carol:4', 'bob:3']);
    expect(actors(await a.query({ action: 'invoke', function: 'echo' }))).toEqual(['bob:2']);
    expect(actors(await a.query({ outcome: 'denied' }))).toEqual(['carol:4']);
    expect(await a.query({ actor: 'nobody' })).toEqual([]);
  });
  it('filters by time range (inclusive) and limits', async () => {
    const start = Date.parse('2024-05-01T10:00:00.000Z');
    expect(actors(await a.query({ since: new Date(start + DAY) }))).toEqual(['alice:5', 'carol:4', 'bob:3']);
    expect(actors(await a.query({ until: new Date(start + DAY / 2) }))).toEqual(['bob:2', 'alice:1']);
    expect(actors(await a.query({ since: new Date(start + DAY / 2), until: new Date(start + DAY) }))).toEqual(['bob:3', 'bob:2']);
    expect(actors(await a.query({ limit: 2 }))).toEqual(['alice:5', 'carol:4']);
  });
});
