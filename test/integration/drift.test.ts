import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { buildBaseline } from '../../functions/sdk/drift/index.ts';
import { generateSequences } from '../../functions/risk-scoring/generate-data.ts';
import type { RiskInput } from '../../functions/risk-scoring/validate-input.ts';
import { DriftCounts, type FunctionState } from '../../queue/cluster/index.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { driftText } from '../../runtime/cli/commands/drift-commands.ts';
import { DriftWatch, type DriftAlert } from '../../runtime/drift/index.ts';
import { verifyWebhook } from '../../runtime/webhooks/index.ts';
import { findSamples, parseExposition } from '../harness/exposition.ts';
import { eventually } from '../harness/platform.ts';
import { redisForFile } from '../harness/redis-for-file.ts';
import { poolSuite, workers } from './pool-helpers.ts';

const RISK = fileURLToPath(new URL('../../functions/risk-scoring/', import.meta.url));
const suite = poolSuite('drift');

/** An alert receiver, as an operator's would be: it keeps what it was sent. */
async function receiver(): Promise<{ url: string; got: { headers: IncomingHttpHeaders; body: string }[]; close(): Promise<void> }> {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, got, close: () => new Promise((r) => server.close(() => r())) };
}

/** Histories from the training generator (another seed than the baseline's): the population the model knows. */
const usual = (count: number, seed: number): RiskInput[] => generateSequences({ seed, count, fraudRate: 0.02 }).map((s) => s.input);

/** The same, with the scored transaction 20 times larger and in a country new to the history. */
const shifted = (count: number, seed: number): RiskInput[] =>
  usual(count, seed).map((input) => {
    const txs = input.transactions.map((t) => ({ ...t }));
    const last = txs.at(-1)!;
    const seen = new Set(txs.map((t) => t.country).concat(input.homeCountry ?? []));
    last.amount *= 20;
    last.country = ['IS', 'MT', 'UY', 'KE'].find((c) => !seen.has(c))!;
    return { ...input, transactions: txs };
  });

describe('drift of live inputs', () => {
  it('risk-scoring: usual inputs keep every feature ok; amounts ×20 abroad push those two features to drift, alert once, signed with the namespace key, and show in the metric', async () => {
    const rx = await receiver();
    try {
      const p = await suite.start({ env: { AUTOGLM_ALERT_URL: rx.url, AUTOGLM_DRIFT_CHECK_INTERVAL: '1s' } });
      const b = await buildBundle(RISK, { typecheck: false });
      await p.api.deploy(b.archive, b.hash, {});
      const score = async (inputs: RiskInput[]) => {
        for (let i = 0; i < inputs.length; i += 100) {
          const r = await p.call('POST', '/v1/functions/risk-scoring/jobs', { inputs: inputs.slice(i, i + 100) });
          expect(r.status).toBe(202);
          await suite.succeeded(r.json.id);
        }
      };
      const report = async () => (await p.call('GET', '/v1/functions/risk-scoring/drift')).json;
      const counted = (n: number) => eventually(async () => {
        const r = await report();
        return r.features.every((f: { count: number }) => f.count >= n) && r;
      }, `${n} inputs to be counted`);

      await score(usual(600, 909));
      const calm = await counted(600);
      expect(calm).toMatchObject({ function: 'risk-scoring', version: b.version, windowMs: 3_600_000, minCount: 500, thresholds: { warn: 0.1, drift: 0.2 }, skipped: 0 });
      expect(calm.features.map((f: { name: string }) => f.name).sort()).toEqual(['amount_usd', 'card_not_present_share', 'foreign_country', 'high_risk_merchant_share', 'hours_since_previous', 'night_share']);
      for (const f of calm.features) expect(f.status, `${f.name} (psi ${f.psi})`).toBe('ok');

      await score(shifted(600, 910));
      const drifted = await counted(1200);
      // The table's first feature row: the most drifted feature, its PSI, its verdict and count.
      // Counting is at least once (an attempt re-run after a stall on a busy machine counts its
      // inputs again), so the count is the report's own, not exactly 1200.
      const row = /^(amount_usd|foreign_country)\s+\d+\.\d{3}\s+DRIFT\s+(\d+)$/;
      const line = driftText(drifted).split('\n')[2]!;
      expect(line).toMatch(row);
      const [, top, count] = row.exec(line)!;
      expect(Number(count)).toBe(drifted.features.find((f: { name: string }) => f.name === top).count);
      const status = Object.fromEntries(drifted.features.map((f: { name: string; status: string }) => [f.name, f.status]));
      expect(status).toEqual({ amount_usd: 'drift', foreign_country: 'drift', card_not_present_share: 'ok', high_risk_merchant_share: 'ok', hours_since_previous: 'ok', night_share: 'ok' });

      const alerts = await eventually(async () => rx.got.length >= 2 && rx.got, 'the two drift alerts');
      const key = (await p.call('GET', '/v1/webhook-keys?namespace=default')).json.keys[0].key as string;
      const bodies = alerts.map((a) => {
        expect(verifyWebhook(key, a.headers as Record<string, string>, a.body)).toBe(true);
        return JSON.parse(a.body) as DriftAlert;
      });
      expect(bodies.map((a) => `${a.feature}:${a.status}`).sort()).toEqual(['amount_usd:drift', 'foreign_country:drift']);
      expect(bodies[0]).toMatchObject({ type: 'autoglm.drift', function: 'risk-scoring', version: b.version, namespace: 'default', threshold: 0.2 });

      const metrics = parseExposition((await p.call('GET', '/metrics')).json as string);
      const psi = Object.fromEntries(findSamples(metrics, 'autoglm_feature_psi', { function: 'risk-scoring' }).map((s) => [s.labels.feature, s.value]));
      expect(psi.amount_usd).toBeGreaterThan(0.2);
      expect(psi.night_share).toBeLessThan(0.1);
      const audited = (await p.call('GET', '/v1/audit?action=drift.alert')).json.items;
      expect(audited.map((r: { detail: { feature: string } }) => r.detail.feature).sort()).toEqual(['amount_usd', 'foreign_country']);
    } finally {
      await rx.close();
    }
  }, 240_000);
});

describe('AUTOGLM_DRIFT_WATCH=off', () => {
  it('counts nothing: the report stays empty however many inputs were scored', async () => {
    const p = await suite.start({ env: { AUTOGLM_DRIFT_WATCH: 'off' } });
    const b = await buildBundle(RISK, { typecheck: false });
    await p.api.deploy(b.archive, b.hash, {});
    const r = await p.call('POST', '/v1/functions/risk-scoring/jobs', { inputs: usual(100, 911) });
    await suite.succeeded(r.json.id);
    // The worker writes what its hosts counted with each heartbeat: wait for one after the job.
    const done = Date.now();
    await eventually(async () => ((await workers(p))[0]?.seenAt ?? 0) > done && true, 'a heartbeat after the job');
    const report = (await p.call('GET', '/v1/functions/risk-scoring/drift')).json;
    expect(report.features).toHaveLength(6);
    for (const f of report.features) expect(f.count, f.name).toBe(0);
  }, 120_000);
});

describe('DriftWatch', () => {
  const redis = redisForFile();
  let n = 0;
  const quiet = createLogger({}, 'error', () => undefined);
  const baseline = buildBaseline({ x: Array.from({ length: 1000 }, (_, i) => i) });
  const state = (): FunctionState => ({
    name: 'fn',
    namespace: 'team',
    createdAt: 0,
    versions: { v1: { version: 'v1', hash: 'h', size: 1, createdAt: 0, createdBy: 'a', driftBaseline: baseline, manifest: { drift: { baseline: 'b.json', window: 600_000, minCount: 100, warn: 0.1, drift: 0.2 } } as never } },
    traffic: { stable: 'v1', routes: [{ version: 'v1', weight: 100 }], shadow: null, history: [], updatedAt: 0, updatedBy: 'a' },
  });
  let prefix: string;
  let counts: DriftCounts;

  const add = (values: number[]) => {
    const c = new Array<number>(baseline.features.x!.shares.length).fill(0);
    for (const v of values) c[baseline.features.x!.edges.filter((e) => v > e).length]!++;
    return counts.add([{ fn: 'fn', version: 'v1', counts: { x: c }, skipped: 0 }]);
  };

  it('announces a feature entering drift once, however many routers check, and its recovery once', async () => {
    prefix = `dw${++n}`;
    counts = new DriftCounts(redis.conn, prefix);
    const sent: DriftAlert[] = [];
    const audited: string[] = [];
    const watch = () => new DriftWatch({ redis: redis.conn, prefix, counts, functions: () => [state()], send: async (a) => void sent.push(a), audit: (e) => audited.push(`${e.action}:${(e.detail as { status: string }).status}`), log: quiet });
    const [a, b] = [watch(), watch()];
    await add(Array.from({ length: 200 }, (_, i) => i * 5));
    await a.check();
    expect(sent).toEqual([]);
    // Everything piles into the top bin: drift, seen by both routers, twice each.
    await add(Array.from({ length: 800 }, () => 5_000));
    await Promise.all([a.check(), b.check()]);
    await Promise.all([a.check(), b.check()]);
    expect(sent.map((s) => `${s.feature}:${s.status}`)).toEqual(['x:drift']);
    expect(sent[0]).toMatchObject({ function: 'fn', version: 'v1', namespace: 'team', threshold: 0.2, count: 1000 });
    // The usual population again, enough to outweigh the shift: recovered, once.
    await add(Array.from({ length: 30_000 }, (_, i) => i % 1000));
    await Promise.all([a.check(), b.check()]);
    await a.check();
    expect(sent.map((s) => `${s.feature}:${s.status}`)).toEqual(['x:drift', 'x:recovered']);
    expect(audited).toEqual(['drift.alert:drift', 'drift.alert:recovered']);
  });

  it('gives no verdict, and sends nothing, before minCount values', async () => {
    prefix = `dw${++n}`;
    counts = new DriftCounts(redis.conn, prefix);
    const sent: DriftAlert[] = [];
    const w = new DriftWatch({ redis: redis.conn, prefix, counts, functions: () => [state()], send: async (a) => void sent.push(a), log: quiet });
    await add(Array.from({ length: 99 }, () => 5_000));
    await w.check();
    expect(sent).toEqual([]);
  });
});
