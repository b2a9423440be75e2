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
 * An address as a connection would reach it: an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`,
 * which URLs write `::ffff:7f00:1`) is the IPv4 address it maps, so it meets the IPv4 rules.
 * Undefined when `address` is not an IP address.
 */
export function canonicalAddress(address: string): { address: string; family: Family } | undefined {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const version = isIP(bare);
  if (version === 4) return { address: bare, family: 'ipv4' };
  if (version !== 6) return undefined;
  // The URL parser writes every IPv6 address one way (lower case, zeros compressed).
  const v6 = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
  if (dotted) return { address: dotted[1]!, family: 'ipv4' };
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return { address: [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.'), family: 'ipv4' };
  }
  return { address: v6, family: 'ipv6' };
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
