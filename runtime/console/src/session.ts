/**
 * The console's session: the pasted bearer token (sessionStorage: gone when the tab closes) and
 * the claims read from it. The claims decide only what the console shows; the API decides what
 * the token may do, so a forged payload here gains nothing.
 */

const KEY = 'autoglm.token';

/** What the console reads from a token's payload (unverified: for display decisions only). */
export interface Claims {
  sub: string;
  roles: string[];
  namespaces: string[];
  exp?: number;
}

export const storedToken = (): string | null => sessionStorage.getItem(KEY);
export const storeToken = (token: string): void => sessionStorage.setItem(KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(KEY);

/**
 * Where tokens of the company identity provider keep roles and namespaces (`AUTOGLM_ROLES_CLAIM`,
 * `AUTOGLM_NAMESPACES_CLAIM`: dotted paths such as Keycloak's `realm_access.roles`), as
 * `/console/config.json` gives them; the built-in issuer's tokens always use `roles` and `namespaces`.
 */
export interface ClaimPaths {
  roles: string;
  namespaces: string;
}

const BUILTIN_PATHS: ClaimPaths = { roles: 'roles', namespaces: 'namespaces' };
const PATHS_KEY = 'autoglm.claims';

/** Remembers, for this tab, where the IdP's tokens keep roles and namespaces (null: the IdP uses the defaults, or there is none). */
export const rememberClaimPaths = (p: ClaimPaths | null): void => (p ? sessionStorage.setItem(PATHS_KEY, JSON.stringify(p)) : sessionStorage.removeItem(PATHS_KEY));

function idpPaths(): ClaimPaths {
  try {
    return (JSON.parse(globalThis.sessionStorage?.getItem(PATHS_KEY) ?? 'null') as ClaimPaths | null) ?? BUILTIN_PATHS;
  } catch {
    return BUILTIN_PATHS;
  }
}

/** The value at a dotted path of the payload. */
const at = (payload: Record<string, unknown>, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), payload);

/** The payload of a JWT, or null when `token` is not one. `paths`: where an IdP token keeps roles and namespaces [as remembered]. */
export function readClaims(token: string, paths: ClaimPaths = idpPaths()): Claims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const p = JSON.parse(json) as Record<string, unknown>;
    const from = p.iss === 'autoglm' ? BUILTIN_PATHS : paths;
    // As the API reads them (runtime/auth/token-verifier.ts): a single string is a list of one.
    const list = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return { sub: typeof p.sub === 'string' ? p.sub : '?', roles: list(at(p, from.roles)), namespaces: list(at(p, from.namespaces)), ...(typeof p.exp === 'number' ? { exp: p.exp } : {}) };
  } catch {
    return null;
  }
}

/** Actions the console offers a control for, and the roles the API grants them to (runtime/auth/policy.ts). */
const OFFERED: Record<'traffic' | 'rollout' | 'train' | 'invoke' | 'retry' | 'logs' | 'pool' | 'audit' | 'queues', readonly string[]> = {
  traffic: ['admin', 'deployer'],
  // Starting a training makes a new version: function.deploy, as the traffic.
  train: ['admin', 'deployer'],
  // Pause, resume and abort need function.deploy, as the traffic does.
  rollout: ['admin', 'deployer'],
  invoke: ['admin', 'invoker'],
  // Retrying submits the job again: who may invoke (an invoker only its own jobs; the API decides).
  retry: ['admin', 'invoker'],
  logs: ['admin', 'deployer', 'viewer'],
  pool: ['admin', 'viewer'],
  audit: ['admin'],
  queues: ['admin'],
};

/** Whether the console shows the controls of `what` to a token with these claims. */
export const offers = (c: Claims, what: keyof typeof OFFERED): boolean =>
  // The pool in detail is for an admin or a viewer of every namespace (`*`), as /readyz decides:
  // a viewer of some namespaces would get only the summary the Functions page already implies.
  c.roles.some((r) => OFFERED[what].includes(r) && (what !== 'pool' || r === 'admin' || c.namespaces.includes('*')));
