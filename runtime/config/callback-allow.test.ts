import { describe, expect, it } from 'vitest';
import { parseCallbackAllow } from './callback-allow.ts';
import { loadConfig } from './config.ts';

describe('parseCallbackAllow', () => {
  it('reads names, *.suffixes, addresses and subnets of both families', () => {
    const r = parseCallbackAllow(' Hooks.Internal ,*.corp.example, 10.0.0.0/8,fd00::/8, [::1], 192.0.2.1 ');
    expect(r.ok && r.allow).toEqual({
      names: ['hooks.internal'],
      suffixes: ['.corp.example'],
      subnets: [
        { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
        { address: 'fd00::', prefix: 8, family: 'ipv6' },
        { address: '::1', prefix: 128, family: 'ipv6' },
        { address: '192.0.2.1', prefix: 32, family: 'ipv4' },
      ],
    });
  });

  it('reports every bad entry, and a list with none', () => {
    const r = parseCallbackAllow('10.0.0.0/33,fd00::/129,http://x,*.,a b,10.0.0,*');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toHaveLength(7);
    expect(!r.ok && r.errors[0]).toContain("'10.0.0.0/33'");
    expect(parseCallbackAllow(' , ')).toEqual({ ok: false, errors: ['lists nothing (unset it for the default rules)'] });
  });
});

describe('AUTOGLM_CALLBACK_ALLOW in the configuration', () => {
  it('is unset by default (the default rules), parsed when set, and each bad entry is named', () => {
    const unset = loadConfig({});
    expect(unset.ok && unset.config.callbackAllow).toBeUndefined();
    const set = loadConfig({ AUTOGLM_CALLBACK_ALLOW: '127.0.0.1' });
    expect(set.ok && set.config.callbackAllow?.subnets).toEqual([{ address: '127.0.0.1', prefix: 32, family: 'ipv4' }]);
    const bad = loadConfig({ AUTOGLM_CALLBACK_ALLOW: '10.0.0.0/40,ftp://x' });
    expect(!bad.ok && bad.errors.filter((e) => e.startsWith('AUTOGLM_CALLBACK_ALLOW: '))).toHaveLength(2);
  });
});
