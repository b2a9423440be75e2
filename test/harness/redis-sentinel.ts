import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { eventually } from './eventually.ts';
import { answersPing } from './redis.ts';

/** One redis-server or redis-sentinel process of a {@link SentinelSet}. */
interface Node {
  port: number;
  proc: ChildProcess | undefined;
}

/**
 * A master, its replica and three sentinels on loopback, each its own process on a free port,
 * their files in one temporary directory: what `REDIS_SENTINELS` points a platform at.
 */
export interface SentinelSet {
  /** The master's name the sentinels monitor (`REDIS_SENTINEL_NAME`). */
  name: string;
  /** `REDIS_SENTINELS`: `127.0.0.1:<port>,…`. */
  sentinels: string;
  /** The first master's URL (a `REDIS_URL` whose host Sentinel mode ignores). */
  url: string;
  /** The master's port, as the sentinels name it now. */
  masterPort(): Promise<number>;
  /**
   * SIGKILLs the current master (no AOF flush). Resolves once it is dead, with its port; the
   * sentinels then elect the replica.
   */
  killMaster(): Promise<number>;
  /** Resolves once the sentinels name a master other than `port`, with its port. */
  failedOver(port: number): Promise<number>;
  /**
   * Starts a killed server again (its old directory and port) as a replica of the master the
   * sentinels name now. Resolves once it replicates from it.
   */
  restart(port: number): Promise<void>;
  /** Kills every process and deletes the directory. */
  destroy(): Promise<void>;
}

const NAME = 'autoglm-test';

/** Redis as the platform requires it (noeviction), with AOF everysec as in `startTestRedis`. */
// `repl-diskless-sync-delay 0`: a replica (re)joining syncs at once, not after 5 s of waiting for others.
const serverArgs = (port: number, dir: string) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction', '--repl-diskless-sync-delay', '0'];

const ping = (port: number) => answersPing(`redis://127.0.0.1:${port}`);

/** One short-lived connection for a question to a node. */
async function ask<T>(port: number, q: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await q(r);
  } finally {
    r.disconnect();
  }
}

const fields = (flat: string[]): Record<string, string> => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));

/**
 * Starts one master, one replica (`--replicaof`) and three `redis-sentinel`s (quorum 2,
 * `down-after-milliseconds` 1000, `failover-timeout` 5000), and resolves once every sentinel
 * sees the replica and the two other sentinels, and the replica's link is up.
 */
export async function startSentinelSet(): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'autoglm-sentinel-'));
  const servers = new Map<number, Node & { dir: string }>();
  const sentinels: Node[] = [];

  const spawnServer = async (port: number, extra: string[] = []) => {
    const node = servers.get(port)!;
    node.proc = spawn('redis-server', [...serverArgs(port, node.dir), ...extra], { stdio: 'ignore' });
    await eventually(() => ping(port), `redis-server on ${port}`, 10_000);
  };
  const stop = (n: Node, sig: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const p = n.proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
      p.once('exit', () => resolve());
      p.kill(sig);
    });

  try {
    for (const role of ['master', 'replica']) {
      const port = await freePort();
      mkdirSync(join(dir, role));
      servers.set(port, { port, proc: undefined, dir: join(dir, role) });
    }
    const [masterPort, replicaPort] = [...servers.keys()] as [number, number];
    await spawnServer(masterPort);
    await spawnServer(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]);
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // Sentinel rewrites its file (what it learns of replicas and peers): one file each.
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${NAME} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${NAME} 1000`,
          `sentinel failover-timeout ${NAME} 5000`,
          `sentinel parallel-syncs ${NAME} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push({ port, proc: spawn('redis-sentinel', [conf], { stdio: 'ignore' }) });
    }
    await eventually(async () => (await ask(replicaPort, (r) => r.info('replication'))).includes('master_link_status:up'), 'the replica to sync', 10_000);
    for (const s of sentinels) {
      await eventually(
        async () => {
          if (!(await ping(s.port))) return false;
          const m = fields((await ask(s.port, (r) => r.call('SENTINEL', 'MASTER', NAME))) as string[]);
          return m['num-slaves'] === '1' && m['num-other-sentinels'] === '2';
        },
        `sentinel ${s.port} to see the replica and the other sentinels`,
        20_000,
      );
    }
  } catch (err) {
    for (const n of [...servers.values(), ...sentinels]) await stop(n, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const masterPort = async (): Promise<number> => {
    for (const s of sentinels) {
      try {
        const [, port] = (await ask(s.port, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME))) as [string, string];
        return Number(port);
      } catch {
        /* that sentinel is down: ask the next */
      }
    }
    throw new Error('no sentinel answered');
  };

  return {
    name: NAME,
    sentinels: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
    url: `redis://127.0.0.1:${[...servers.keys()][0]}`,
    masterPort,
    async killMaster() {
      const port = await masterPort();
      await stop(servers.get(port)!, 'SIGKILL');
      return port;
    },
    failedOver: (port) => eventually(async () => ((await masterPort()) !== port ? masterPort() : false), `the sentinels to promote a master other than ${port}`, 60_000),
    async restart(port) {
      // As Sentinel-aware deployments start a Redis (the Bitnami chart's start script does): as a
      // replica of the master the sentinels name. Started as a master, it would wait for a
      // sentinel to notice and convert it, which takes 10-40 s.
      const master = await masterPort();
      await spawnServer(port, ['--replicaof', '127.0.0.1', String(master)]);
      await eventually(async () => (await ask(port, (r) => r.info('replication'))).match(new RegExp(`master_port:${master}[\\s\\S]*master_link_status:up`)) !== null, `${port} to replicate from the new master ${master}`, 30_000);
    },
    async destroy() {
      for (const n of [...sentinels, ...servers.values()]) await stop(n, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
