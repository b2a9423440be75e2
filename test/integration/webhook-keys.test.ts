import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../runtime/webhooks/index.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { LOOPBACK_CALLBACKS, WEBHOOK_KEYS, eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const TEAM_MARK = fileURLToPath(new URL('../fixtures/functions/team-mark/', import.meta.url));

interface Delivery {
  headers: Record<string, string>;
  body: string;
}

/** A webhook receiver: every delivery, by job id, as it arrives. */
class Receiver {
  readonly byJob = new Map<string, Delivery>();
  private readonly waiters = new Map<string, (d: Delivery) => void>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const d = { headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body };
        const id = d.headers['webhook-id']!;
        this.byJob.set(id, d);
        this.waiters.get(id)?.(d);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** The delivery of job `id`, once it arrives. */
  delivery(id: string): Promise<Delivery> {
    const got = this.byJob.get(id);
    return got ? Promise.resolve(got) : new Promise((resolve) => this.waiters.set(id, resolve));
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

let redis: TestRedis;
const receiver = new Receiver();
let teamMark: Awaited<ReturnType<typeof bundleMaker>>;

beforeAll(async () => {
  redis = await startTestRedis();
  await receiver.start();
  teamMark = await bundleMaker(TEAM_MARK);
});
afterAll(async () => {
  await receiver.stop();
  await redis?.destroy();
});

async function as(p: TestPlatform, token: string, path: string, init: RequestInit = {}) {
  const res = await fetch(p.url + path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) } });
  return { status: res.status, json: (await res.json()) as any };
}

/** Deploys team-mark as `<team>-fn` into each team's namespace. */
async function deployTeamFunctions(p: TestPlatform): Promise<void> {
  for (const team of ['team-a', 'team-b']) {
    const b = teamMark(`${team}-fn`, { TEAM: team });
    const r = await p.api.deploy(b.archive, b.hash, { namespace: team });
    expect(r.status).toBe(201);
  }
}

/** Submits a job of `fn` with a callback and returns its delivery. */
async function jobWebhook(p: TestPlatform, fn: string): Promise<Delivery> {
  const r = await p.call('POST', `/v1/functions/${fn}/jobs`, { input: {}, callbackUrl: receiver.url });
  expect(r.status, JSON.stringify(r.json)).toBe(202);
  return receiver.delivery(r.json.id);
}

describe('webhook keys per namespace', () => {
  let p: TestPlatform;
  const token: Record<string, string> = {};

  beforeAll(async () => {
    p = await startPlatform(redis.url, { env: LOOPBACK_CALLBACKS });
    await deployTeamFunctions(p);
    const mint = (sub: string, roles: string[], namespaces: string[]) => p.router.verifier.mint({ sub, roles, namespaces });
    token.aDeployer = await mint('a-deployer', ['deployer'], ['team-a']);
    token.bDeployer = await mint('b-deployer', ['deployer'], ['team-b']);
    token.aInvoker = await mint('a-invoker', ['invoker'], ['team-a']);
    token.aViewer = await mint('a-viewer', ['viewer'], ['team-a']);
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("a job's webhook verifies with its namespace's key, not another's; the header names the key id", async () => {
    const aKeys = await as(p, token.aDeployer!, '/v1/webhook-keys?namespace=team-a');
    const bKeys = await as(p, token.bDeployer!, '/v1/webhook-keys?namespace=team-b');
    expect(aKeys.status).toBe(200);
    expect(aKeys.json).toMatchObject({ namespace: 'team-a', keys: [{ id: 'w1', active: true }] });
    expect(bKeys.json.keys).toHaveLength(1);
    const aKey = aKeys.json.keys[0].key as string;
    const bKey = bKeys.json.keys[0].key as string;
    expect(aKey).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(aKey).not.toBe(bKey);

    const a = await jobWebhook(p, 'team-a-fn');
    expect(JSON.parse(a.body).job).toMatchObject({ namespace: 'team-a', output: { team: 'team-a' } });
    expect(a.headers['autoglm-webhook-key-id']).toBe('w1');
    expect(verifyWebhook(aKey, a.headers, a.body)).toBe(true);
    expect(verifyWebhook(bKey, a.headers, a.body)).toBe(false);
    // Nor with the router's master key itself.
    expect(verifyWebhook(WEBHOOK_KEYS.slice(WEBHOOK_KEYS.indexOf(':') + 1), a.headers, a.body)).toBe(false);

    const b = await jobWebhook(p, 'team-b-fn');
    expect(verifyWebhook(bKey, b.headers, b.body)).toBe(true);
    expect(verifyWebhook(aKey, b.headers, b.body)).toBe(false);
  });

  it("only an admin or a deployer of the namespace reads its key, and each read is audited", async () => {
    expect((await as(p, token.aDeployer!, '/v1/webhook-keys?namespace=team-b')).status).toBe(403);
    expect((await as(p, token.aInvoker!, '/v1/webhook-keys?namespace=team-a')).status).toBe(403);
    expect((await as(p, token.aViewer!, '/v1/webhook-keys?namespace=team-a')).status).toBe(403);
    const missing = await as(p, token.aDeployer!, '/v1/webhook-keys');
    expect(missing.status).toBe(400);
    expect(missing.json.field).toBe('namespace');
    const admin = await as(p, p.adminToken, '/v1/webhook-keys?namespace=team-b');
    expect(admin.status).toBe(200);

    const reads = await eventually(async () => {
      const r = await p.call('GET', '/v1/audit?action=webhook.key.read&limit=100');
      return r.json.items.length >= 3 && r.json.items;
    }, 'the audit records of webhook.key.read');
    expect(reads.map((e: { actor: string; namespace: string }) => `${e.actor}:${e.namespace}`).sort()).toEqual(['a-deployer:team-a', 'b-deployer:team-b', 'test-admin:team-b']);
    expect(JSON.stringify(reads)).not.toContain('whsec_');
    const denied = (await p.call('GET', '/v1/audit?action=access.denied&limit=100')).json.items;
    expect(denied.map((e: { actor: string }) => e.actor)).toEqual(expect.arrayContaining(['a-deployer', 'a-invoker', 'a-viewer']));
  });
});

describe('rotating the webhook master key', () => {
  let before: TestPlatform;
  let during: TestPlatform;

  afterAll(async () => {
    await before?.stop();
    await during?.stop();
  });

  it('a new master key signs beside the old one: receivers holding either verify, and the header names both', async () => {
    before = await startPlatform(redis.url, { pool: false, deploy: false });
    const oldKey = (await before.call('GET', '/v1/webhook-keys?namespace=team-a')).json.keys[0].key as string;
    await before.stop();

    during = await startPlatform(redis.url, { env: { ...LOOPBACK_CALLBACKS, AUTOGLM_WEBHOOK_KEYS: `w2:a-new-master-key-a-new-master-key-0123,${WEBHOOK_KEYS}` } });
    await deployTeamFunctions(during);
    const keys = (await during.call('GET', '/v1/webhook-keys?namespace=team-a')).json.keys as { id: string; key: string; active: boolean }[];
    expect(keys.map((k) => [k.id, k.active])).toEqual([
      ['w2', true],
      ['w1', false],
    ]);
    expect(keys[1]!.key).toBe(oldKey); // the old id keeps its key: a receiver need not change at once

    const d = await jobWebhook(during, 'team-a-fn');
    expect(d.headers['autoglm-webhook-key-id']).toBe('w2 w1');
    expect(verifyWebhook(keys[0]!.key, d.headers, d.body)).toBe(true);
    expect(verifyWebhook(oldKey, d.headers, d.body)).toBe(true);
    const bNew = (await during.call('GET', '/v1/webhook-keys?namespace=team-b')).json.keys[0].key as string;
    expect(verifyWebhook(bNew, d.headers, d.body)).toBe(false);
  });
});
