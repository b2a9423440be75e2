import { parseDuration } from './duration.ts';

/**
 * Reads typed values from an environment, collecting every problem instead of stopping at the
 * first, so an operator fixes all bad keys in one go.
 */
export class EnvReader {
  readonly errors: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  string(key: string): string | undefined {
    const v = this.env[key];
    return v === undefined || v === '' ? undefined : v;
  }

  int(key: string, def: number, min: number, max: number): number {
    const raw = this.string(key);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.errors.push(`${key}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
      return def;
    }
    return n;
  }

  /** A duration such as `30s`, `500ms`, `7d`, or milliseconds, from `minMs` to `maxMs`. Returns milliseconds. */
  duration(key: string, defMs: number, minMs = 0, maxMs = Infinity): number {
    const raw = this.string(key);
    if (raw === undefined) return defMs;
    const ms = parseDuration(raw);
    const range = maxMs === Infinity ? `at least ${minMs} ms` : `${minMs} to ${maxMs} ms`;
    if (ms === undefined) {
      this.errors.push(`${key}=${JSON.stringify(raw)}: expected a duration like 500ms, 30s, 5m or 7d (${range})`);
      return defMs;
    }
    if (ms < minMs || ms > maxMs) {
      // A well-formed value: say what is wrong with it, not which forms are understood.
      this.errors.push(`${key}=${JSON.stringify(raw)}: ${ms} ms is out of range (${range})`);
      return defMs;
    }
    return ms;
  }

  /** A size such as `1MiB`, `512KiB` or bytes. Returns bytes. */
  bytes(key: string, def: number): number {
    const raw = this.string(key);
    if (raw === undefined) return def;
    const m = /^(\d+)\s*(b|kib|mib|gib|kb|mb|gb)?$/i.exec(raw.trim());
    if (!m) {
      this.errors.push(`${key}=${JSON.stringify(raw)}: expected a size like 1MiB, 512KiB or a number of bytes`);
      return def;
    }
    const mult: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
    return Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()]!;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], def: T): T {
    const raw = this.string(key);
    if (raw === undefined) return def;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.errors.push(`${key}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`);
      return def;
    }
    return raw as T;
  }

  redisUrl(key: string): string | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error();
      return raw;
    } catch {
      this.errors.push(`${key}=${JSON.stringify(raw)}: expected redis://[user:password@]host:port[/db] or rediss://…`);
      return undefined;
    }
  }

  secret(key: string, minLength: number): string | undefined {
    const raw = this.string(key);
    if (raw !== undefined && raw.length < minLength) {
      this.errors.push(`${key}: must be at least ${minLength} characters`);
      return undefined;
    }
    return raw;
  }
}
