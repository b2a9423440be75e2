/**
 * A company identity provider for tests, on a real port: OIDC discovery, a JWKS whose keys a test
 * may change (rotation), and the authorization code flow with PKCE as the console uses it — an
 * authorization endpoint that approves at once (no login form) and a token endpoint that checks
 * the code, client, redirect URI and the S256 verifier before it signs an RS256 access token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

type KeyPair = { privateKey: CryptoKey; publicKey: CryptoKey };

/** Who the authorization endpoint signs in: the access token's subject and claims. */
export interface OidcUser {
  sub: string;
  /** Claims of the access token beyond sub, iss, aud, iat and exp (e.g. `{ roles: ['viewer'] }`). */
  claims: Record<string, unknown>;
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`: the issuer, and the base of every endpoint. */
  issuer: string;
  /** The signing keys published at start: `rsa-1` (RS256) and `ec-1` (ES256). */
  rsa: KeyPair;
  ec: KeyPair;
  /** The published key set; assign to rotate. */
  jwks: { keys: JWK[] };
  /** Who signs in next; undefined: the authorization endpoint answers `access_denied`. */
  user: OidcUser | undefined;
  /** Token endpoint requests refused, with the reason (`invalid_grant: …`). */
  refused: string[];
  /** Access tokens issued by the token endpoint. */
  issued: string[];
  close(): Promise<void>;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  user: OidcUser;
}

/** Starts the provider; `audience` is the access tokens' `aud`, `clientId` the one client it knows. */
export async function startOidcProvider(opts: { audience: string; clientId: string; user?: OidcUser }): Promise<TestOidcProvider> {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const grants = new Map<string, Grant>();
  const server = createServer((req, res) => void handle(req, res).catch((err) => res.writeHead(500).end(String(err))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp: TestOidcProvider = {
    issuer,
    rsa,
    ec,
    jwks: { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' }] },
    user: opts.user,
    refused: [],
    issued: [],
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
  };

  function authorize(q: URLSearchParams, res: ServerResponse): void {
    const redirectUri = q.get('redirect_uri') ?? '';
    // An unknown client or a missing redirect URI is shown, never redirected (RFC 6749 §4.1.2.1).
    if (q.get('client_id') !== opts.clientId || !/^https?:\/\//.test(redirectUri)) return json(res, 400, { error: 'invalid_request', error_description: 'unknown client or redirect_uri' });
    const back = new URL(redirectUri);
    back.searchParams.set('state', q.get('state') ?? '');
    const challenge = q.get('code_challenge');
    if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !challenge) {
      back.searchParams.set('error', 'invalid_request');
      back.searchParams.set('error_description', 'response_type=code with an S256 code_challenge is required');
    } else if (!idp.user) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'the user is not allowed to sign in');
    } else {
      const code = randomBytes(16).toString('base64url');
      grants.set(code, { clientId: opts.clientId, redirectUri, challenge, user: idp.user });
      back.searchParams.set('code', code);
    }
    res.writeHead(302, { location: back.toString() }).end();
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The console calls from its own origin: the IdP must allow it (CORS), as a real one is configured to.
    const cors = { 'access-control-allow-origin': req.headers.origin ?? '*' };
    const f = new URLSearchParams(await body(req));
    const code = f.get('code') ?? '';
    const grant = grants.get(code);
    grants.delete(code); // one attempt per code, whatever its outcome
    const refuse = (why: string): void => (idp.refused.push(`invalid_grant: ${why}`), json(res, 400, { error: 'invalid_grant', error_description: why }, cors));
    if (f.get('grant_type') !== 'authorization_code') return refuse('grant_type must be authorization_code');
    if (!grant) return refuse('unknown or used code');
    if (f.get('client_id') !== grant.clientId || f.get('redirect_uri') !== grant.redirectUri) return refuse('client_id or redirect_uri differs from the authorization request');
    const verifier = f.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return refuse('code_verifier does not match the code_challenge');
    const access = await idpToken(grant.user.sub, grant.user.claims, opts.audience);
    idp.issued.push(access);
    json(res, 200, { access_token: access, token_type: 'Bearer', expires_in: 600, scope: 'openid' }, cors);
  }

  const idpToken = (sub: string, claims: Record<string, unknown>, aud: string) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setSubject(sub).setIssuer(issuer).setAudience(aud).setIssuedAt().setExpirationTime('10m').sign(rsa.privateKey);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        grant_types_supported: ['authorization_code'],
        token_endpoint_auth_methods_supported: ['none'],
      });
    }
    if (url.pathname === '/jwks') return json(res, 200, idp.jwks);
    if (url.pathname === '/authorize' && req.method === 'GET') return authorize(url.searchParams, res);
    if (url.pathname === '/token' && req.method === 'POST') return token(req, res);
    json(res, 404, {});
  }
  return idp;
}

const body = async (req: IncomingMessage): Promise<string> => {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
};
