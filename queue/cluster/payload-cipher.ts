import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { randomPooled } from './random.ts';

/**
 * An encrypted value as stored in Redis. `k` names the key, so old records stay readable after
 * rotation. The ciphertext is `ct` (base64), or, for a large value, raw bytes under the Redis key
 * `at` (see {@link PayloadCipher.sealApart}).
 */
export type Sealed = SealedHead & ({ ct: string } | { at: string });

/** What every sealed value carries besides its ciphertext. */
type SealedHead = { $sealed: 'aes-256-gcm'; k: string; iv: string; tag: string };

/** A sealed value that carries its ciphertext. */
export type SealedInline = Extract<Sealed, { ct: string }>;

/** A sealed value whose ciphertext is stored apart, under the Redis key `at`. */
export type SealedApart = Extract<Sealed, { at: string }>;

/** Data keys by id; `active` encrypts, every key decrypts. */
export interface Keyring {
  active: string;
  keys: ReadonlyMap<string, Buffer>;
}

/**
 * Parses `kid:base64key[,kid:base64key…]` (32-byte keys; the first is active). Rotation: put a
 * new key first and keep the old ones listed until the records they sealed have expired.
 */
export function parseKeyring(spec: string): { ok: true; ring: Keyring } | { ok: false; error: string } {
  const keys = new Map<string, Buffer>();
  let active: string | undefined;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/=_-]+)$/.exec(part);
    if (!m) return { ok: false, error: `"${part.slice(0, 12)}…": expected kid:base64key` };
    const key = Buffer.from(m[2]!, m[2]!.includes('-') || m[2]!.includes('_') ? 'base64url' : 'base64');
    if (key.length !== 32) return { ok: false, error: `key ${m[1]} must be 32 bytes (AES-256), got ${key.length}` };
    if (keys.has(m[1]!)) return { ok: false, error: `key id ${m[1]} appears twice` };
    keys.set(m[1]!, key);
    active ??= m[1]!;
  }
  if (!active) return { ok: false, error: 'no keys given' };
  return { ok: true, ring: { active, keys } };
}

/** A new keyring spec with one fresh key (for a state directory's first start). */
export function newKeyringSpec(kid = `k${Date.now().toString(36)}`): string {
  return `${kid}:${randomBytes(32).toString('base64')}`;
}

const isSealed = (v: unknown): v is Sealed => typeof v === 'object' && v !== null && (v as Sealed).$sealed === 'aes-256-gcm';

/** Whether `v` is sealed with its ciphertext stored apart: opening it needs those bytes. */
export const isSealedApart = (v: unknown): v is SealedApart => isSealed(v) && typeof (v as SealedApart).at === 'string';

/**
 * Seals job inputs and outputs with AES-256-GCM before they reach Redis. The job id is the
 * additional authenticated data, so a sealed value moved to another job fails to open.
 */
export class PayloadCipher {
  /** Keys imported once: a raw key buffer is imported again by every cipher made from it. */
  private readonly keys: Map<string, KeyObject>;

  constructor(private readonly ring: Keyring) {
    this.keys = new Map([...ring.keys].map(([kid, raw]) => [kid, createSecretKey(raw)]));
  }

  /** The id of the key new records are sealed with. */
  get activeKey(): string {
    return this.ring.active;
  }

  seal(value: unknown, aad: string): SealedInline | undefined {
    return value === undefined ? undefined : this.sealJson(Buffer.from(JSON.stringify(value), 'utf8'), aad);
  }

  /** Seals a value given as its JSON text (UTF-8), as it was received: no serializing again. */
  sealJson(json: Uint8Array, aad: string): SealedInline {
    const { head, ct } = this.encrypt(json, aad);
    return { ...head, ct: ct.toString('base64') };
  }

  /**
   * Seals JSON text into an envelope and raw ciphertext for the caller to store under the Redis
   * key `at`. For large values: a job record is JSON, so an inline ciphertext is base64 inside a
   * string that Redis, the client and BullMQ each copy and convert; raw bytes skip all of that.
   */
  sealApart(json: Uint8Array, aad: string, at: string): { sealed: SealedApart; ct: Buffer } {
    const { head, ct } = this.encrypt(json, aad);
    return { sealed: { ...head, at }, ct };
  }

  private encrypt(json: Uint8Array, aad: string): { head: SealedHead; ct: Buffer } {
    // A fresh 96-bit IV: a distinct slice of CSPRNG output each time.
    const iv = randomPooled(12);
    const c = createCipheriv('aes-256-gcm', this.keys.get(this.ring.active)!, iv);
    c.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([c.update(json), c.final()]);
    return { head: { $sealed: 'aes-256-gcm', k: this.ring.active, iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64') }, ct };
  }

  /**
   * Opens a sealed value; a value that is not sealed is returned as is. A value sealed apart
   * needs its stored ciphertext, `apart`.
   * @throws Error when the key is unknown, the stored ciphertext is not given, or the record was tampered with
   */
  open(value: unknown, aad: string, apart?: Buffer): unknown {
    if (!isSealed(value)) return value;
    const key = this.keys.get(value.k);
    if (!key) throw new Error(`no key '${value.k}' to open this record (was it removed from the keyring too early?)`);
    const ct = 'ct' in value ? Buffer.from(value.ct, 'base64') : apart;
    if (!ct) throw new Error(`the ciphertext stored apart at ${(value as SealedApart).at} was not given`);
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(value.iv, 'base64'));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(Buffer.from(value.tag, 'base64'));
    const pt = Buffer.concat([d.update(ct), d.final()]);
    return JSON.parse(pt.toString('utf8'));
  }
}
