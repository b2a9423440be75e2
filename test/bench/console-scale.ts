/**
 * The console at scale: 200 functions and 100,000 finished jobs in Redis, and the time to the
 * first paint of each page's content in Chromium. Standalone (minutes, mostly deploying):
 *
 *   npx tsx test/bench/console-scale.ts
 *
 * Settings (environment): SCALE_FUNCTIONS (200), SCALE_JOBS (100000), SCALE_ROUNDS (5 loads of
 * each page; the median is reported). Not a test: nothing here passes or fails on a time.
 *
 * Functions are deployed through the API (echo under 200 names, each load-checked by a worker).
 * Jobs are written as BullMQ writes finished jobs (a hash, and the id in the queue's completed or
 * failed sorted set scored by finishing time), with outputs and errors sealed as a worker seals
 * them, so the router reads them like any others; 10% failed, finishing over the last day.
 * Writing them through workers would take the machine an hour and measure nothing more here.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { PayloadCipher, newKeyringSpec, parseKeyring, randomHex } from '../../queue/cluster/index.ts';
import { encodeFailure } from '../../queue/jobs/job-data.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { eventually, startPlatform } from '../harness/platform.ts';
import { startTestRedis } from '../harness/redis.ts';
import { markdownTable, num } from './table.ts';

const FUNCTIONS = Number(process.env.SCALE_FUNCTIONS ?? 200);
const JOBS = Number(process.env.SCALE_JOBS ?? 100_000);
const ROUNDS = Number(process.env.SCALE_ROUNDS ?? 5);
const ECHO = fileURLToPath(new URL('../fixtures/default-functions/echo/', import.meta.url));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const keys = newKeyringSpec('bench');
  const ring = parseKeyring(keys);
  if (!ring.ok) throw new Error(ring.error);
  const cipher = new PayloadCipher(ring.ring);
  const redis = await startTestRedis();
  const p = await startPlatform(redis.url, { env: { AUTOGLM_ENCRYPTION_KEYS: keys } });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  try {
    let t0 = Date.now();
    const make = await bundleMaker(ECHO);
    const names = Array.from({ length: FUNCTIONS - 1 }, (_, i) => `echo-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 8) {
      await Promise.all(names.slice(i, i + 8).map((n) => make(n)).map((b) => p.api.deploy(b.archive, b.hash)));
    }
    const fns = ['echo', ...names];
    await eventually(async () => (await p.call('GET', '/v1/functions')).json.items.length === fns.length, 'every function listed');
    console.error(`deployed ${fns.length} functions in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    // One real job, for the version and the shape of its record.
    const real = (await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'template' } })).json.id as string;
    const template = (await p.call('GET', `/v1/jobs/${real}?wait=30s`)).json;
    t0 = Date.now();
    const now = Date.now();
    const versions = new Map<string, string>();
    for (const f of (await p.call('GET', '/v1/functions')).json.items as { name: string; stable: string }[]) versions.set(f.name, f.stable);
    let pipe = p.redis.pipeline();
    for (let i = 0; i < JOBS; i++) {
      const fn = fns[i % fns.length]!;
      const finished = now - Math.floor((i / JOBS) * 86_400_000) - 1000;
      const queued = finished - 50;
      const id = `${fn}.${queued.toString(36)}${randomHex(6)}`;
      const failed = i % 10 === 3;
      const version = versions.get(fn)!;
      const data = { fn, version, input: cipher.seal({ message: `m${i}` }, id, 'default'), ns: 'default', by: 'bench', deadline: null, timeoutMs: 30_000, enqueuedAt: queued };
      const base = { name: 'invoke', data: JSON.stringify(data), opts: JSON.stringify({ attempts: 1, priority: 5 }), priority: '5', timestamp: String(queued), processedOn: String(queued + 5), finishedOn: String(finished), atm: '1', ats: '1' };
      const outcome = failed
        ? { failedReason: encodeFailure({ code: 'ECHO_FAILED', message: 'asked to fail', retryable: false }, { cipher, id, ns: 'default' }) }
        : { returnvalue: JSON.stringify({ output: cipher.seal({ echo: { message: `m${i}` } }, id, 'default'), version, device: template.device ?? 'cpu:0', batchSize: 1, timings: { picked: queued + 5, started: queued + 5, finished } }) };
      pipe.hset(`${p.prefix}:fn.${fn}:${id}`, { ...base, ...outcome });
      pipe.zadd(`${p.prefix}:fn.${fn}:${failed ? 'failed' : 'completed'}`, finished, id);
      if (i % 5000 === 4999) {
        await pipe.exec();
        pipe = p.redis.pipeline();
      }
    }
    await pipe.exec();
    const written = Date.now() - t0;
    console.error(`wrote ${JOBS} jobs in ${(written / 1000).toFixed(1)} s`);
    const used = /used_memory_human:(\S+)/.exec(await p.redis.info('memory'))?.[1];

    // API: one page of the listing, as the console asks for it.
    const api = async (path: string) => {
      const t = performance.now();
      const r = await p.call('GET', path);
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.json)}`);
      return { ms: performance.now() - t, body: r.json };
    };
    const first = (await api('/v1/jobs?limit=50')).body;
    const oneFailed = ((await api('/v1/jobs?status=failed&limit=1')).body.items[0] as { id: string }).id;

    const pages: [string, string, string][] = [
      ['Functions (200)', '#/functions', 'tr[data-function]'],
      ['Jobs: all, first page', '#/jobs', 'tr[data-job]'],
      ['Jobs: failed', '#/jobs?status=failed', 'tr[data-job]'],
      ['Jobs: one function', '#/jobs?function=echo-100', 'tr[data-job]'],
      ['Jobs: second page', `#/jobs?cursor=${first.next}`, 'tr[data-job]'],
      ['a job', `#/jobs/${oneFailed}`, '[data-testid=job-status]'],
    ];
    const apiPaths: Record<string, string> = {
      'Jobs: all, first page': '/v1/jobs?limit=50',
      'Jobs: failed': '/v1/jobs?status=failed&limit=50',
      'Jobs: one function': '/v1/jobs?function=echo-100&limit=50',
      'Jobs: second page': `/v1/jobs?limit=50&cursor=${first.next}`,
      'a job': `/v1/jobs/${oneFailed}`,
      'Functions (200)': '/v1/functions',
    };
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page: Page = await context.newPage();
    await page.goto(`${p.url}/console`);
    await page.evaluate((t) => sessionStorage.setItem('autoglm.token', t), p.adminToken);
    const rows: string[][] = [];
    for (const [label, hash, marker] of pages) {
      const paint: number[] = [];
      const apiMs: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // A fresh document each time: script, token, then the page's reads and its first render.
        await page.goto('about:blank');
        await page.goto(`${p.url}/console${hash}`);
        // Sampled at each animation frame: the first frame the page's content is in.
        const at = await page.waitForFunction((sel) => document.querySelector(sel) && performance.now(), marker, { polling: 'raf', timeout: 60_000 });
        paint.push((await at.jsonValue()) as number);
        apiMs.push((await api(apiPaths[label]!)).ms);
      }
      rows.push([label, num(median(paint), 0), `${num(Math.min(...paint), 0)}–${num(Math.max(...paint), 0)}`, num(median(apiMs), 1)]);
    }
    console.log(`\n${fns.length} functions, ${JOBS.toLocaleString('en-US')} jobs (${Math.round(JOBS / 10).toLocaleString('en-US')} failed) in Redis (${used} used; written in ${(written / 1000).toFixed(1)} s); ${cpus().length} cores; median of ${ROUNDS} loads\n`);
    console.log(markdownTable(['page', 'first paint ms', 'range ms', 'its API read ms'], rows));
  } finally {
    await browser.close();
    await p.stop();
    await redis.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
