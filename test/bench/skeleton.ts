/**
 * Starts the design's floor (`skeleton-router.ts` and `skeleton-worker.ts` processes, as the
 * platform's router and its pool's workers) on a Redis, under its own key prefix.
 */
import { startChild } from './child.ts';
import { treeCpuMs } from './proc-stats.ts';

/** A running skeleton. */
export interface Skeleton {
  url: string;
  /** CPU of its router and workers (and their model processes) so far, ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Where the workers run risk-scoring: in a child process (the sandbox's hop) or on their own thread; or echo instead of it. */
export type SkeletonModel = 'child' | 'thread' | 'echo-child' | 'echo';

/** Starts a router and `workers` workers (2 by default, as `npm start` on this 2-core machine). */
export async function startSkeleton(redisUrl: string, model: SkeletonModel, workers = 2): Promise<Skeleton> {
  const env = { BENCH_REDIS_URL: redisUrl, BENCH_PREFIX: `skeleton-${model}`, BENCH_QUEUE: 'calls', BENCH_CHANNEL: `skeleton-${model}:done`, BENCH_SKELETON_MODEL: model };
  const children = [await startChild('./skeleton-router.ts', env)];
  try {
    for (let i = 0; i < workers; i++) children.push(await startChild('./skeleton-worker.ts', env));
  } catch (err) {
    await Promise.all(children.map((c) => c.stop()));
    throw err;
  }
  return {
    url: `http://127.0.0.1:${children[0]!.ready.port}/invoke`,
    cpuMs: () => children.reduce((sum, c) => sum + treeCpuMs(c.pid), 0),
    stop: async () => void (await Promise.all(children.map((c) => c.stop()))),
  };
}
