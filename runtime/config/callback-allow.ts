/**
 * `AUTOGLM_CALLBACK_ALLOW`: where routers may post webhooks (`callbackUrl`), a comma-separated
 * list of entries:
 *
 *   hooks.internal          that host name
 *   *.hooks.internal        any name under it (not `hooks.internal` itself)
 *   10.20.0.0/16, fd00::/8  addresses in that subnet (IPv4 or IPv6)
 *   10.20.0.7, [::1]        that address
 *
 * Unset: any address but the refused ones (loopback, link-local, unspecified). Set: only what it
 * lists; an address entry (IP or subnet) also admits a refused address it covers, e.g. `127.0.0.1`
 * for a receiver on the router's host in tests. The rules themselves: `runtime/webhooks/callback-rules.ts`.
 */
import { isIP } from 'node:net';

/** One subnet of the list: `address/prefix`, a single address being /32 or /128. */
export interface CallbackSubnet {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** `AUTOGLM_CALLBACK_ALLOW`, parsed: host names (lower case), `*.` suffixes (without `*`, with the dot) and subnets. */
export interface CallbackAllow {
  readonly names: readonly string[];
  readonly suffixes: readonly string[];
  readonly subnets: readonly CallbackSubnet[];
}

// A DNS name as URLs carry it: labels of letters, digits, '-' and '_' (some internal zones use it).
const NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Parses the list (grammar above), reporting every bad entry. */
export function parseCallbackAllow(spec: string): { ok: true; allow: CallbackAllow } | { ok: false; errors: string[] } {
  const names: string[] = [];
  const suffixes: string[] = [];
  const subnets: CallbackSubnet[] = [];
  const errors: string[] = [];
  for (const raw of spec.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    const subnet = parseSubnet(entry);
    if (subnet) subnets.push(subnet);
    else if (entry.startsWith('*.') && NAME.test(entry.slice(2))) suffixes.push(entry.slice(1));
    else if (NAME.test(entry.replace(/\.$/, '')) && !/^[\d.]+$/.test(entry)) names.push(entry.replace(/\.$/, ''));
    else errors.push(`'${raw.trim()}': expected a host name, *.suffix, an IP address or a subnet (10.0.0.0/8, fd00::/8)`);
  }
  if (errors.length === 0 && names.length + suffixes.length + subnets.length === 0) errors.push('lists nothing (unset it for the default rules)');
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, allow: Object.freeze({ names: Object.freeze(names), suffixes: Object.freeze(suffixes), subnets: Object.freeze(subnets) }) };
}

/** `a.b.c.d[/n]`, `x::y[/n]` or `[x::y][/n]`; undefined when the entry is not an address. */
function parseSubnet(entry: string): CallbackSubnet | undefined {
  const m = /^\[?([^\]/]+)\]?(?:\/(\d{1,3}))?$/.exec(entry);
  const version = m ? isIP(m[1]!) : 0;
  if (!m || version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return undefined;
  return Object.freeze({ address: m[1]!, prefix, family: version === 4 ? 'ipv4' : 'ipv6' });
}
