import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { functionSet, lines, workers } from './pool-helpers.ts';

let redis: TestRedis;
let dir: string;
beforeAll(async () => {
  redis = await startTestRedis();
  dir = mkdtempSync(join(tmpdir(), 'autoglm-memory-'));
});
afterAll(async () => {
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});
let p: TestPlatform | undefined;
afterEach(async () => {
  await p?.stop();
  p = undefined;
});

let n = 0;
const countFile = () => join(dir, `runs-${++n}.txt`);
const succeeded = (id: string) =>
  eventually(async () => {
    const j = (await p!.call('GET', `/v1/jobs/${id}`)).json;
    return j.status === 'succeeded' && j;
  }, `job ${id} to succeed`, 45_000);
const replacement = (old: number) =>
  eventually(async () => {
    const ws = await workers(p!);
    return ws.length === 1 && ws[0]!.pid !== old && ws[0]!;
  }, 'a replacement worker');

describe('memory limit', () => {
  it('a worker over its memory limit is drained (running jobs finish, once) and replaced', async () => {
    p = await startPlatform(redis.url, { env: { AUTOGLM_FUNCTIONS_DIR: functionSet('health'), AUTOGLM_WORKER_MAX_RSS: '600MiB' } });
    const [before] = await workers(p);
    const file = countFile();
    const running = await p.call('POST', '/v1/functions/block/jobs', { input: { ms: 2000, countFile: file } });
    await eventually(async () => lines(file).length > 0, 'the block job to start');
    const hog = await p.call('POST', '/v1/functions/hog/invoke', { input: { mb: 500 } });
    expect(hog.status).toBe(200);
    expect(hog.json.output.pid).toBe(before!.pid);
    const w = await replacement(before!.pid);
    expect(w.restarts).toBe(1);
    expect((await succeeded(running.json.id)).output).toEqual({ runs: 1 });
    expect(lines(file)).toEqual([String(before!.pid)]);
  });
});
