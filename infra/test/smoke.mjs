/**
 * The smoke test's steps (infra/test/smoke.sh runs it, after starting Docker and making the base
 * images): an operator's first day with the images, on Docker, host network, free ports.
 *
 *   build the image -> Redis, router, pool up (infra/compose.host.yaml) -> ready -> built-ins
 *   deployed and answering -> console bundle served -> a function deployed with the CLI from this
 *   host -> `docker kill` of the pool while 200 async jobs run, pool started again: every job
 *   succeeds -> `docker stop` of the router while sync calls run: they all answer -> no
 *   container left.
 *
 * Plain Node (no dependencies) so it runs from a checkout with or without node_modules, except
 * for the CLI step, which needs the repository's node_modules (`npm ci`).
 * Env: SMOKE_SKIP_BUILD=1 reuses AUTOGLM_IMAGE; SMOKE_PROJECT names the compose project.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGE = process.env.AUTOGLM_IMAGE ?? 'open-autoglm:smoke';
const PROJECT = process.env.SMOKE_PROJECT ?? `autoglm-smoke-${process.pid}`;
const ASYNC_JOBS = 200;
const times = {};
const t0 = Date.now();
const since = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;
const log = (msg) => console.log(`[smoke ${since(t0).padStart(7)}] ${msg}`);

function fail(msg) {
  throw new Error(msg);
}

/** Polls `check` until it returns a value other than undefined/false; fails with `what` after `ms`. */
async function eventually(what, check, ms = 120_000, every = 250) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) fail(`timed out after ${ms / 1000} s waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const hasComposeV2 = (() => {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const ports = { AUTOGLM_PORT: await freePort(), REDIS_PORT: await freePort(), AUTOGLM_POOL_HEALTH_PORT: await freePort() };
const composeEnv = {
  ...process.env,
  ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  AUTOGLM_IMAGE: IMAGE,
  // Router and pool share the master keys: the router seals job inputs and knowledge, workers open them.
  AUTOGLM_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  // A killed pool's running jobs are retaken after these (30 s each by default).
  AUTOGLM_JOB_LOCK: '5s',
  AUTOGLM_STALLED_INTERVAL: '5s',
};
function compose(...args) {
  const base = ['-p', PROJECT, '-f', join(ROOT, 'infra/compose.host.yaml'), ...args];
  const [cmd, argv] = hasComposeV2 ? ['docker', ['compose', ...base]] : ['docker-compose', base];
  return execFileSync(cmd, argv, { env: composeEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const containerOf = (service) => compose('ps', '-q', service).trim() || fail(`no container for ${service}`);

const API = `http://127.0.0.1:${ports.AUTOGLM_PORT}`;
let token;
async function api(method, path, body, opts = {}) {
  const res = await fetch(API + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}
async function expectOk(what, r, status = 200) {
  if (r.status !== status) fail(`${what}: HTTP ${r.status} ${r.text.slice(0, 400)}`);
  return r.json;
}

// ---- build ---------------------------------------------------------------------------------
if (process.env.SMOKE_SKIP_BUILD !== '1') {
  const t = Date.now();
  log(`building ${IMAGE}`);
  execFileSync('docker', ['build', '--network', 'host', '-q', '-f', 'infra/Dockerfile', '-t', IMAGE, '.'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  times.build = since(t);
}
const size = Number(docker('image', 'inspect', '-f', '{{.Size}}', IMAGE));
times.imageSize = `${Math.round(size / 1e6)} MB`;
log(`image ${IMAGE}: ${times.imageSize}`);

// The registry CA (infra/certs/*.pem) was used by the build stage only: no line of it is in the image.
const pems = readdirSync(join(ROOT, 'infra/certs')).filter((f) => f.endsWith('.pem'));
if (pems.length > 0) {
  const probes = pems.map((f) => readFileSync(join(ROOT, 'infra/certs', f), 'utf8').split('\n').find((l) => /^[A-Za-z0-9+/]{60,}$/.test(l)));
  const id = docker('create', IMAGE);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'smoke-export-'));
    try {
      execFileSync('sh', ['-c', `docker export "$1" | tar -x -C "$2" 2>/dev/null; true`, 'sh', id, dir]);
      for (const p of probes.filter(Boolean)) {
        const hit = execFileSync('sh', ['-c', 'grep -rlF -- "$1" "$2" 2>/dev/null || true', 'sh', p, dir], { encoding: 'utf8' }).trim();
        if (hit) fail(`a certificate from infra/certs is in the image: ${hit}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    docker('rm', id);
  }
  log(`no infra/certs certificate in the image (${pems.length} checked)`);
}

// ---- start ---------------------------------------------------------------------------------
const tUp = Date.now();
log(`compose up (project ${PROJECT}; router :${ports.AUTOGLM_PORT}, redis :${ports.REDIS_PORT}, pool health :${ports.AUTOGLM_POOL_HEALTH_PORT})`);
compose('up', '-d', '--no-build');
await eventually('the router to be ready (GET /readyz: redis and a live worker)', async () => (await api('GET', '/readyz')).json?.ready === true);
times.firstReady = since(tUp);
log(`ready after ${times.firstReady}`);
token = docker('exec', containerOf('router'), 'cat', '/var/lib/autoglm/admin-token');

const BUILTINS = ['echo', 'risk-scoring', 'customer-reply'];
await eventually('the built-in functions to be deployed', async () => {
  const names = ((await api('GET', '/v1/functions')).json?.items ?? []).map((f) => f.name);
  return BUILTINS.every((n) => names.includes(n));
});
times.builtinsDeployed = since(tUp);
log(`built-ins deployed after ${times.builtinsDeployed}`);

// ---- built-ins answer ------------------------------------------------------------------------
const echo = await expectOk('echo', await api('POST', '/v1/functions/echo/invoke', { input: { message: 'first day' } }));
if (echo.output?.echo?.message !== 'first day') fail(`echo answered ${JSON.stringify(echo)}`);
const txn = (i, over = {}) => ({ amount: 40 + i, currency: 'EUR', timestamp: new Date(Date.UTC(2025, 2, 1 + i, 10)).toISOString(), merchantCategory: 'grocery', country: 'DE', channel: 'contactless', ...over });
const risk = await expectOk(
  'risk-scoring',
  await api('POST', '/v1/functions/risk-scoring/invoke', { input: { accountId: 'smoke', homeCountry: 'DE', utcOffsetMinutes: 60, transactions: Array.from({ length: 10 }, (_, i) => txn(i)) } }),
);
if (typeof risk.output?.level !== 'string') fail(`risk-scoring answered ${JSON.stringify(risk)}`);
const reply = await expectOk(
  'customer-reply',
  await api('POST', '/v1/functions/customer-reply/invoke', { input: { message: 'I want a refund for order 77, the blender arrived broken.', context: { order: { id: '77' } }, temperature: 0 } }),
);
if (typeof reply.output?.reply !== 'string' || reply.output.reply.length === 0) fail(`customer-reply answered ${JSON.stringify(reply).slice(0, 400)}`);
log(`built-ins answer: echo, risk-scoring (level ${risk.output.level}), customer-reply`);

// The console's script is bundled by esbuild from its sources in the image on first request.
const js = await api('GET', '/console/app.js');
if (js.status !== 200 || !js.text.includes('/v1/functions')) fail(`GET /console/app.js: HTTP ${js.status}`);

// ---- deploy with the CLI from this host ------------------------------------------------------
const cliHome = mkdtempSync(join(tmpdir(), 'smoke-cli-'));
try {
  execFileSync(process.execPath, [join(ROOT, 'runtime/cli/bin.js'), 'deploy', join(ROOT, 'test/fixtures/functions/hang')], {
    cwd: ROOT,
    env: { ...process.env, HOME: cliHome, XDG_CONFIG_HOME: cliHome, AUTOGLM_URL: API, AUTOGLM_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
} finally {
  rmSync(cliHome, { recursive: true, force: true });
}
await expectOk('hang after its CLI deploy', await api('POST', '/v1/functions/hang/invoke', { input: { sleepMs: 1 } }));
log('deployed test/fixtures/functions/hang with the CLI; it answers');

// ---- docker kill the pool while async jobs run -----------------------------------------------
const ids = [];
for (let i = 0; i < ASYNC_JOBS; i++) {
  ids.push((await expectOk('submit', await api('POST', '/v1/functions/hang/jobs', { input: { sleepMs: 1000 } }), 202)).id);
}
await eventually('a running hang job', async () => ((await api('GET', '/v1/jobs?function=hang&status=running')).json?.items ?? []).length > 0, 60_000, 50);
const done = ((await api('GET', '/v1/jobs?function=hang&status=succeeded&limit=500')).json?.items ?? []).length;
const pool = containerOf('pool');
const tKill = Date.now();
docker('kill', pool);
log(`docker kill pool: ${done} hang jobs done so far, at least one running`);
docker('start', pool);
const outcomes = await Promise.all(ids.map(async (id) => eventually(`job ${id} to finish`, async () => {
  const j = (await api('GET', `/v1/jobs/${id}?wait=30s`, undefined, { timeoutMs: 40_000 })).json;
  return ['succeeded', 'failed', 'cancelled'].includes(j?.status) ? j : undefined;
}, 180_000)));
const bad = outcomes.filter((j) => j.status !== 'succeeded').length;
if (bad > 0) fail(`${bad} of ${ASYNC_JOBS} jobs did not succeed after the pool was killed`);
// From the kill to the last job's finish as the platform recorded it (the polling above can lag).
const lastFinish = Math.max(...outcomes.map((j) => Date.parse(j.timings?.finished ?? '')).filter(Number.isFinite));
times.recovery = `${((lastFinish - tKill) / 1000).toFixed(1)} s`;
const retried = outcomes.filter((j) => (j.attempts ?? 1) > 1).length;
log(`all ${ASYNC_JOBS} jobs succeeded; the last finished ${times.recovery} after the kill (${retried} took a second attempt; all seen by the poll after ${since(tKill)})`);
await eventually('the restarted pool container to be healthy (its HEALTHCHECK)', () => docker('inspect', '-f', '{{.State.Health.Status}}', pool) === 'healthy', 60_000, 500);
const router = containerOf('router');
if (docker('inspect', '-f', '{{.State.Health.Status}}', router) !== 'healthy') fail('the router container is not healthy');

// ---- docker stop the router while sync calls run ---------------------------------------------
const calls = [1, 2].map(() => api('POST', '/v1/functions/hang/invoke', { input: { sleepMs: 3000 } }, { timeoutMs: 60_000 }));
// Concurrent sync calls may share one queue job (grouped calls): one running job is enough.
await eventually('the sync calls running', async () => ((await api('GET', '/v1/jobs?function=hang&status=running')).json?.items ?? []).length >= 1, 30_000, 50);
const tStop = Date.now();
docker('stop', '-t', '45', router);
times.routerStop = since(tStop);
const answers = await Promise.all(calls);
for (const a of answers) if (a.status !== 200) fail(`a sync call in flight during docker stop answered ${a.status} ${a.text.slice(0, 300)}`);
const exit = docker('inspect', '-f', '{{.State.ExitCode}}', router);
if (exit !== '0') fail(`the router exited with ${exit} after docker stop`);
log(`docker stop router: both in-flight sync calls answered 200, router exited 0 after ${times.routerStop}`);

compose('down', '-v', '--remove-orphans');
const left = docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`);
if (left) fail(`containers left behind: ${left}`);
times.total = since(t0);
console.log(`SMOKE OK ${JSON.stringify(times)}`);

