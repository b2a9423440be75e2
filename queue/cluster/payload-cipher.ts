import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { randomPooled } from './random.ts';

/**
 * An encrypted value as stored in Redis. `k` names the master key, so old records stay readable
 * after rotation; `n` the namespace whose data key, derived from that master key, sealed it
 * (absent: sealed with the master key itself, as before namespace keys). The ciphertext is `ct` (base64), or, for a large value, raw bytes under the Redis key
 * `at` (see {@link PayloadCipher.sealApart}).
 */
export type Sealed = SealedHead & ({ ct: string } | { at: string });

/** What every sealed value carries besides its ciphertext. */
type SealedHead = { $sealed: 'aes-256-gcm'; k: string; n?: string; iv: string; tag: string };

/** A sealed value that carries its ciphertext. */
export type SealedInline = Extract<Sealed, { ct: string }>;

/** A sealed value whose ciphertext is stored apart, under the Redis key `at`. */
export type SealedApart = Extract<Sealed, { at: string }>;

/**
 * Keys by id; `active` seals, every key opens. A master key (`keys`) opens any namespace's data:
 * its holder derives each namespace's key (routers, and pools serving every namespace). A pool
 * limited to some namespaces holds only their derived keys (`namespaceKeys`), never a master.
 */
export interface Keyring {
  active: string;
  /** Master keys by id. */
  keys: ReadonlyMap<string, Buffer>;
  /** Namespace data keys by `<master kid>/<namespace>` (see {@link deriveNamespaceKey}). */
  namespaceKeys?: ReadonlyMap<string, Buffer>;
}

/**
 * A namespace's data key: HKDF-SHA256 of master key `kid`, the info naming both. One-way: a
 * namespace's key opens nothing of another namespace and does not give back the master key.
 */
export function deriveNamespaceKey(master: Buffer, kid: string, namespace: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, 'autoglm-namespace-key', `${kid}/${namespace}`, 32));
}

/**
 * Parses `kid:base64key[,kid:base64key…]` (32-byte master keys; the first is active), where an
 * entry may also be a namespace's derived key, `kid/namespace:base64key` (what a pool limited to
 * namespaces is given, see {@link poolKeyringSpec}). Rotation: put a new key first and keep the
 * old ones listed until the records they sealed have expired.
 */
export function parseKeyring(spec: string): { ok: true; ring: Keyring } | { ok: false; error: string } {
  const keys = new Map<string, Buffer>();
  const namespaceKeys = new Map<string, Buffer>();
  let active: string | undefined;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]{1,32})(?:\/([a-z][a-z0-9-]{0,62}))?:([A-Za-z0-9+/=_-]+)$/.exec(part);
    if (!m) return { ok: false, error: `"${part.slice(0, 12)}…": expected kid:base64key or kid/namespace:base64key` };
    const [, kid, ns, b64] = m as unknown as [string, string, string | undefined, string];
    const id = ns ? `${kid}/${ns}` : kid;
    const key = Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64');
    if (key.length !== 32) return { ok: false, error: `key ${id} must be 32 bytes (AES-256), got ${key.length}` };
    const into = ns ? namespaceKeys : keys;
    if (into.has(id)) return { ok: false, error: `key id ${id} appears twice` };
    into.set(id, key);
    active ??= kid;
  }
  if (!active) return { ok: false, error: 'no keys given' };
  return { ok: true, ring: namespaceKeys.size ? { active, keys, namespaceKeys } : { active, keys } };
}

/**
 * The keyring spec a pool is given. A pool serving every namespace (`namespaces` undefined, or
 * with `*`) gets the ring as it is, master keys included: it must open any namespace's data, so
 * it is as trusted as a router with data. A pool limited to namespaces gets, for each master key
 * (the active first), only those namespaces' derived keys: a compromised worker of team-a's pool
 * cannot open team-b's secrets or payloads, nor records sealed with a master key directly.
 */
export function poolKeyringSpec(ring: Keyring, namespaces: readonly string[] | undefined): string {
  if (!namespaces || namespaces.includes('*')) return formatKeyring(ring);
  const kids = [...new Set([ring.active, ...ring.keys.keys(), ...[...(ring.namespaceKeys?.keys() ?? [])].map((id) => id.split('/')[0]!)])];
  const out: string[] = [];
  for (const kid of kids) {
    for (const ns of namespaces) {
      const master = ring.keys.get(kid);
      const key = ring.namespaceKeys?.get(`${kid}/${ns}`) ?? (master && deriveNamespaceKey(master, kid, ns));
      if (key) out.push(`${kid}/${ns}:${key.toString('base64')}`);
    }
  }
  return out.join(',');
}

/** A keyring as its spec, the active key first. */
function formatKeyring(ring: Keyring): string {
  const entries = [...ring.keys, ...(ring.namespaceKeys ?? [])].sort(([a], [b]) => Number(b.split('/')[0] === ring.active) - Number(a.split('/')[0] === ring.active));
  return entries.map(([id, key]) => `${id}:${key.toString('base64')}`).join(',');
}

/** A new keyring spec with one fresh key (for a state directory's first start). */
export function newKeyringSpec(kid = `k${Date.now().toString(36)}`): string {
  return `${kid}:${randomBytes(32).toString('base64')}`;
}

/** Whether `v` is a sealed value (anything else is a value stored in the clear, as before sealing). */
export const isSealed = (v: unknown): v is Sealed => typeof v === 'object' && v !== null && (v as Sealed).$sealed === 'aes-256-gcm';

/** Whether `v` is sealed with its ciphertext stored apart: opening it needs those bytes. */
export const isSealedApart = (v: unknown): v is SealedApart => isSealed(v) && typeof (v as SealedApart).at === 'string';

/** Derived keys a cipher keeps imported at most: namespaces are few, but `n` in a record is data. */
const DERIVED_CACHED = 4096;

/**
 * Seals job inputs and outputs, error records, secrets and function logs with AES-256-GCM before
 * they reach Redis, each with its namespace's data key (derived from the active master key). The
 * additional authenticated data (the job id, a secret's namespace and name, a log stream) binds a
 * sealed value to its place, so one moved elsewhere fails to open.
 */
export class PayloadCipher {
  /** Master keys imported once, for records sealed before namespace keys. */
  private readonly masters: Map<string, KeyObject>;
  /** Namespace keys given (a limited pool's), imported once. */
  private readonly given: Map<string, KeyObject>;
  /** Namespace keys derived from master keys, imported once. */
  private readonly derived = new Map<string, KeyObject>();

  constructor(private readonly ring: Keyring) {
    this.masters = new Map([...ring.keys].map(([kid, raw]) => [kid, createSecretKey(raw)]));
    this.given = new Map([...(ring.namespaceKeys ?? [])].map(([id, raw]) => [id, createSecretKey(raw)]));
  }

  /** The id of the master key new records are sealed under. */
  get activeKey(): string {
    return this.ring.active;
  }

  /** Seals `value` with namespace `ns`'s key; undefined stays undefined. */
  seal(value: unknown, aad: string, ns: string): SealedInline | undefined {
    return value === undefined ? undefined : this.sealJson(Buffer.from(JSON.stringify(value), 'utf8'), aad, ns);
  }

  /** Seals a value given as its JSON text (UTF-8), as it was received: no serializing again. */
  sealJson(json: Uint8Array, aad: string, ns: string): SealedInline {
    const { head, ct } = this.encrypt(json, aad, ns);
    return { ...head, ct: ct.toString('base64') };
  }

  /**
   * Seals JSON text into an envelope and raw ciphertext for the caller to store under the Redis
   * key `at`. For large values: a job record is JSON, so an inline ciphertext is base64 inside a
   * string that Redis, the client and BullMQ each copy and convert; raw bytes skip all of that.
   */
  sealApart(json: Uint8Array, aad: string, ns: string, at: string): { sealed: SealedApart; ct: Buffer } {
    const { head, ct } = this.encrypt(json, aad, ns);
    return { sealed: { ...head, at }, ct };
  }

  private encrypt(json: Uint8Array, aad: string, ns: string): { head: SealedHead; ct: Buffer } {
    // A fresh 96-bit IV: a distinct slice of CSPRNG output each time.
    const iv = randomPooled(12);
    const c = createCipheriv('aes-256-gcm', this.key(this.ring.active, ns), iv);
    c.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([c.update(json), c.final()]);
    return { head: { $sealed: 'aes-256-gcm', k: this.ring.active, n: ns, iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64') }, ct };
  }

  /**
   * The key of master `kid` for namespace `ns`, or the master itself for a record sealed before
   * namespace keys (`ns` undefined).
   * @throws Error naming what is missing: a limited pool has no master and no other namespace's key
   */
  private key(kid: string, ns: string | undefined): KeyObject {
    const id = ns === undefined ? kid : `${kid}/${ns}`;
    const found = ns === undefined ? this.masters.get(kid) : (this.given.get(id) ?? this.derived.get(id));
    if (found) return found;
    const master = this.ring.keys.get(kid);
    if (!master || ns === undefined) throw new Error(this.missing(kid, ns));
    if (this.derived.size >= DERIVED_CACHED) this.derived.clear();
    const key = createSecretKey(deriveNamespaceKey(master, kid, ns));
    this.derived.set(id, key);
    return key;
  }

  /** Why key `kid` (of namespace `ns`) is not held: rotated out too early, or a limited pool's. */
  private missing(kid: string, ns: string | undefined): string {
    if (this.ring.keys.size || !this.given.size) return `no key '${kid}' to open this record (was it removed from the keyring too early?)`;
    return ns === undefined
      ? `this record was sealed with master key '${kid}' before namespace keys: only routers and pools serving every namespace hold it`
      : `no key '${kid}' for namespace '${ns}': this pool holds only the keys of the namespaces it serves`;
  }

  /**
   * Opens a sealed value; a value that is not sealed is returned as is. A value sealed apart
   * needs its stored ciphertext, `apart`. The key is the one the record names: its master key id
   * and namespace (a record's namespace cannot be changed: it chooses the key).
   * @throws Error when the key is not held, the stored ciphertext is not given, or the record was tampered with
   */
  open(value: unknown, aad: string, apart?: Buffer): unknown {
    if (!isSealed(value)) return value;
    return JSON.parse(this.openBytes(value, aad, apart).toString('utf8'));
  }

  /**
   * The bytes a sealed value holds (for bytes sealed as they are: dataset chunks), not parsed.
   * @throws Error as {@link open}
   */
  openBytes(value: Sealed, aad: string, apart?: Buffer): Buffer {
    const key = this.key(value.k, value.n);
    const ct = 'ct' in value ? Buffer.from(value.ct, 'base64') : apart;
    if (!ct) throw new Error(`the ciphertext stored apart at ${(value as SealedApart).at} was not given`);
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(value.iv, 'base64'));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(Buffer.from(value.tag, 'base64'));
    return Buffer.concat([d.update(ct), d.final()]);
  }
}
