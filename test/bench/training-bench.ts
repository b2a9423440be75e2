/**
 * Live calls while a training runs on the same node: `risk-scoring` sync calls at 16 connections
 * on the platform as `npm start` runs it (router, pool with one CPU worker, a private Redis),
 * measured without a training, with a `risk-scoring` training running on that worker's slot
 * (its own process at nice 19), and without again once it is cancelled (a training cannot be
 * paused, so the rounds cannot interleave: the runs before and after it bracket the ones during);
 * each row is the median run. The training is the real one (`train` of risk-scoring, 20,000 generated histories) and
 * is cancelled when the measurements end. What the issue asks: p95 during ≤ 1.5× p95 without.
 *
 * Exported for `npm run bench`; standalone: `npx tsx test/bench/training-bench.ts`.
 * Env: TRAIN_BENCH_SECONDS per run [10], TRAIN_BENCH_ROUNDS [3], TRAIN_BENCH_RECORDS [20000].
 */
import { generateSequences } from '../../functions/risk-scoring/generate-data.ts';
import { startTestRedis } from '../harness/redis.ts';
import { load, type LoadResult } from './load.ts';
import { startPlatform } from './platform.ts';
import { markdownTable, num } from './table.ts';

export interface TrainingBenchOptions {
  seconds?: number;
  rounds?: number;
  records?: number;
  log?: (line: string) => void;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** Runs the comparison; returns the Markdown section. */
export async function runTrainingBench(o: TrainingBenchOptions = {}): Promise<string> {
  const seconds = o.seconds ?? Number(process.env.TRAIN_BENCH_SECONDS ?? 10);
  const rounds = o.rounds ?? Number(process.env.TRAIN_BENCH_ROUNDS ?? 3);
  const records = o.records ?? Number(process.env.TRAIN_BENCH_RECORDS ?? 20_000);
  const log = o.log ?? ((s: string) => process.stderr.write(`training-bench: ${s}\n`));
  const redis = await startTestRedis();
  const platform = await startPlatform(redis.url, { env: { AUTOGLM_LOG_LEVEL: 'error' } });
  const auth = { authorization: `Bearer ${platform.token}` };
  try {
    const [sample] = generateSequences({ count: 1, seed: 3 });
    const target = { url: `${platform.url}/v1/functions/risk-scoring/invoke`, body: JSON.stringify({ input: sample!.input }), headers: { 'content-type': 'application/json', ...auth } };
    const dataset = generateSequences({ count: records, seed: 7 })
      .map((d) => JSON.stringify({ input: d.input, label: d.label }))
      .join('\n');
    log(`warming up (${seconds} s)`);
    await load(target, 16, seconds);
    const idle: LoadResult[] = [];
    const during: LoadResult[] = [];
    for (let r = 1; r <= rounds; r++) {
      log(`round ${r}/${rounds}: before the training (${seconds} s)`);
      idle.push(await load(target, 16, seconds));
    }

    const api = async (method: string, path: string, body?: string) => {
      const r = await fetch(`${platform.url}${path}`, { method, headers: { ...auth, ...(body ? { 'content-type': 'application/x-ndjson' } : {}) }, ...(body ? { body } : {}) });
      const json = (await r.json()) as any;
      if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    };
    const started = await api('POST', '/v1/functions/risk-scoring/trainings?then=none', dataset);
    const id = started.id as string;
    log(`training ${id} on ${records} histories; waiting until it reports progress`);
    for (;;) {
      const t = await api('GET', `/v1/trainings/${id}`);
      if (t.status === 'running' && t.progress) break;
      if (!['queued', 'running'].includes(t.status)) throw new Error(`training ended before the measurement: ${JSON.stringify(t)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // The training must run through every "during" window: cancelled only after the last.
    const still = async () => (await api('GET', `/v1/trainings/${id}`)).status === 'running';
    for (let r = 1; r <= rounds; r++) {
      log(`round ${r}/${rounds}: with the training (${seconds} s)`);
      during.push(await load(target, 16, seconds));
      if (!(await still())) throw new Error('the training ended during the measurement: raise TRAIN_BENCH_RECORDS');
    }
    await api('POST', `/v1/trainings/${id}/cancel`);
    for (;;) {
      if ((await api('GET', `/v1/trainings/${id}`)).status === 'cancelled') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (let r = 1; r <= rounds; r++) {
      log(`round ${r}/${rounds}: after the training (${seconds} s)`);
      idle.push(await load(target, 16, seconds));
    }
    const row = (name: string, rs: LoadResult[]) => [name, num(median(rs.map((x) => x.rps)), 0), num(median(rs.map((x) => x.p50)), 1), num(median(rs.map((x) => x.p95)), 1), num(median(rs.map((x) => x.p99)), 1), String(rs.reduce((a, x) => a + x.non2xx + x.errors, 0))];
    const ratio = median(during.map((x) => x.p95)) / median(idle.map((x) => x.p95));
    return [
      '## Live calls during a training (risk-scoring sync, 16 connections, 1 CPU worker)',
      '',
      markdownTable(['', 'calls/s', 'p50 ms', 'p95 ms', 'p99 ms', 'failed'], [row('no training', idle), row(`training running (${records} histories)`, during)]),
      '',
      `p95 during / without: **${ratio.toFixed(2)}×** (target ≤ 1.5×); medians of ${rounds} runs of ${seconds} s with the training, ${2 * rounds} without (half before it, half after).`,
    ].join('\n');
  } finally {
    await platform.stop();
    await redis.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${await runTrainingBench()}\n`);
}
