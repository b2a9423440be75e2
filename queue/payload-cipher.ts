import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { randomPooled } from './names.ts';

/** An encrypted value as stored in Redis. `k` names the key, so old records stay readable after rotation. */
export interface Sealed {
  $sealed: 'aes-256-gcm';
  k: string;
  iv: string;
  tag: string;
  ct: string;
}

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

  seal(value: unknown, aad: string): Sealed | undefined {
    return value === undefined ? undefined : this.sealJson(Buffer.from(JSON.stringify(value), 'utf8'), aad);
  }

  /** Seals a value given as its JSON text (UTF-8), as it was received: no serializing again. */
  sealJson(json: Uint8Array, aad: string): Sealed {
    // A fresh 96-bit IV: a distinct slice of CSPRNG output each time.
    const iv = randomPooled(12);
    const c = createCipheriv('aes-256-gcm', this.keys.get(this.ring.active)!, iv);
    c.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([c.update(json), c.final()]);
    return { $sealed: 'aes-256-gcm', k: this.ring.active, iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), ct: ct.toString('base64') };
  }

  /**
   * Opens a sealed value; a value that is not sealed is returned as is.
   * @throws Error when the key is unknown or the record was tampered with
   */
  open(value: unknown, aad: string): unknown {
    if (!isSealed(value)) return value;
    const key = this.keys.get(value.k);
    if (!key) throw new Error(`no key '${value.k}' to open this record (was it removed from the keyring too early?)`);
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(value.iv, 'base64'));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(Buffer.from(value.tag, 'base64'));
    const pt = Buffer.concat([d.update(Buffer.from(value.ct, 'base64')), d.final()]);
    return JSON.parse(pt.toString('utf8'));
  }
}
