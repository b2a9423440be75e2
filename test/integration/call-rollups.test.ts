import { describe, expect, it } from 'vitest';
import type { MinutePoint } from '../../queue/cluster/index.ts';
import { eventually } from '../harness/platform.ts';
import { poolSuite } from './pool-helpers.ts';

const suite = poolSuite('call-rollups');

type Minute = MinutePoint;

describe('per-minute call rollups', () => {
  it("count a function's calls, errors and inputs per minute, with sync p50/p95, for GET /v1/functions/{name}/calls", async () => {
    const p = await suite.start();
    for (let i = 0; i < 3; i++) expect((await p.call('POST', '/v1/functions/echo/invoke', { input: { i } })).status).toBe(200);
    expect((await p.call('POST', '/v1/functions/echo/invoke', '{"input":')).status).toBe(400);
    expect((await p.call('POST', '/v1/functions/echo/jobs', { inputs: [1, 2, 3, 4, 5].map((n) => ({ n })) })).status).toBe(202);
    // Written by the router every few seconds: wait until all five calls are there.
    const sum = (ms: Minute[], f: (m: Minute) => number) => ms.reduce((n, m) => n + f(m), 0);
    const minutes = await eventually(async () => {
      const r = await p.call('GET', '/v1/functions/echo/calls?minutes=5');
      return r.status === 200 && sum(r.json.minutes, (m) => m.calls) >= 5 && (r.json.minutes as Minute[]);
    }, 'the calls to be rolled up');
    expect(minutes).toHaveLength(5);
    expect(minutes.map((m) => m.t)).toEqual([...minutes.map((m) => m.t)].sort((a, b) => a - b));
    expect(minutes[4]!.t - minutes[0]!.t).toBe(4 * 60_000);
    expect(sum(minutes, (m) => m.calls)).toBe(5);
    expect(sum(minutes, (m) => m.clientErrors)).toBe(1);
    expect(sum(minutes, (m) => m.serverErrors)).toBe(0);
    expect(sum(minutes, (m) => m.inputs)).toBe(8);
    const withSync = minutes.filter((m) => m.p50 !== null);
    expect(withSync.length).toBeGreaterThan(0);
    for (const m of withSync) expect(m.p95!).toBeGreaterThanOrEqual(m.p50!);
    // Another function's figures are its own; an unknown one is a 404.
    expect((await p.call('GET', '/v1/functions/nope/calls')).status).toBe(404);
    expect((await p.call('GET', '/v1/functions/echo/calls?minutes=500')).status).toBe(400);
  });
});
