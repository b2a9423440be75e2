import { randomBytes } from 'node:crypto';

/**
 * A ring of HMAC keys by id: `active` signs, the others stay for a rotation's grace (the audit
 * trail verifies old records with them; webhooks are signed with them too until they are dropped).
 */
export interface HmacKeyring {
  readonly active: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

const KID_RE = /^[A-Za-z0-9_-]{1,32}$/;
/** Shortest key accepted: HMAC-SHA256 gains nothing from more than its 32-byte block of entropy. */
const MIN_KEY_CHARS = 32;

/**
 * Parses `kid:secret[,kid:secret…]` (first active). A secret is any string of at least 32
 * characters without a comma; its UTF-8 bytes are the key.
 * @throws RangeError naming the bad part (never the secret).
 */
export function parseHmacKeys(spec: string): HmacKeyring {
  const keys = new Map<string, Buffer>();
  let active: string | undefined;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = part.indexOf(':');
    const kid = part.slice(0, Math.max(colon, 0));
    const secret = part.slice(colon + 1);
    if (colon < 1 || !KID_RE.test(kid)) throw new RangeError('expected kid:secret, with a key id of letters, digits, _ and - (at most 32)');
    if (secret.length < MIN_KEY_CHARS) throw new RangeError(`key ${kid} must be at least ${MIN_KEY_CHARS} characters`);
    if (keys.has(kid)) throw new RangeError(`key id ${kid} appears twice`);
    keys.set(kid, Buffer.from(secret, 'utf8'));
    active ??= kid;
  }
  if (!active) throw new RangeError('no keys given');
  return { active, keys };
}

/** A new keyring spec with one fresh key named `kid` (for a state directory's first start). */
export function newHmacKeySpec(kid: string): string {
  return `${kid}:${randomBytes(32).toString('base64url')}`;
}
