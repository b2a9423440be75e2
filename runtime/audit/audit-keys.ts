import { newHmacKeySpec, parseHmacKeys, type HmacKeyring } from '../config/index.ts';

/**
 * The keys that seal audit records (HMAC-SHA256). Only routers hold them: pool nodes and function
 * code never do, so nothing they can write verifies. `active` seals new records; the others stay
 * to verify records sealed before a rotation. Each record names its key (`kid`).
 */
export type AuditKeyring = HmacKeyring;

/** The state-directory file holding the generated keyring when `AUTOGLM_AUDIT_KEYS` is unset. */
export const AUDIT_KEYS_FILE = 'audit-keys';

/**
 * Parses `kid:secret[,kid:secret…]` (first active; secrets of at least 32 characters).
 * @throws RangeError naming the bad part (never the secret).
 */
export const parseAuditKeys = (spec: string): AuditKeyring => parseHmacKeys(spec);

/** A new keyring spec with one fresh key (for a state directory's first start). */
export const newAuditKeySpec = (kid = `a${Date.now().toString(36)}`): string => newHmacKeySpec(kid);
