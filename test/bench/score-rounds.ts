import { load, type Target } from './load.ts';

/** What {@link scoreRounds} takes besides the targets. */
export interface RoundsOptions {
  seconds: number;
  rounds: number;
  log: (s: string) => void;
}

/**
 * For the risk-scoring benches: checks each target answers a score, warms each up at 64
 * connections, then measures every target at 64 connections and at 1 in each round, the targets
 * alternating so a burst of outside load hits all alike (a target with `connections` only at those).
 * Returns each target's runs by connections.
 */
export async function scoreRounds<T extends { target: Target; connections?: number[] }, R>(targets: Record<string, T>, o: RoundsOptions, measure: (t: T, connections: number) => Promise<R>): Promise<Record<string, Record<number, R[]>>> {
  for (const [name, t] of Object.entries(targets)) {
    const r = await fetch(t.target.url, { method: 'POST', headers: t.target.headers, body: t.target.next?.() ?? t.target.body });
    const text = await r.text();
    if (r.status !== 200 || !text.includes('"level"')) throw new Error(`${name} answered ${r.status}: ${text.slice(0, 200)}`);
    o.log(`warming up ${name}`);
    await load(t.target, 64, Math.min(5, o.seconds));
  }
  const runs: Record<string, Record<number, R[]>> = {};
  for (let round = 1; round <= o.rounds; round++) {
    for (const connections of [64, 1]) {
      for (const [name, t] of Object.entries(targets)) {
        if (t.connections && !t.connections.includes(connections)) continue;
        o.log(`round ${round}/${o.rounds}: ${name} at ${connections} connection(s) (${o.seconds} s)`);
        ((runs[name] ??= {})[connections] ??= []).push(await measure(t, connections));
      }
    }
  }
  return runs;
}
