import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { eventually } from '../harness/platform.ts';
import { printed, useSplitInstall, type PlatformNode } from '../harness/platform-node.ts';

const THROWS_ON_LOAD = fileURLToPath(new URL('../fixtures/backends/throws-on-load.ts', import.meta.url));

const HEALTHCHECK = fileURLToPath(new URL('../../runtime/.build/healthcheck.js', import.meta.url));

const split = useSplitInstall('poolhealth');

/** A pool (`--role pool`) with its health endpoint on a free port, that endpoint's URL once it listens, and the image's HEALTHCHECK command for it. */
async function pool(env: Record<string, string>): Promise<{ node: PlatformNode; url: string; check: () => { status: number | null; out: string } }> {
  const port = String(await freePort());
  const node = split.launch({ ...split.shared(), AUTOGLM_ROLE: 'pool', AUTOGLM_WORKERS: '1', AUTOGLM_POOL_HEALTH_PORT: port, ...env });
  const url = await printed(node, /"pool health listening".*"url":"([^"]+)"/, 'the pool health endpoint to listen');
  // As Docker runs it: the container's environment (the role from it here: PID 1 is not the pool's tini).
  const check = () => {
    const r = spawnSync(process.execPath, [HEALTHCHECK], { env: { PATH: process.env.PATH!, ...split.shared(), AUTOGLM_ROLE: 'pool', AUTOGLM_POOL_HEALTH_PORT: port }, encoding: 'utf8' });
    return { status: r.status, out: r.stdout };
  };
  return { node, url, check };
}

const health = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
};

describe('the pool health endpoint (GET /healthz on AUTOGLM_POOL_HEALTH_PORT)', () => {
  it('answers 200 while a worker is live, and is gone once the pool stops', async () => {
    const { node, url, check } = await pool({});
    const ok = await eventually(async () => {
      const h = await health(url);
      return h.status === 200 && h;
    }, 'a live worker', 60_000);
    expect(ok.body).toMatchObject({ status: 'ok', live: 1, reasons: [], slots: [{ slot: 0, device: 'cpu:0', state: 'running', restarts: 0 }] });
    expect(check()).toMatchObject({ status: 0, out: expect.stringContaining(`pool ${url}: 200`) });
    // Anything else is a problem document, as the router's unknown routes are.
    const other = await fetch(new URL('/metrics', url));
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect((await other.json()).code).toBe('ROUTE_NOT_FOUND');

    node.proc.kill('SIGTERM');
    await node.exited;
    await expect(fetch(url)).rejects.toThrow();
    expect(check().status).toBe(1);
  }, 180_000);

  it('answers 503 naming why while its worker crash-loops (a TensorFlow module that throws on load)', async () => {
    const { url, check } = await pool({ AUTOGLM_TF_BACKEND: 'tensorflow', AUTOGLM_TF_GPU_MODULE: THROWS_ON_LOAD });
    const down = await eventually(async () => {
      const h = await health(url);
      expect(h.status).toBe(503);
      return h.body.slots[0].restarts >= 2 && h;
    }, 'the worker to have crashed twice', 60_000);
    expect(down.body.status).toBe('unavailable');
    expect(down.body.live).toBe(0);
    expect(down.body.reasons[0]).toBe('no live worker');
    const c = check();
    expect(c.status).toBe(1);
    expect(c.out).toContain('no live worker');
    expect(down.body.reasons[1]).toMatch(/^slot 0 \(cpu:0\): worker (exited, restarting after a delay|starting), last replaced: exited, \d+ restarts$/);
  }, 180_000);
});
