import { BlockList, isIP } from 'node:net';
import type { CallbackAllow } from '../config/index.ts';

type Family = 'ipv4' | 'ipv6';

/** Addresses no webhook goes to unless `AUTOGLM_CALLBACK_ALLOW` lists them by address. */
const REFUSED: readonly { what: string; subnets: readonly (readonly [string, number, Family])[] }[] = [
  // The router's own host: admin ports, Redis, the router itself.
  { what: 'a loopback address', subnets: [['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']] },
  // 169.254.169.254 is the cloud metadata service (credentials); fe80::/10 reaches the local link.
  { what: 'a link-local address', subnets: [['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']] },
  // A connect to 0.0.0.0 or :: reaches the local host; the rest of 0.0.0.0/8 is "this network", never a receiver.
  { what: 'an unspecified address', subnets: [['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6']] },
];

function blockList(subnets: readonly (readonly [string, number, Family])[]): BlockList {
  const list = new BlockList();
  for (const [address, prefix, family] of subnets) list.addSubnet(address, prefix, family);
  return list;
}

const REFUSED_LISTS = REFUSED.map(({ what, subnets }) => ({ what, list: blockList(subnets) }));

/**
 * An address as a connection would reach it. An IPv6 address that carries an IPv4 address is that
 * IPv4 address, so it meets the IPv4 rules: IPv4-mapped (`::ffff:127.0.0.1`, which URLs write
 * `::ffff:7f00:1`) and IPv4-compatible (`::7f00:1`) addresses; NAT64's well-known prefix
 * (`64:ff9b::7f00:1`, RFC 6052: a translator connects to the embedded address); 6to4
 * (`2002:7f00:1::`, RFC 3056) and Teredo (`2001:0:…`, RFC 4380: the client address, inverted, in
 * the last 32 bits), which relays unwrap towards the embedded address. Undefined when `address` is
 * not an IP address.
 */
export function canonicalAddress(address: string): { address: string; family: Family } | undefined {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const version = isIP(bare);
  if (version === 4) return { address: bare, family: 'ipv4' };
  if (version !== 6) return undefined;
  // The URL parser writes every IPv6 address one way (lower case, zeros compressed, no dotted quad).
  const v6 = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const embedded = embeddedIpv4(groups(v6));
  return embedded ? { address: embedded, family: 'ipv4' } : { address: v6, family: 'ipv6' };
}

/** The eight 16-bit groups of a compressed IPv6 address as the URL parser writes it. */
function groups(v6: string): number[] {
  const [head, tail] = v6.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = part(head);
  const t = part(tail);
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** The IPv4 address an IPv6 address carries (see {@link canonicalAddress}), dotted; undefined when none. */
function embeddedIpv4(g: number[]): string | undefined {
  const dotted = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return dotted(g[6]!, g[7]!); // ::ffff:a.b.c.d
  // ::a.b.c.d, but not :: and ::1 (their own rules) — nor ::0.0.0.x, which are not IPv4 hosts.
  if (zero(0, 6) && g[6] !== 0) return dotted(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return dotted(g[6]!, g[7]!); // 64:ff9b::/96
  if (g[0] === 0x2002) return dotted(g[1]!, g[2]!); // 2002::/16
  if (g[0] === 0x2001 && g[1] === 0) return dotted(g[6]! ^ 0xffff, g[7]! ^ 0xffff); // 2001::/32
  return undefined;
}

/**
 * Which addresses and names webhooks may go to. Without an allow list: any address but loopback,
 * link-local and unspecified ones (on-prem receivers are internal by nature). With one
 * (`AUTOGLM_CALLBACK_ALLOW`): an address its IP or subnet entries cover (a refused one too: that is
 * how a loopback receiver is allowed), or any address but the refused ones for a name its name or
 * `*.suffix` entries list. A name entry never admits a refused address: a listed zone whose record
 * points at 169.254.169.254 is still refused.
 */
export class CallbackRules {
  private readonly allowed: BlockList | undefined;

  constructor(private readonly allow?: CallbackAllow) {
    this.allowed = allow && blockList(allow.subnets.map((s) => [s.address, s.prefix, s.family] as const));
  }

  /** Whether an allow list is set (then only what it lists is allowed). */
  get restricted(): boolean {
    return this.allow !== undefined;
  }

  /** Whether the allow list lists `host` (a name) by name or suffix. */
  listsName(host: string): boolean {
    if (!this.allow) return false;
    const name = host.toLowerCase().replace(/\.$/, '');
    return this.allow.names.includes(name) || this.allow.suffixes.some((s) => name.endsWith(s));
  }

  /**
   * Why a webhook may not go to `address` (reached through a name the allow list lists, or not),
   * as a phrase ("a loopback address"); undefined when it may.
   */
  refusal(address: string, nameListed = false): string | undefined {
    const a = canonicalAddress(address);
    if (!a) return 'not an IP address';
    if (this.allowed?.check(a.address, a.family)) return undefined;
    const refused = REFUSED_LISTS.find((r) => r.list.check(a.address, a.family));
    if (refused) return refused.what;
    if (this.allow && !nameListed) return 'not in AUTOGLM_CALLBACK_ALLOW';
    return undefined;
  }
}
