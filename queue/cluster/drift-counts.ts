import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';

/** Inputs of one version counted per feature and baseline bin (one count per bin), and those that gave no numbers. */
export interface DriftTally {
  fn: string;
  version: string;
  counts: Record<string, number[]>;
  skipped: number;
}

const MINUTE_MS = 60_000;
/** Longest window a manifest may ask for (24 h), plus the minute being written and one to spare. */
const KEEP_SECONDS = 86_400 + 120;

/**
 * Live inputs' drift counts in Redis, per version and minute: workers add what their hosts
 * counted (a few HINCRBYs per version every heartbeat), routers sum the minutes of a window.
 * Minute buckets make the window slide without anyone removing old counts: they expire.
 */
export class DriftCounts {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Adds `tallies` to the current minute's buckets, in one round trip. */
  async add(tallies: readonly DriftTally[], now = Date.now()): Promise<void> {
    if (tallies.length === 0) return;
    const minute = Math.floor(now / MINUTE_MS);
    const m = this.redis.multi();
    for (const t of tallies) {
      const key = keys.driftMinute(this.prefix, t.fn, t.version, minute);
      for (const [feature, counts] of Object.entries(t.counts)) counts.forEach((n, bin) => n > 0 && m.hincrby(key, `${feature}:${bin}`, n));
      if (t.skipped > 0) m.hincrby(key, '_skipped', t.skipped);
      m.expire(key, KEEP_SECONDS);
    }
    await m.exec();
  }

  /**
   * The counts of version `fn@version` over the `windowMs` before `now` (whole minutes, the
   * current one included), with `bins[feature]` bins per feature; bins the baseline does not
   * have are left out.
   */
  async window(fn: string, version: string, windowMs: number, bins: Record<string, number>, now = Date.now()): Promise<Omit<DriftTally, 'fn' | 'version'>> {
    const last = Math.floor(now / MINUTE_MS);
    const first = last - Math.max(1, Math.ceil(windowMs / MINUTE_MS)) + 1;
    const p = this.redis.pipeline();
    for (let minute = first; minute <= last; minute++) p.hgetall(keys.driftMinute(this.prefix, fn, version, minute));
    const replies = (await p.exec()) ?? [];
    const counts: Record<string, number[]> = {};
    for (const [feature, n] of Object.entries(bins)) counts[feature] = new Array<number>(n).fill(0);
    let skipped = 0;
    for (const [err, hash] of replies) {
      if (err) throw err;
      for (const [field, value] of Object.entries(hash as Record<string, string>)) {
        if (field === '_skipped') {
          skipped += Number(value);
          continue;
        }
        const at = field.lastIndexOf(':');
        const c = counts[field.slice(0, at)];
        const bin = Number(field.slice(at + 1));
        if (c && Number.isInteger(bin) && bin >= 0 && bin < c.length) c[bin]! += Number(value);
      }
    }
    return { counts, skipped };
  }
}
