import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packBundle, sha256, tarHeader, writeTar } from '../../functions/sdk/bundle/index.ts';
import { ApiError } from '../../runtime/client/api-client.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/bundles/', import.meta.url));
const ECHO = fileURLToPath(new URL('../../functions/echo/', import.meta.url));

let redis: TestRedis;
let p: TestPlatform;
let work: string;
beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { env: { AUTOGLM_BUNDLE_LIMIT: '256KiB', AUTOGLM_LOAD_CHECK_TIMEOUT: '20s' } });
  work = mkdtempSync(join(tmpdir(), 'autoglm-reg-'));
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  rmSync(work, { recursive: true, force: true });
});

/** Uploads raw bytes as a bundle and returns the problem (or throws if it was accepted). */
async function refused(archive: Buffer, hash = sha256(archive)): Promise<ApiError> {
  try {
    await p.api.deploy(archive, hash);
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('the bundle was accepted');
}

const manifest = 'name: sneaky\nentry: handler.ts\n';
const code = 'export default { kind: "autoglm.function", handle: (x) => x };\n';
const tgz = (tar: Buffer) => gzipSync(tar);

describe('bad bundles are refused with a clear message and leave the registry unchanged', () => {
  const functionsBefore = async () => (await p.call('GET', '/v1/functions')).json.items.map((f: { name: string; versionCount: number }) => `${f.name}:${f.versionCount}`).sort();
  let before: string[];
  beforeAll(async () => {
    before = await functionsBefore();
  });

  it('a manifest missing a field or with a wrong type', async () => {
    const e = await refused(packBundle([{ path: 'manifest.yaml', data: Buffer.from('entry: handler.ts\nretries: lots\n') }, { path: 'index.mjs', data: Buffer.from(code) }]));
    expect(e.status).toBe(400);
    expect(e.code).toBe('INVALID_BUNDLE');
    expect(e.message).toContain('name');
    expect(e.message).toContain('retries');
  });

  it('the bundled entry missing', async () => {
    const e = await refused(packBundle([{ path: 'manifest.yaml', data: Buffer.from(manifest) }]));
    expect(e.code).toBe('INVALID_BUNDLE');
    expect(e.message).toContain('index.mjs');
  });

  it('an artifact listed but missing', async () => {
    const e = await refused(packBundle([{ path: 'manifest.yaml', data: Buffer.from(manifest + 'artifacts: [model.json]\n') }, { path: 'index.mjs', data: Buffer.from(code) }]));
    expect(e.message).toContain('model.json');
  });

  it('an archive with ../ paths', async () => {
    const evil = Buffer.from('owned');
    const tar = Buffer.concat([writeTar([{ path: 'manifest.yaml', data: Buffer.from(manifest) }, { path: 'index.mjs', data: Buffer.from(code) }]).subarray(0, -1024), tarHeader('../../etc/cron.d/x', evil.length), evil, Buffer.alloc(512 - evil.length), Buffer.alloc(1024)]);
    const e = await refused(tgz(tar));
    expect(e.code).toBe('INVALID_BUNDLE');
    expect(e.message).toContain('unsafe path');
  });

  it('an archive with a symlink out of the bundle', async () => {
    const tar = Buffer.concat([writeTar([{ path: 'manifest.yaml', data: Buffer.from(manifest) }, { path: 'index.mjs', data: Buffer.from(code) }]).subarray(0, -1024), tarHeader('model.bin', 0, '2', '/etc/passwd'), Buffer.alloc(1024)]);
    const e = await refused(tgz(tar));
    expect(e.message).toMatch(/symbolic link to "\/etc\/passwd"/);
  });

  it('a bundle over the size limit', async () => {
    const big = randomBytes(300 * 1024); // incompressible: the archive itself is over the limit
    const e = await refused(packBundle([{ path: 'manifest.yaml', data: Buffer.from(manifest + 'artifacts: [blob]\n') }, { path: 'index.mjs', data: Buffer.from(code) }, { path: 'blob', data: big }]));
    expect(e.status).toBe(413);
    expect(e.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a hash that does not match the body', async () => {
    const b = await buildBundle(ECHO, { typecheck: false });
    const e = await refused(b.archive, 'f'.repeat(64));
    expect(e.status).toBe(400);
    expect(e.code).toBe('HASH_MISMATCH');
  });

  it('not a gzip at all', async () => {
    const e = await refused(Buffer.from('hello, I am not an archive'));
    expect(e.message).toContain('gzip');
  });

  it('a handler that throws in load is refused after a real load on a worker', async () => {
    const b = await buildBundle(join(FIXTURES, 'throws-in-load'), { typecheck: false });
    const e = await refused(b.archive);
    expect(e.status).toBe(422);
    expect(e.code).toBe('FUNCTION_LOAD_FAILED');
    expect(e.message).toContain('model file is corrupt');
    expect((await p.call('GET', '/v1/functions/throws-in-load')).status).toBe(404);
  });

  it('a function no device of the pool can serve is refused at deploy, with the reason', async () => {
    const b = await buildBundle(fileURLToPath(new URL('../fixtures/functions/gpu-only/', import.meta.url)), { typecheck: false });
    const e = await refused(b.archive);
    expect(e.status).toBe(422);
    expect(e.code).toBe('NO_DEVICE_CAN_SERVE');
    expect(e.message).toMatch(/gpu/);
  });

  it('a folder with a type error does not build', async () => {
    const dir = join(work, 'typo');
    cpSync(ECHO, dir, { recursive: true });
    writeFileSync(join(dir, 'handler.ts'), "import { defineFunction } from 'open-autoglm/sdk';\nexport default defineFunction<{ a: number }, number>({ handle: (xs) => xs.map((x) => x.b) });\n");
    await expect(buildBundle(dir)).rejects.toThrow(/Property 'b' does not exist/);
  });

  it('…and after all that, the registry is as it was', async () => {
    expect(await functionsBefore()).toEqual(before);
  });
});

describe('pool nodes without the router\'s disk', () => {
  it('download bundles from the router by hash (worker token), verify and cache them', async () => {
    const remote = mkdtempSync(join(work, 'remote-'));
    await p.pool!.stop();
    await p.startPool({ AUTOGLM_STATE_DIR: remote, AUTOGLM_ARTIFACTS_DIR: join(remote, 'no-artifacts-here') });
    const dir = join(work, 'fetched');
    cpSync(ECHO, dir, { recursive: true });
    writeFileSync(join(dir, 'manifest.yaml'), readFileSync(join(ECHO, 'manifest.yaml'), 'utf8').replace('name: echo', 'name: fetched'));
    const b = await buildBundle(dir, { typecheck: false });
    const dep = await p.api.deploy(b.archive, b.hash);
    expect(dep.body.check.device).toBe('cpu:0');
    const r = await p.call('POST', '/v1/functions/fetched/invoke', { input: { message: 'from afar' } });
    expect(r.status).toBe(200);
    expect(readFileSync(join(remote, 'bundles', b.hash, '.complete'), 'utf8')).toBe(b.hash);
  });
});

describe('rollouts under load', () => {
  it('deploy, canary, promote and rollback while calls run: no call fails', async () => {
    const dir = join(work, 'rollout');
    cpSync(ECHO, dir, { recursive: true });
    writeFileSync(join(dir, 'manifest.yaml'), readFileSync(join(ECHO, 'manifest.yaml'), 'utf8').replace('name: echo', 'name: rollout'));
    const b1 = await buildBundle(dir, { typecheck: false });
    const v1 = (await p.api.deploy(b1.archive, b1.hash)).body.version as string;

    let stop = false;
    const failures: string[] = [];
    /** The version of every answered call, in the order the answers came. */
    const answered: string[] = [];
    const loop = async () => {
      while (!stop) {
        const r = await p.call('POST', '/v1/functions/rollout/invoke', { input: { message: 'load' } });
        if (r.status !== 200) failures.push(`${r.status} ${JSON.stringify(r.json)}`);
        else answered.push(r.json.version);
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    // Each step waits until calls answered after it show the step took effect (and a few more
    // calls ran across it), not for a time that a loaded machine may not fill with calls.
    const servedAfter = async (step: string, from: number, ...expected: string[]) =>
      eventually(async () => answered.length - from >= 8 && expected.every((v) => answered.slice(from).includes(v)), `calls served by ${expected.join(' and ')} after ${step}`);

    const deployChanged = async (marker: string, q: { canary?: number }) => {
      writeFileSync(join(dir, 'handler.ts'), readFileSync(join(ECHO, 'handler.ts'), 'utf8') + `\nexport const marker = '${marker}';\n`);
      const b = await buildBundle(dir, { typecheck: false });
      return (await p.api.deploy(b.archive, b.hash, q)).body.version as string;
    };
    let v2 = '';
    let v3 = '';
    try {
      await servedAfter('the first deploy', 0, v1);
      let from = answered.length;
      v2 = await deployChanged('v2', { canary: 50 });
      await servedAfter('the canary', from, v1, v2);
      from = answered.length;
      await p.api.request('POST', '/v1/functions/rollout/promote', { body: { version: v2 } });
      await servedAfter('the promotion', from, v2);
      from = answered.length;
      await p.api.request('POST', '/v1/functions/rollout/rollback');
      await servedAfter('the rollback', from, v1);
      from = answered.length;
      v3 = await deployChanged('v3', {});
      await servedAfter('the new deploy', from, v3);
    } finally {
      stop = true;
      await Promise.all(loops);
    }

    expect(failures).toEqual([]);
    expect(new Set(answered)).toEqual(new Set([v1, v2, v3]));
  });
});
