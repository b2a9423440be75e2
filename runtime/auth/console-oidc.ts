/** Options of {@link ConsoleOidc}. */
export interface ConsoleOidcOptions {
  /** The identity provider's issuer (`AUTOGLM_OIDC_ISSUER`); its discovery document names the endpoints. */
  issuer: string;
  /** The console's client id at the IdP (`AUTOGLM_CONSOLE_CLIENT_ID`): a public client, no secret. */
  clientId: string;
  /** Scopes asked for (`AUTOGLM_CONSOLE_SCOPE`). Default `openid`. */
  scope?: string;
  /** How long a failed discovery is remembered before trying again, ms. Default 30 s. */
  retryAfterMs?: number;
}

/** What the console needs to sign in at the IdP, or why it cannot. */
export type ConsoleOidcSettings =
  | { issuer: string; clientId: string; scope: string; authorizationEndpoint: string; tokenEndpoint: string }
  | { issuer: string; error: string };

const httpUrl = (v: unknown): v is string => typeof v === 'string' && /^https?:\/\/[^\s/]+/.test(v);

/**
 * The console's OIDC sign-in (authorization code + PKCE), as the router serves it: the endpoints
 * read once from the issuer's discovery document, server-side, so the page's
 * Content-Security-Policy can allow exactly the token endpoint's origin and nothing else of the
 * IdP (the browser only navigates to the authorization endpoint, and posts to the token endpoint).
 */
export class ConsoleOidc {
  private loaded: Promise<ConsoleOidcSettings> | undefined;
  private failedAt = 0;

  constructor(private readonly opts: ConsoleOidcOptions) {}

  /** The settings; a failed discovery is answered as `{ error }` and tried again after `retryAfterMs`. */
  settings(): Promise<ConsoleOidcSettings> {
    if (this.loaded && this.failedAt && Date.now() - this.failedAt >= (this.opts.retryAfterMs ?? 30_000)) this.loaded = undefined;
    this.loaded ??= this.discover().catch((err: Error) => {
      this.failedAt = Date.now();
      return { issuer: this.opts.issuer, error: `the identity provider's discovery could not be read: ${err.message}` };
    });
    return this.loaded;
  }

  /** The origin the console posts to (its token endpoint), for the Content-Security-Policy; undefined until discovery worked. */
  async tokenOrigin(): Promise<string | undefined> {
    const s = await this.settings();
    return 'tokenEndpoint' in s ? new URL(s.tokenEndpoint).origin : undefined;
  }

  private async discover(): Promise<ConsoleOidcSettings> {
    const { issuer, clientId } = this.opts;
    const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const meta = (await res.json()) as Record<string, unknown>;
    // OIDC Discovery §4.3: the document must name the issuer it was asked for.
    if (meta.issuer !== issuer) throw new Error(`it names issuer ${JSON.stringify(meta.issuer)}, not ${issuer}`);
    if (!httpUrl(meta.authorization_endpoint) || !httpUrl(meta.token_endpoint)) throw new Error('it lacks an authorization_endpoint or token_endpoint');
    const methods = meta.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256')) throw new Error('it does not support PKCE with S256');
    this.failedAt = 0;
    return { issuer, clientId, scope: this.opts.scope ?? 'openid', authorizationEndpoint: meta.authorization_endpoint, tokenEndpoint: meta.token_endpoint };
  }
}
