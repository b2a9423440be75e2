import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { withTimeout } from '../../queue/cluster/index.ts';
import { PlatformError } from '../../queue/platform-error.ts';
import type { CallbackAllow } from '../config/index.ts';
import { CallbackRules, canonicalAddress } from './callback-rules.ts';

/**
 * A `callbackUrl` the router may not post to (`reason` says why): 400 at submission, and a
 * delivery failed at once, without retries, when found at delivery time.
 */
export class CallbackRefusedError extends PlatformError {
  override readonly name = 'CallbackRefusedError';
  constructor(reason: string) {
    super('CALLBACK_URL_REFUSED', `callbackUrl: ${reason}`, { extra: { field: 'callbackUrl', in: 'body' } });
  }
}

/** Every address a host name resolves to (`dns.lookup` with `all`, by default). */
export type ResolveHost = (host: string) => Promise<readonly LookupAddress[]>;

const systemResolve: ResolveHost = (host) => dnsLookup(host, { all: true });

/**
 * Longest a submission waits for its callback host to resolve, ms: a slow DNS server must not
 * hold the request (nor the threads `dns.lookup` runs on) for long. Past it the name is let
 * through, as for any resolver failure: delivery resolves and checks it again.
 */
const SUBMIT_LOOKUP_MS = 2_000;

/** Options of {@link CallbackGuard}. */
export interface CallbackGuardOptions {
  /** `AUTOGLM_CALLBACK_ALLOW`, parsed [none: every address but the refused ones]. */
  allow?: CallbackAllow;
  /** How names are resolved [the system resolver, as connections use it]; tests hand in their own. */
  resolve?: ResolveHost;
}

/**
 * Keeps webhooks off addresses they must not reach (the rules: {@link CallbackRules}): checks a
 * `callbackUrl` when a job is submitted, and again when it is delivered, where its {@link lookup}
 * resolves the name for the connection itself, so the connection goes only to addresses that
 * were checked, whatever the name resolves to a moment later (DNS rebinding).
 */
export class CallbackGuard {
  readonly rules: CallbackRules;
  private readonly resolve: ResolveHost;

  constructor(opts: CallbackGuardOptions = {}) {
    this.rules = new CallbackRules(opts.allow);
    this.resolve = opts.resolve ?? systemResolve;
  }

  /**
   * The URL, once its scheme (http or https) and, when its host is an IP address, that address
   * passed; `name` is its host when that is a name, to be resolved and checked. Throws
   * {@link CallbackRefusedError}.
   */
  target(url: string): { url: URL; name: string | undefined } {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new CallbackRefusedError('not a URL');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CallbackRefusedError(`only http: and https: URLs are allowed, not ${u.protocol}`);
    if (!canonicalAddress(u.hostname)) return { url: u, name: u.hostname };
    const why = this.rules.refusal(u.hostname);
    if (why) throw new CallbackRefusedError(`${u.hostname} is ${why}`);
    return { url: u, name: undefined };
  }

  /**
   * Checks a `callbackUrl` at submission: {@link target}, then every address its name resolves to
   * now. A name that does not exist is refused; one the resolver could not answer for just now
   * (a DNS timeout) is let through, as delivery checks it again. Throws {@link CallbackRefusedError}.
   */
  async check(url: string): Promise<void> {
    const { name } = this.target(url);
    if (name === undefined) return;
    let addresses: readonly LookupAddress[];
    try {
      addresses = await withTimeout(this.resolve(name), SUBMIT_LOOKUP_MS);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') throw new CallbackRefusedError(`${name} does not resolve`);
      return;
    }
    this.checked(name, addresses);
  }

  /**
   * A `lookup` for `http.request` (`net.connect`): resolves the name, checks every address, and
   * hands the connection those addresses only; a refused one fails the connection with
   * {@link CallbackRefusedError}. A literal IP host never comes here: {@link target} checks it.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname)
      .then((all) => this.checked(hostname, all))
      .then(
        (checked) => {
          const wanted = options.family === 4 || options.family === 6 ? checked.filter((a) => a.family === options.family) : checked;
          if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname}: no IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 0);
          if (options.all) callback(null, [...wanted]);
          else callback(null, wanted[0]!.address, wanted[0]!.family);
        },
        (err: Error) => callback(err, '', 0),
      );
  };

  /** `addresses`, when every one of them may be posted to (any refused one refuses the name). */
  private checked(name: string, addresses: readonly LookupAddress[]): readonly LookupAddress[] {
    if (addresses.length === 0) throw new CallbackRefusedError(`${name} does not resolve`);
    const listed = this.rules.listsName(name);
    for (const { address } of addresses) {
      const why = this.rules.refusal(address, listed);
      if (why) throw new CallbackRefusedError(`${name} resolves to ${address}, ${why}`);
    }
    return addresses;
  }
}
