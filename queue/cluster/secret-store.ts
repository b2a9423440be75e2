import type { Redis } from 'ioredis';
import { SECRET_NAME } from '../../functions/sdk/index.ts';
import { PlatformError } from '../platform-error.ts';
import type { PayloadCipher, SealedInline } from './payload-cipher.ts';
import { keys } from '../keys.ts';
import { ReplicaWait } from './replica-wait.ts';
import { watchChannel } from './channel-watch.ts';

/** Largest secret value, bytes of UTF-8 (a certificate chain or a service-account key fits). */
export const SECRET_MAX_BYTES = 64 * 1024;

/** What anyone may see of a secret: never its value. */
export interface SecretInfo {
  name: string;
  namespace: string;
  createdAt: number;
  updatedAt: number;
  /** Who set the current value. */
  updatedBy: string;
  /** Bytes of the value. */
  size: number;
}

/** A secret as stored: its info, and its value sealed. */
interface Stored extends Omit<SecretInfo, 'name' | 'namespace'> {
  value: SealedInline;
}

/** A change that functions' loaded copies must follow; undefined: any may have changed (a reconnect hid the news). */
export type SecretChange = { namespace: string; name: string } | undefined;

// Re-seals one value only if nobody changed it meanwhile (compare and swap).
// KEYS: 1 the namespace's secrets hash. ARGV: 1 secret name, 2 the stored value read, 3 the new
// (re-sealed) value. Returns 1 when swapped, 0 when the value changed in between (left as it is).
const SWAP = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1 end return 0`;

/** Binds a sealed value to its place: a value moved to another name or namespace does not open. */
const aad = (ns: string, name: string) => `secret:${ns}/${name}`;

/**
 * Values that function code needs and nobody should read back (API keys, database passwords),
 * one Redis hash per namespace, sealed with the payload keys. The router writes them and lists
 * their info; only workers open them, for the versions whose manifests name them. Each change is
 * announced so that workers load those versions again with the new value.
 */
export class SecretStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cipher: PayloadCipher,
    /** Replicas a change must reach before it is reported done [none]. */
    private readonly replicaWait: ReplicaWait = ReplicaWait.none,
  ) {}

  /** Sets a secret's value; says whether it was new. */
  async set(namespace: string, name: string, value: string, by: string): Promise<{ created: boolean; info: SecretInfo }> {
    const key = keys.secrets(this.prefix, namespace);
    const now = Date.now();
    const prior = await this.redis.hget(key, name);
    const createdAt = prior ? (JSON.parse(prior) as Stored).createdAt : now;
    const stored: Stored = { createdAt, updatedAt: now, updatedBy: by, size: Buffer.byteLength(value), value: this.cipher.seal(value, aad(namespace, name), namespace)! };
    const mark = this.replicaWait.mark(this.redis);
    await this.redis.multi().hset(key, name, JSON.stringify(stored)).publish(keys.secretsChannel(this.prefix), JSON.stringify({ namespace, name })).exec();
    await this.replicaWait.confirm(this.redis, mark);
    return { created: !prior, info: infoOf(namespace, name, stored) };
  }

  /** Removes a secret; says whether there was one. */
  async remove(namespace: string, name: string): Promise<boolean> {
    const mark = this.replicaWait.mark(this.redis);
    const [[, n] = []] = (await this.redis.multi().hdel(keys.secrets(this.prefix, namespace), name).publish(keys.secretsChannel(this.prefix), JSON.stringify({ namespace, name })).exec()) ?? [];
    await this.replicaWait.confirm(this.redis, mark);
    return n === 1;
  }

  async info(namespace: string, name: string): Promise<SecretInfo | undefined> {
    const raw = await this.redis.hget(keys.secrets(this.prefix, namespace), name);
    return raw ? infoOf(namespace, name, JSON.parse(raw) as Stored) : undefined;
  }

  /** A namespace's secrets, by name. */
  async list(namespace: string): Promise<SecretInfo[]> {
    const all = await this.redis.hgetall(keys.secrets(this.prefix, namespace));
    return Object.entries(all)
      .map(([name, raw]) => infoOf(namespace, name, JSON.parse(raw) as Stored))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Which of `names` a namespace lacks. */
  async missing(namespace: string, names: readonly string[]): Promise<string[]> {
    return (await this.fetch(namespace, names)).lacking;
  }

  /**
   * The values of `names` (for a worker loading a version that lists them).
   * @throws SecretMissingError naming those the namespace lacks
   */
  async open(namespace: string, names: readonly string[]): Promise<Record<string, string>> {
    const { found, lacking } = await this.fetch(namespace, names);
    if (lacking.length) throw new SecretMissingError(namespace, lacking);
    return Object.fromEntries(names.map((n, i) => [n, this.cipher.open((JSON.parse(found[i]!) as Stored).value, aad(namespace, n)) as string]));
  }

  /** The stored records of `names`, in order (null where absent), and the names absent. */
  private async fetch(namespace: string, names: readonly string[]): Promise<{ found: (string | null)[]; lacking: string[] }> {
    const found = names.length ? await this.redis.hmget(keys.secrets(this.prefix, namespace), ...names) : [];
    return { found, lacking: names.filter((_, i) => found[i] === null) };
  }

  /**
   * Seals again, with the active key, every secret sealed with another one. Secrets outlive the
   * jobs a rotated-out key must be kept for: once a router has started with the new key first,
   * the old one may go. Values stay the same, so functions are not told. Returns how many.
   */
  async reseal(): Promise<number> {
    let n = 0;
    for await (const batch of this.redis.scanStream({ match: keys.secrets(this.prefix, '*'), type: 'hash', count: 100 })) {
      for (const key of batch as string[]) {
        const namespace = key.slice(keys.secrets(this.prefix, '').length);
        for (const [name, raw] of Object.entries(await this.redis.hgetall(key))) {
          const stored = JSON.parse(raw) as Stored;
          if (stored.value.k === this.cipher.activeKey && stored.value.n === namespace) continue;
          const value = this.cipher.open(stored.value, aad(namespace, name)) as string;
          const next: Stored = { ...stored, value: this.cipher.seal(value, aad(namespace, name), namespace)! };
          // Only if unchanged meanwhile: a value set since is sealed with the active key already.
          if ((await this.redis.eval(SWAP, 1, key, name, raw, JSON.stringify(next))) === 1) n++;
        }
      }
    }
    return n;
  }

  /**
   * Calls `onChange` after every secret change, and with undefined after a reconnect, when
   * changes may have been missed. `subscriber` must be a connection dedicated to subscriptions
   * (it may carry others). Returns a stop function.
   */
  async watch(subscriber: Redis, onChange: (c: SecretChange) => void): Promise<() => Promise<void>> {
    return watchChannel(subscriber, keys.secretsChannel(this.prefix), parseChange, onChange);
  }
}

function parseChange(msg: string): SecretChange {
  try {
    const c = JSON.parse(msg) as { namespace?: unknown; name?: unknown };
    return typeof c.namespace === 'string' && typeof c.name === 'string' ? { namespace: c.namespace, name: c.name } : undefined;
  } catch {
    return undefined;
  }
}

function infoOf(namespace: string, name: string, s: Stored): SecretInfo {
  return { name, namespace, createdAt: s.createdAt, updatedAt: s.updatedAt, updatedBy: s.updatedBy, size: s.size };
}

/** A version names secrets its namespace does not have: refused at deploy, failed at load. */
export class SecretMissingError extends PlatformError {
  override readonly name = 'SecretMissingError';
  constructor(namespace: string, secrets: string[]) {
    super('SECRET_NOT_FOUND', `namespace '${namespace}' has no secret ${secrets.map((s) => `'${s}'`).join(', ')} (set it with: autoglm secret set ${secrets[0]} --namespace ${namespace})`, {
      extra: { field: 'secrets', in: 'manifest', secrets },
    });
  }
}
