/**
 * How many Redis commands a run cost, from `INFO commandstats`: the queue lifecycle's round
 * trips are the main cost of the invoke path, so commands per call say where time goes better
 * than latency alone. Commands run inside Lua scripts are counted too (Redis 7 does).
 */
import { Redis } from 'ioredis';
import { startTestRedis } from '../harness/redis.ts';

/** Calls so far: `scripts` (EVAL/EVALSHA/FCALL, each one round trip) and `all` commands. */
export interface CommandCount {
  scripts: number;
  all: number;
}

export async function commandCount(redis: Redis): Promise<CommandCount> {
  let scripts = 0;
  let all = 0;
  for (const [cmd, calls] of await commandCalls(redis)) {
    all += calls;
    if (/^(eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro)$/.test(cmd)) scripts += calls;
  }
  return { scripts, all };
}

/** Calls so far of each command (`rpush`, `evalsha`…), for a per-call breakdown. */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** The server's process id (`INFO server`), to read its CPU from /proc. */
export async function serverPid(redis: Redis): Promise<number> {
  return Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
}

/** A private Redis for one bench, with a client and its server's pid (for its CPU); `stop` ends both. */
export async function startBenchRedis(): Promise<{ url: string; pid: number; admin: Redis; stop: () => Promise<void> }> {
  const redis = await startTestRedis();
  const admin = new Redis(redis.url);
  const stop = async () => {
    admin.disconnect();
    await redis.destroy();
  };
  try {
    return { url: redis.url, pid: await serverPid(admin), admin, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
