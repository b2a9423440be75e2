import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ConsoleSession, ConsoleSessions } from '../../queue/cluster/index.ts';
import { ForbiddenError, UnauthorizedError, authorize, type Principal } from '../auth/index.ts';
import type { AppEnv } from './app-deps.ts';

/** Where the board lives; the session cookie is sent nowhere else. */
export const BOARD_PATH = '/console/queues';
/** The cookie holding a board session's id. */
export const BOARD_COOKIE = 'autoglm_board';

/** What the cookie is set with: unreadable by scripts, never sent cross-site, only to the board. */
const attributes = (secure: boolean) => ({ path: BOARD_PATH, httpOnly: true, sameSite: 'Strict' as const, secure });

/** Sets the cookie of session `id`, lasting as long as the session. */
export function setBoardCookie(c: Context, id: string, expiresAt: number, secure: boolean): void {
  setCookie(c, BOARD_COOKIE, id, { ...attributes(secure), maxAge: Math.max(1, Math.floor((expiresAt - Date.now()) / 1000)) });
}

/** Tells the browser to drop the cookie. */
export const clearBoardCookie = (c: Context, secure: boolean): void => void deleteCookie(c, BOARD_COOKIE, attributes(secure));

/** The session's id as the request's cookie gives it, if any. */
export const boardCookie = (c: Context): string | undefined => getCookie(c, BOARD_COOKIE) || undefined;

const principalOf = (s: ConsoleSession): Principal => ({ sub: s.sub, roles: s.roles, namespaces: s.namespaces, issuer: s.issuer });

/**
 * Lets a request through to the board only with a live session of an admin (checked on every
 * request: the session may have ended, on any router), and puts its holder in `c.var.principal`.
 * Without one, a page request is sent to the console (whose Queues link opens a session) and
 * anything else gets 401 problem+json. The board is read-only, so only GET and HEAD pass.
 */
export function boardSession(sessions: Pick<ConsoleSessions, 'read'>): MiddlewareHandler<AppEnv> {
  return async function boardSessionMiddleware(c, next) {
    const id = boardCookie(c);
    const session = id ? await sessions.read(id) : undefined;
    if (!session) {
      if (c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html')) return c.redirect('/console/', 303);
      throw new UnauthorizedError(id ? 'the queue board session has ended or is not known: open Queues in the console again' : 'a queue board session is required: open Queues in the console');
    }
    const principal = principalOf(session);
    c.set('principal', principal);
    authorize(principal, 'queue.board', { namespace: '*', allNamespaces: true });
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      throw new ForbiddenError(`the queue board is read-only (${c.req.method} refused): act on jobs through the API, where roles and namespaces apply and the audit trail records it`);
    }
    await next();
  };
}

