import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { PayloadCipher, POOL_CONFIG_VARIABLE, SecretStore, WorkerRoster, parseKeyring, type Keyring } from '../../queue/cluster/index.ts';
import { JWT_SECRET, WEBHOOK_KEYS, eventually, startPlatform, type TestPlatform, type TestPool } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { fixturePath } from './pool-helpers.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

const deploy = async (p: TestPlatform, fn: string, namespace: string) => {
  const b = await buildBundle(fixturePath(`functions/${fn}`), { typecheck: false });
  return p.api.deploy(b.archive, b.hash, { namespace });
};

/** The keyring a pool actually received, from its AUTOGLM_POOL_CONFIG. */
function keyringOf(pool: TestPool): { spec: string; ring: Keyring } {
  const spec = (JSON.parse(pool.env[POOL_CONFIG_VARIABLE]!) as { encryptionKeys: string }).encryptionKeys;
  const parsed = parseKeyring(spec);
  if (!parsed.ok) throw new Error(parsed.error);
  return { spec, ring: parsed.ring };
}

/** A finished job's input as sealed in Redis (BullMQ's job hash). */
async function sealedInputOf(p: TestPlatform, jobId: string): Promise<unknown> {
  const [key] = (await p.redis.keys(`*:${jobId}`)).filter((k) => !k.includes(':logs:'));
  return (JSON.parse((await p.redis.hget(key!, 'data'))!) as { input: unknown }).input;
}

describe('namespace data keys', () => {
  it("a pool limited to team-a receives only team-a's keys: it opens team-a's secrets and inputs, not team-b's; both teams still work", async () => {
    const master = 'm2:' + Buffer.alloc(32, 7).toString('base64');
    const p = await startPlatform(redis.url, { pool: false, deploy: false, env: { AUTOGLM_ENCRYPTION_KEYS: master } });
    const pools: TestPool[] = [];
    try {
      pools.push(await p.startPool({ AUTOGLM_POOL_NAMESPACES: 'team-a' }));
      const teamAPids = await pools[0]!.workerPids();
      pools.push(await p.startPool({ AUTOGLM_POOL_NAMESPACES: '*,!team-a' }));
      const [teamA, shared] = pools as [TestPool, TestPool];
      // The harness waits for one live worker: the second pool's counts once it is up too.
      await eventually(async () => (await new WorkerRoster(p.redis, p.prefix).liveCount()) >= 2, 'both pools live');

      // What each pool was handed: team-a's pool, one derived key and no master; the shared one, the master.
      const a = keyringOf(teamA);
      expect([[...a.ring.keys.keys()], [...(a.ring.namespaceKeys?.keys() ?? [])]]).toEqual([[], ['m2/team-a']]);
      expect(a.spec).not.toContain(master.slice(3));
      expect(keyringOf(shared).spec).toBe(master);
      for (const pool of pools) {
        const env = JSON.stringify(pool.env);
        for (const routerKey of [JWT_SECRET, WEBHOOK_KEYS.split(':')[1]!]) expect(env).not.toContain(routerKey);
      }

      expect((await p.call('PUT', '/v1/secrets/sign-key?namespace=team-a', { value: 'team-a-key-0123456789' })).status).toBe(201);
      expect((await p.call('PUT', '/v1/secrets/sign-key?namespace=team-b', { value: 'team-b-key-0123456789' })).status).toBe(201);
      await deploy(p, 'signer', 'team-a');
      await deploy(p, 'whoami-b', 'team-b');

      // End to end: team-a on its own pool (its secret opened there), team-b on the shared pool.
      const signed = await p.call('POST', '/v1/functions/signer/invoke', { input: { text: 'hi' } });
      expect(signed.status).toBe(200);
      expect(signed.json.output.sig).toBe(createHmac('sha256', 'team-a-key-0123456789').update('hi').digest('hex'));
      const who = await p.call('POST', '/v1/functions/whoami-b/invoke', { input: {} });
      expect(who.status).toBe(200);
      expect(teamAPids).not.toContain(who.json.output.pid);
      // Team-a's function logs, sealed on team-a's pool, open on the router.
      const logs = await eventually(async () => {
        const r = await p.call('GET', '/v1/functions/signer/logs');
        return r.status === 200 && r.json.lines?.length > 0 && r.json;
      }, 'signer logs');
      expect(JSON.stringify(logs)).toContain('signing with');

      // Async jobs leave their sealed inputs in Redis.
      const jobA = await p.call('POST', '/v1/functions/signer/jobs', { input: { text: 'secret-a' } });
      const jobB = await p.call('POST', '/v1/functions/whoami-b/jobs', { input: { card: '4111-b' } });
      expect([jobA.status, jobB.status]).toEqual([202, 202]);
      for (const id of [jobA.json.id, jobB.json.id]) await eventually(async () => (await p.call('GET', `/v1/jobs/${id}`)).json.status === 'succeeded', `job ${id}`);

      // With the keyring team-a's pool received: team-a's data opens, team-b's does not.
      const cipher = new PayloadCipher(a.ring);
      const secrets = new SecretStore(p.redis, p.prefix, cipher);
      expect(await secrets.open('team-a', ['sign-key'])).toEqual({ 'sign-key': 'team-a-key-0123456789' });
      await expect(secrets.open('team-b', ['sign-key'])).rejects.toThrow(/namespace 'team-b'/);
      expect(cipher.open(await sealedInputOf(p, jobA.json.id), jobA.json.id)).toEqual({ text: 'secret-a' });
      const inputB = await sealedInputOf(p, jobB.json.id);
      expect(inputB).toMatchObject({ $sealed: 'aes-256-gcm', k: 'm2', n: 'team-b' });
      expect(() => cipher.open(inputB, jobB.json.id)).toThrow(/namespace 'team-b'/);
      // Naming team-a on team-b's record does not help: the namespace chooses the key.
      expect(() => cipher.open({ ...(inputB as object), n: 'team-a' }, jobB.json.id)).toThrow();
      // The router (master keys) opens both.
      const router = new PayloadCipher(parseKeyring(master).ok ? (parseKeyring(master) as { ring: Keyring }).ring : (undefined as never));
      expect(router.open(inputB, jobB.json.id)).toEqual({ card: '4111-b' });
    } finally {
      await Promise.all(pools.map((pool) => pool.stop()));
      await p.stop();
    }
  });
});
