import { describe, expect, it } from 'vitest';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { namesJob } from '../../queue/cluster/index.ts';
import { functionSet, poolSuite } from './pool-helpers.ts';

// chatty writes lines with ctx.log and console.* in load and in handle; chatty-inline is the
// same code on the worker's main thread (isolation: inline).
const suite = poolSuite('logs');

type Line = { id: string; t: number; level: string; msg: string; fields?: Record<string, unknown>; version: string; device: string; worker?: string; source: string; batch?: number; jobs?: string[] };

const logs = async (p: TestPlatform, fn: string, query = '', token?: string): Promise<{ status: number; lines: Line[]; next: string | null }> => {
  const r = await p.call('GET', `/v1/functions/${fn}/logs${query}`, undefined, token ? { authorization: `Bearer ${token}` } : {});
  return { status: r.status, lines: r.json?.lines ?? [], next: r.json?.next ?? null };
};

/** Waits until `fn`'s log holds a line `pick` accepts; returns the whole page. */
const logged = (p: TestPlatform, fn: string, pick: (l: Line) => boolean, query = '') =>
  eventually(async () => {
    const page = await logs(p, fn, query);
    return page.lines.some(pick) && page;
  }, `a log line of ${fn}`);

describe('function logs', () => {
  it('what function code writes, with ctx.log or console, in load and in handle, reaches the log with its version, device and job ids, sealed in Redis', async () => {
    const p = await suite.start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('logs') } });
    for (const fn of ['chatty', 'chatty-inline']) {
      const calls = await Promise.all([1, 2, 3].map((n) => p.call('POST', `/v1/functions/${fn}/invoke`, { input: { n } })));
      expect(calls.map((c) => c.status)).toEqual([200, 200, 200]);
      const version = calls[0]!.json.version as string;
      const ids = calls.map((c) => c.json.id as string);
      // The batch lines between them name every call (all three may share one handler call).
      const { lines } = await eventually(async () => {
        const page = await logs(p, fn);
        const batches = page.lines.filter((l) => l.msg === 'batch');
        return ids.every((id) => batches.some((l) => namesJob(l.jobs, id))) && page;
      }, `${fn}'s batch lines naming every call`);
      const batch = lines.find((l) => l.msg === 'batch')!;
      expect(batch).toMatchObject({ level: 'info', source: 'log', version, device: calls[0]!.json.device, fields: { size: batch.batch } });
      expect((batch.fields!.ns as number[]).length).toBe(batch.batch);
      expect(batch.worker).toEqual(expect.any(String));
      expect(lines.find((l) => l.msg.startsWith('console in handle:'))).toMatchObject({ level: 'info', source: 'console', version });
      // Written while loading: no batch, no jobs.
      const loaded = lines.find((l) => l.msg === 'loaded')!;
      expect(loaded).toMatchObject({ source: 'log', fields: { from: 'load' }, version });
      expect(loaded.jobs).toBeUndefined();
      expect(lines.find((l) => l.msg === 'console while loading')).toMatchObject({ level: 'warn', source: 'console' });
      // Oldest first, each with its own id.
      expect(lines.map((l) => l.t)).toEqual([...lines.map((l) => l.t)].sort((a, b) => a - b));
      expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
    }
    // A secret written to the log is not readable in Redis.
    await p.call('POST', '/v1/functions/chatty/invoke', { input: { n: 4, secret: 'IBAN-DE89370400440532013000' } });
    await logged(p, 'chatty', (l) => l.msg.includes('IBAN-DE89'));
    const raw = await p.redis.xrange(`${p.prefix}:logs:chatty`, '-', '+');
    expect(raw.length).toBeGreaterThan(3);
    expect(JSON.stringify(raw)).not.toMatch(/IBAN|console in handle|batch/);
  });

  it('filters by level and version, pages forward from `next`, starts at `since`; only deployers and viewers read it; removing the function drops it', async () => {
    const p = await suite.start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('logs') } });
    await p.call('POST', '/v1/functions/chatty/invoke', { input: { n: 1, secret: 'first' } });
    const first = await logged(p, 'chatty', (l) => l.msg === 'secret first');
    const warnings = await logs(p, 'chatty', '?level=warn');
    expect(warnings.lines.length).toBeGreaterThan(0);
    expect(warnings.lines.every((l) => l.level === 'warn' || l.level === 'error')).toBe(true);
    expect((await logs(p, 'chatty', '?version=000000000000')).lines).toEqual([]);
    expect((await logs(p, 'chatty', '?limit=1')).lines).toHaveLength(1);
    // A job's lines: those of the handler call that ran it (its batch line, console line, secret).
    const jobId = first.lines.find((l) => l.msg === 'secret first')!.jobs![0]!;
    const ofJob = await logs(p, 'chatty', `?job=${jobId}`);
    expect(ofJob.lines.map((l) => l.msg).sort()).toEqual(['batch', 'console in handle: 1 inputs', 'secret first']);
    // A bulk job's items run in batches of 8: an item's lines are its batch's, named as a run.
    const bulk = await p.call('POST', '/v1/functions/chatty/jobs', { inputs: Array.from({ length: 20 }, (_, n) => ({ n: 100 + n })) });
    await eventually(async () => (await p.call('GET', `/v1/jobs/${bulk.json.id}`)).json.status === 'succeeded', 'the bulk job');
    const ofItem = await logged(p, 'chatty', (l) => l.msg === 'batch', `?job=${bulk.json.id}.13`);
    const itemBatch = ofItem.lines.filter((l) => l.msg === 'batch');
    expect(itemBatch).toHaveLength(1);
    expect(itemBatch[0]!.fields!.ns).toContain(113);
    expect(itemBatch[0]!.jobs).toEqual([expect.stringMatching(new RegExp(`^${bulk.json.id.replace('.', '\\.')}\\.\\d+-\\d+$`))]);
    const ofBulk = await logs(p, 'chatty', `?job=${bulk.json.id}&limit=1000`);
    expect(ofBulk.lines.filter((l) => l.msg === 'batch').flatMap((l) => l.fields!.ns as number[]).sort()).toEqual(Array.from({ length: 20 }, (_, n) => 100 + n));

    // Forward from the last page's `next`: only what came after it.
    await p.call('POST', '/v1/functions/chatty/invoke', { input: { n: 2, secret: 'second' } });
    const after = await logged(p, 'chatty', (l) => l.msg === 'secret second', `?after=${first.next}`);
    expect(after.lines.some((l) => l.msg === 'secret first')).toBe(false);
    expect((await logs(p, 'chatty', `?since=${new Date(Date.now() + 60_000).toISOString()}`)).lines).toEqual([]);
    expect((await logs(p, 'chatty', '?since=1h')).lines.some((l) => l.msg === 'secret first')).toBe(true);
    const bad = await p.call('GET', '/v1/functions/chatty/logs?since=yesterdayish');
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe('since');

    // Log lines can hold what inputs held: not for invokers, not outside the namespace.
    expect((await logs(p, 'chatty', '', await p.token(['viewer']))).status).toBe(200);
    expect((await logs(p, 'chatty', '', await p.token(['invoker']))).status).toBe(403);
    const elsewhere = await p.router.verifier.mint({ sub: 'other-team', roles: ['deployer'], namespaces: ['other'] });
    expect((await logs(p, 'chatty', '', elsewhere)).status).toBe(404); // another team's: as missing
    expect((await logs(p, 'no-such-function')).status).toBe(404);

    expect((await p.call('DELETE', '/v1/functions/chatty')).status).toBe(204);
    expect(await p.redis.exists(`${p.prefix}:logs:chatty`)).toBe(0);
  });

  it('a worker ships at most AUTOGLM_FUNCTION_LOGS_RATE lines a second per function, and says how many it dropped', async () => {
    const p = await suite.start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('logs'), AUTOGLM_FUNCTION_LOGS_RATE: '20' } });
    // Warm first, so the load's lines are not in the flood's second.
    await p.call('POST', '/v1/functions/chatty/invoke', { input: { n: 0 } });
    const before = await logged(p, 'chatty', (l) => l.msg === 'batch');
    const r = await p.call('POST', '/v1/functions/chatty/invoke', { input: { n: 1, flood: 300 } });
    expect(r.status).toBe(200);
    const page = await logged(p, 'chatty', (l) => l.source === 'platform', `?after=${before.next}&limit=1000`);
    const dropped = page.lines.filter((l) => l.source === 'platform').reduce((n, l) => n + (l.fields!.dropped as number), 0);
    const shipped = page.lines.filter((l) => l.source !== 'platform');
    // The call wrote 302 lines (its batch line, its console line, 300 floods): each shipped or counted.
    expect(shipped.length + dropped).toBe(302);
    expect(shipped.length).toBeLessThanOrEqual(40); // 20 a second, and the flood may straddle a second
    expect(page.lines.find((l) => l.source === 'platform')!.msg).toMatch(/^\d+ log lines dropped: \d+ over 20 a second/);
  });
});
