import { describe, expect, it } from 'vitest';
import { parseCallbackAllow, type CallbackAllow } from '../config/index.ts';
import { CallbackRules, canonicalAddress } from './callback-rules.ts';

function allow(spec: string): CallbackAllow {
  const r = parseCallbackAllow(spec);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.allow;
}

describe('canonicalAddress', () => {
  it('reads an IPv4-mapped IPv6 address, in either spelling, as the IPv4 address it maps', () => {
    expect(canonicalAddress('::ffff:127.0.0.1')).toEqual({ address: '127.0.0.1', family: 'ipv4' });
    expect(canonicalAddress('[::ffff:7f00:1]')).toEqual({ address: '127.0.0.1', family: 'ipv4' });
    expect(canonicalAddress('0:0:0:0:0:ffff:a9fe:a9fe')).toEqual({ address: '169.254.169.254', family: 'ipv4' });
    expect(canonicalAddress('FE80:0:0::1')).toEqual({ address: 'fe80::1', family: 'ipv6' });
    expect(canonicalAddress('hooks.internal')).toBeUndefined();
  });

  it('reads the IPv4 address that IPv4-compatible, NAT64, 6to4 and Teredo addresses carry', () => {
    const v4 = (address: string) => ({ address, family: 'ipv4' });
    expect(canonicalAddress('::7f00:1')).toEqual(v4('127.0.0.1'));
    expect(canonicalAddress('64:ff9b::a9fe:a9fe')).toEqual(v4('169.254.169.254'));
    expect(canonicalAddress('64:ff9b::127.0.0.1')).toEqual(v4('127.0.0.1'));
    expect(canonicalAddress('2002:7f00:1::')).toEqual(v4('127.0.0.1'));
    expect(canonicalAddress('2002:a00:1:5::9')).toEqual(v4('10.0.0.1'));
    // Teredo keeps the client's address inverted: 80ff:fffe is 127.0.0.1.
    expect(canonicalAddress('2001:0:4136:e378:8000:63bf:80ff:fffe')).toEqual(v4('127.0.0.1'));
    // Not carriers: a global address, the documentation prefix, and NAT64's prefix outside /96.
    expect(canonicalAddress('2001:db8::7f00:1')).toEqual({ address: '2001:db8::7f00:1', family: 'ipv6' });
    expect(canonicalAddress('64:ff9b:1::7f00:1')).toEqual({ address: '64:ff9b:1::7f00:1', family: 'ipv6' });
    expect(canonicalAddress('::2')).toEqual({ address: '::2', family: 'ipv6' });
  });
});

describe('the default rules (no AUTOGLM_CALLBACK_ALLOW)', () => {
  const rules = new CallbackRules();

  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:7f00:1', 'a loopback address'],
    ['169.254.169.254', 'a link-local address'],
    ['::ffff:169.254.169.254', 'a link-local address'],
    ['fe80::1', 'a link-local address'],
    ['febf:ffff::1', 'a link-local address'],
    ['0.0.0.0', 'an unspecified address'],
    ['0.1.2.3', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['::ffff:0.0.0.0', 'an unspecified address'],
    // IPv6 addresses that carry a refused IPv4 address (NAT64, 6to4, IPv4-compatible).
    ['64:ff9b::a9fe:a9fe', 'a link-local address'],
    ['64:ff9b::7f00:1', 'a loopback address'],
    ['2002:a9fe:a9fe::1', 'a link-local address'],
    ['::127.0.0.1', 'a loopback address'],
  ])('refuses %s: %s', (address, why) => {
    expect(rules.refusal(address)).toBe(why);
  });

  it.each(['10.1.2.3', '192.168.0.10', '172.16.4.4', '8.8.8.8', '128.0.0.1', '169.255.0.1', 'fd00::1', 'fec0::1', '2001:db8::1', '::2'])('allows %s', (address) => {
    expect(rules.refusal(address)).toBeUndefined();
  });

  it('lists no name, and refuses what is not an address', () => {
    expect(rules.restricted).toBe(false);
    expect(rules.listsName('hooks.internal')).toBe(false);
    expect(rules.refusal('hooks.internal')).toBe('not an IP address');
  });
});

describe('with AUTOGLM_CALLBACK_ALLOW', () => {
  const rules = new CallbackRules(allow('10.20.0.0/16, fd00:aa::/32, 192.0.2.7, hooks.internal, *.corp.example'));

  it('allows an address a subnet (IPv4 or IPv6) or an address entry covers, and nothing else', () => {
    expect(rules.restricted).toBe(true);
    expect(rules.refusal('10.20.255.1')).toBeUndefined();
    expect(rules.refusal('::ffff:10.20.0.1')).toBeUndefined();
    expect(rules.refusal('fd00:aa:1::5')).toBeUndefined();
    expect(rules.refusal('192.0.2.7')).toBeUndefined();
    expect(rules.refusal('10.21.0.1')).toBe('not in AUTOGLM_CALLBACK_ALLOW');
    expect(rules.refusal('fd00:ab::1')).toBe('not in AUTOGLM_CALLBACK_ALLOW');
    expect(rules.refusal('192.0.2.8')).toBe('not in AUTOGLM_CALLBACK_ALLOW');
    expect(rules.refusal('8.8.8.8')).toBe('not in AUTOGLM_CALLBACK_ALLOW');
  });

  it('lists a name by its entry or a *.suffix (not the suffix itself, nor a name merely ending alike)', () => {
    expect(rules.listsName('hooks.internal')).toBe(true);
    expect(rules.listsName('HOOKS.internal.')).toBe(true);
    expect(rules.listsName('a.hooks.internal')).toBe(false);
    expect(rules.listsName('crm.corp.example')).toBe(true);
    expect(rules.listsName('a.b.corp.example')).toBe(true);
    expect(rules.listsName('corp.example')).toBe(false);
    expect(rules.listsName('evilcorp.example')).toBe(false);
  });

  it("admits any address but the refused ones for a listed name: a listed zone's record cannot point at the metadata service", () => {
    expect(rules.refusal('172.16.0.9', true)).toBeUndefined();
    expect(rules.refusal('172.16.0.9', false)).toBe('not in AUTOGLM_CALLBACK_ALLOW');
    expect(rules.refusal('169.254.169.254', true)).toBe('a link-local address');
    expect(rules.refusal('127.0.0.1', true)).toBe('a loopback address');
  });

  it('admits a refused address an address entry covers (a loopback receiver, explicitly), and only that one', () => {
    const loopback = new CallbackRules(allow('127.0.0.1,::1'));
    expect(loopback.refusal('127.0.0.1')).toBeUndefined();
    expect(loopback.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(loopback.refusal('::1')).toBeUndefined();
    expect(loopback.refusal('127.0.0.2')).toBe('a loopback address');
    expect(loopback.refusal('169.254.169.254')).toBe('a link-local address');
    const linkLocal = new CallbackRules(allow('fe80::/64'));
    expect(linkLocal.refusal('fe80::1')).toBeUndefined();
    expect(linkLocal.refusal('fe80:0:0:1::1')).toBe('a link-local address');
  });
});
