/**
 * What one poll of BullMQ's board costs the router: `npx tsx test/bench/queue-board-bench.ts`.
 * The board's API (`GET /console/queues/api/queues`, what its page asks every few seconds) is
 * called through the board's routes as the router mounts them, on a private Redis, with
 * BOARD_QUEUES function queues (comma-separated counts) of BOARD_JOBS waiting jobs each.
 *
 * Env: BOARD_QUEUES [10,200], BOARD_JOBS [20], BOARD_CALLS [20]. Prints a Markdown table; no pass/fail.
 */
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { ConsoleSessions } from '../../queue/cluster/index.ts';
import { BoardQueues, QueueSet } from '../../queue/jobs/index.ts';
import { TokenVerifier } from '../../runtime/auth/index.ts';
import type { CatalogMirror } from '../../runtime/registry/catalog-mirror.ts';
import { queueBoardRoutes } from '../../runtime/http/routes/queue-board-routes.ts';
import { startTestRedis } from '../harness/redis.ts';
import { markdownTable, num } from './table.ts';

const SIZES = (process.env.BOARD_QUEUES ?? '10,200').split(',').map(Number);
const JOBS = Number(process.env.BOARD_JOBS ?? 20);
const CALLS = Number(process.env.BOARD_CALLS ?? 20);

const redis = await startTestRedis();
const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
const verifier = new TokenVerifier({ secret: 'queue-board-bench-secret-0123456789abcdef' });
const rows: string[][] = [];
for (const n of SIZES) {
  const prefix = `bench${n}`;
  const names = Array.from({ length: n }, (_, i) => `f${i}`);
  const queues = new QueueSet(conn, prefix);
  for (const name of names) await queues.get(name).addBulk(Array.from({ length: JOBS }, (_, j) => ({ name: 'bench', data: { j } })));
  const sessions = new ConsoleSessions(conn, prefix);
  const functions = { list: () => names.map((name) => ({ name })) } as unknown as Pick<CatalogMirror, 'list'>;
  const app = new Hono().route('/', queueBoardRoutes({ functions, boardQueues: new BoardQueues(queues), sessions, verifier, sessionTtlMs: 600_000, secureCookie: false }) as unknown as Hono);
  const id = await sessions.open({ sub: 'bench', roles: ['admin'], namespaces: ['*'], issuer: 'builtin' }, Date.now() + 600_000);
  const poll = async () => {
    const res = await app.request('/console/queues/api/queues?activeQueue=fn.f0&status=waiting&page=1', { headers: { cookie: `autoglm_board=${id}` } });
    if (res.status !== 200) throw new Error(`board API answered ${res.status}: ${await res.text()}`);
    return (await res.text()).length;
  };
  const bytes = await poll(); // warm: adapters made, scripts loaded
  const ms: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    await poll();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  rows.push([String(n), String(JOBS), num(ms[Math.floor(ms.length / 2)]!), num(ms.at(-1)!), num(bytes / 1024)]);
  await queues.close();
}
conn.disconnect();
await redis.destroy();
console.log(markdownTable(['function queues', 'jobs each', 'median ms', 'max ms', 'KiB'], rows));
