import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** Redis's own log of the commands it ran (MONITOR), in the order it ran them: for tests of ordering. */
export interface CommandLog {
  /** Each command as its arguments joined by spaces (commands a Lua script ran included). */
  readonly seen: string[];
  /** Resolves once the log holds every command Redis ran before this call. */
  upToNow(): Promise<void>;
  stop(): void;
}

export async function watchCommands(url: string): Promise<CommandLog> {
  const monitor = new Redis(url, { monitor: true });
  const seen: string[] = [];
  monitor.on('monitor', (_time: string, args: string[]) => seen.push(args.map(String).join(' ')));
  // ioredis marks the connection as monitoring a turn after MONITOR's OK: a line that came in the
  // same read as the OK (a busy Redis) is reported as a "Command queue state error" and dropped,
  // which rejected monitor(). Such a line is of a command run before this function returns, so
  // the log misses nothing it promises; the error is not a failure.
  monitor.on('error', () => undefined);
  await new Promise<void>((resolve) => monitor.once('monitoring', () => resolve()));
  return {
    seen,
    // The feed may still be on its way when a reply arrives: read it up to a command run now.
    async upToNow() {
      const word = `caught-up-${randomUUID()}`;
      const probe = new Redis(url);
      await probe.echo(word).finally(() => probe.disconnect());
      while (!seen.some((c) => c.toLowerCase() === `echo ${word}`)) await new Promise((r) => setTimeout(r, 10));
    },
    stop: () => monitor.disconnect(),
  };
}
