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

/** The payload of a JWT, or null when `token` is not one. */
export function readClaims(token: string): Claims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const p = JSON.parse(json) as Record<string, unknown>;
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return { sub: typeof p.sub === 'string' ? p.sub : '?', roles: list(p.roles), namespaces: list(p.namespaces), ...(typeof p.exp === 'number' ? { exp: p.exp } : {}) };
  } catch {
    return null;
  }
}

/** Actions the console offers a control for, and the roles the API grants them to (runtime/auth/policy.ts). */
const OFFERED: Record<'traffic' | 'invoke' | 'retry' | 'logs' | 'pool' | 'audit' | 'queues', readonly string[]> = {
  traffic: ['admin', 'deployer'],
  invoke: ['admin', 'invoker'],
  // Retrying submits the job again: who may invoke (an invoker only its own jobs; the API decides).
  retry: ['admin', 'invoker'],
  logs: ['admin', 'deployer', 'viewer'],
  pool: ['admin', 'viewer'],
  audit: ['admin'],
  queues: ['admin'],
};

/** Whether the console shows the controls of `what` to a token with these claims. */
export const offers = (c: Claims, what: keyof typeof OFFERED): boolean => c.roles.some((r) => OFFERED[what].includes(r));
