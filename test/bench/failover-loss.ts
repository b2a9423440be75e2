/**
 * What a failover loses with `AUTOGLM_REDIS_MIN_REPLICAS` 0 and 1: for each, a fresh master,
 * replica and three sentinels, a router (no pool: accepted jobs stay queued, so each can be
 * looked up), 32 clients submitting async jobs without pause while the master is SIGKILLed
 * after 2 s; the dead master comes back as a replica of the new one. Then every job answered 202
 * is looked up: a 404 is a job the platform accepted and lost. Prints a Markdown table;
 * information, not a test (`test/integration/redis-failover.test.ts` checks MIN_REPLICAS 1).
 *
 * `npx tsx test/bench/failover-loss.ts`; env BENCH_DURATION seconds of submitting [10].
 */
import { startPlatform } from '../harness/platform.ts';
import { startSentinelSet } from '../harness/redis-sentinel.ts';
import { markdownTable } from './table.ts';

const durationS = Number(process.env.BENCH_DURATION || 10);
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

async function run(minReplicas: number): Promise<string[]> {
  const set = await startSentinelSet();
  const p = await startPlatform(set.url, { pool: false, env: { REDIS_SENTINELS: set.sentinels, REDIS_SENTINEL_NAME: set.name, AUTOGLM_REDIS_MIN_REPLICAS: String(minReplicas), AUTOGLM_MAX_QUEUE_DEPTH: '10000000', AUTOGLM_LOG_LEVEL: 'error' } });
  try {
    const accepted: string[] = [];
    let refused = 0;
    let failed = 0;
    const end = Date.now() + durationS * 1000;
    const client = async () => {
      while (Date.now() < end) {
        const r = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'x' } }).catch(() => undefined);
        if (r?.status === 202) accepted.push(r.json.id);
        else if (r?.status === 503) refused++;
        else failed++;
      }
    };
    const failover = (async () => {
      await new Promise((r) => setTimeout(r, 2000));
      const old = await set.killMaster();
      log(`MIN_REPLICAS=${minReplicas}: killed the master at ${accepted.length} accepted`);
      await set.failedOver(old);
      await set.restart(old);
    })();
    await Promise.all([...Array.from({ length: 32 }, client), failover]);
    let lost = 0;
    for (const id of accepted) if ((await p.call('GET', `/v1/jobs/${id}`)).status === 404) lost++;
    return [String(minReplicas), String(accepted.length), String(lost), String(refused), String(failed)];
  } finally {
    await p.stop();
    await set.destroy();
  }
}

const rows = [await run(0), await run(1)];
console.log(`\n${durationS} s of 32 clients submitting; SIGKILL of the master after 2 s\n`);
console.log(markdownTable(['MIN_REPLICAS', '202s', 'lost (404 after)', '503s', 'other'], rows));
// Connections the sentinels' failover detector left reconnecting to dead nodes keep the loop alive.
process.exit(0);
