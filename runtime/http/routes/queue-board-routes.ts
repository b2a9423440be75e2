import { createBullBoard } from '@bull-board/api';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import { decodeJwt } from 'jose';
import type { Logger } from '../../../functions/sdk/index.ts';
import type { ConsoleSessions } from '../../../queue/cluster/index.ts';
import type { BoardQueues } from '../../../queue/jobs/index.ts';
import { auditDenials, audited, type AuditLog } from '../../audit/index.ts';
import { authorize, bearerAuth, type TokenVerifier } from '../../auth/index.ts';
import type { CatalogMirror } from '../../registry/catalog-mirror.ts';
import type { AppEnv } from '../app-deps.ts';
import { RouteNotFoundError } from '../errors.ts';
import { problemResponse } from '../problem.ts';
import { BOARD_PATH, boardCookie, boardSession, clearBoardCookie, setBoardCookie } from '../board-session.ts';

/** What the board needs. */
export interface QueueBoardDeps {
  /** The catalogue: the board shows a queue per function it lists. */
  functions: Pick<CatalogMirror, 'list'>;
  boardQueues: Pick<BoardQueues, 'sync'>;
  sessions: Pick<ConsoleSessions, 'open' | 'read' | 'close'>;
  verifier: TokenVerifier;
  /** Longest life of a session (`AUTOGLM_CONSOLE_SESSION_TTL`); never past its token's `exp`. */
  sessionTtlMs: number;
  /** Mark the cookie `Secure`: the router serves TLS. */
  secureCookie: boolean;
  auditLog?: AuditLog;
  log?: Logger;
}

const SESSION_PATH = `${BOARD_PATH}/session`;

/** What the board app gets as its `env`: the server's bindings, and the variables of the request as the API's app set them. */
type BoardEnv = Record<string, unknown> & { parentVars?: Record<string, unknown> };

/**
 * Serves the board at `BOARD_PATH` in `app` from an app of its own, behind one wildcard route.
 * bull-board's routes (`…/:queueName/:jobId/logs` beside `…/:queueName/:jobId`) are more than
 * Hono's RegExpRouter can take: mounted with `route`, they put every request of the API on its
 * slower trie router (1.6–1.8 µs a match against 0.2–0.3: `test/bench/route-match-bench.ts`).
 */
export function mountQueueBoard(app: Hono<AppEnv>, deps: QueueBoardDeps): void {
  const board = queueBoardRoutes(deps);
  // Its errors are answered as the API's are (problem+json), inside it, so its audit of refusals sees them.
  board.onError((err, c) => problemResponse(c, err, deps.log));
  board.notFound((c) => problemResponse(c, new RouteNotFoundError(c.req.method, c.req.path)));
  app.all(`${BOARD_PATH}/*`, (c) => board.fetch(c.req.raw, { ...(c.env as object), parentVars: c.var }));
}

/**
 * The board's own page loads its script and styles from here, with inline styles of its own; it
 * talks only to its own API. Its page asks Google for fonts, which an air-gapped site cannot reach:
 * the link is taken out, and `font-src` would refuse it anyway.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'";
const FONT_LINK = /<link[^>]+fonts\.googleapis\.com[^>]*>/g;

const hardened: MiddlewareHandler = async function boardHeaders(c, next) {
  await next();
  if (c.res.headers.get('content-type')?.startsWith('text/html')) {
    const page = (await c.res.text()).replace(FONT_LINK, '');
    c.res = new Response(page, { status: c.res.status, headers: c.res.headers });
  }
  c.res.headers.set('content-security-policy', CSP);
  c.res.headers.set('x-content-type-options', 'nosniff');
  c.res.headers.set('referrer-policy', 'no-referrer');
  c.res.headers.set('cache-control', 'no-store');
};

/**
 * BullMQ's board (bull-board) at `/console/queues/`, for admins, read-only, and the session it
 * runs on: `POST /console/queues/session` with an admin's bearer token sets an HttpOnly,
 * SameSite=Strict cookie for this path only (Secure under TLS) naming a session in Redis;
 * `DELETE` ends it. Opening and ending a session is audited (`console.session.open`, `.close`),
 * as is every refusal of a request that came with a token or a cookie.
 */
export function queueBoardRoutes(deps: QueueBoardDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Run as an app of its own (see `mountQueueBoard`): this request's variables (its id, …) come along.
  app.use('*', async function parentVariables(c, next) {
    for (const [k, v] of Object.entries((c.env as BoardEnv | undefined)?.parentVars ?? {})) c.set(k as never, v as never);
    await next();
  });
  if (deps.auditLog) {
    const denials = auditDenials(deps.auditLog, deps.log);
    // A request with neither (a board tab left open after its session ended, polling) is not
    // worth a record each time; one that brings a cookie or a token is.
    app.use(`${BOARD_PATH}/*`, (c, next) => (boardCookie(c) || c.req.header('authorization') ? denials(c, next) : next()));
  }

  app.post(SESSION_PATH, bearerAuth(deps.verifier), async (c) => {
    const started = Date.now();
    const p = c.var.principal;
    authorize(p, 'queue.board', { namespace: '*', allNamespaces: true });
    const run = async () => {
      // The token was verified just now, so its `exp` can be read as it stands.
      const exp = decodeJwt(/^Bearer\s+(\S+)/i.exec(c.req.header('authorization')!)![1]!).exp;
      const expiresAt = Math.min(started + deps.sessionTtlMs, exp !== undefined ? exp * 1000 : Infinity);
      const id = await deps.sessions.open({ sub: p.sub, roles: [...p.roles], namespaces: [...p.namespaces], issuer: p.issuer }, expiresAt);
      setBoardCookie(c, id, expiresAt, deps.secureCookie);
      return c.json({ expiresAt: new Date(expiresAt).toISOString() }, 201);
    };
    return deps.auditLog ? audited(deps.auditLog, c, { action: 'console.session.open', started }, run) : run();
  });

  // No token needed: the cookie names the session, and ending one's own session is harmless.
  app.delete(SESSION_PATH, async (c) => {
    const id = boardCookie(c);
    const session = id ? await deps.sessions.read(id) : undefined;
    clearBoardCookie(c, deps.secureCookie);
    if (!id || !session) return c.body(null, 204);
    c.set('principal', { sub: session.sub, roles: session.roles, namespaces: session.namespaces, issuer: session.issuer });
    const end = () => deps.sessions.close(id);
    await (deps.auditLog ? audited(deps.auditLog, c, { action: 'console.session.close' }, end) : end());
    return c.body(null, 204);
  });

  const adapter = new HonoAdapter(serveStatic).setBasePath(BOARD_PATH);
  const names = () => deps.functions.list().map((f) => f.name);
  const board = createBullBoard({
    queues: deps.boardQueues.sync(names()) ?? [],
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Open-AutoGLM queues', hideDocsLink: true, miscLinks: [{ text: 'Console', url: '/console/' }] } },
  });
  const guard = boardSession(deps.sessions);
  const onBoard: MiddlewareHandler<AppEnv> = async function queueBoard(c, next) {
    if (c.req.path === SESSION_PATH) return next();
    return guard(c, async () => {
      // The catalogue decides which queues there are: a new deployment's appears at once.
      const queues = deps.boardQueues.sync(names());
      if (queues) board.replaceQueues(queues);
      await hardened(c, next);
    });
  };
  app.use(`${BOARD_PATH}/*`, onBoard); // Hono's `/*` also matches the path itself
  // The board's page is at the path itself (its `<base>` adds the slash); the router is strict about slashes.
  app.get(`${BOARD_PATH}/`, (c) => c.redirect(BOARD_PATH, 302));
  app.route(BOARD_PATH, adapter.registerPlugin() as unknown as Hono<AppEnv>);
  return app;
}
