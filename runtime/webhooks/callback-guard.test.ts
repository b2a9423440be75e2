import { describe, expect, it } from 'vitest';
import { parseCallbackAllow } from '../config/index.ts';
import { tableResolver, type ResolverTable } from '../../test/harness/resolver.ts';
import { CallbackGuard, CallbackRefusedError } from './callback-guard.ts';

function guardWith(spec: string | undefined, table: ResolverTable = {}): CallbackGuard {
  const parsed = spec === undefined ? undefined : parseCallbackAllow(spec);
  if (parsed && !parsed.ok) throw new Error(parsed.errors.join('; '));
  return new CallbackGuard({ ...(parsed ? { allow: parsed.allow } : {}), resolve: tableResolver(table) });
}

/** The reason `check` refused `url` with, or 'admitted'. */
async function verdict(guard: CallbackGuard, url: string): Promise<string> {
  try {
    await guard.check(url);
    return 'admitted';
  } catch (err) {
    expect(err).toBeInstanceOf(CallbackRefusedError);
    expect((err as CallbackRefusedError).status).toBe(400);
    expect((err as CallbackRefusedError).extra).toMatchObject({ field: 'callbackUrl' });
    return (err as Error).message;
  }
}

describe('CallbackGuard.check (at submission), default rules', () => {
  const guard = guardWith(undefined, {
    'hooks.internal': ['10.1.2.3', 'fd00::7'],
    'meta.internal': ['10.1.2.3', '169.254.169.254'],
    'slow.internal': Object.assign(new Error('getaddrinfo EAI_AGAIN slow.internal'), { code: 'EAI_AGAIN' }),
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
    ['http://127.0.0.1:6379/', '127.0.0.1 is a loopback address'],
    ['http://[::1]:8080/', '[::1] is a loopback address'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1] is a loopback address'],
    ['http://0.0.0.0:8080/', '0.0.0.0 is an unspecified address'],
    ['http://[fe80::1]/', '[fe80::1] is a link-local address'],
    ['https://2130706433/', '127.0.0.1 is a loopback address'], // the URL parser reads a number as an IPv4 address
    ['ftp://hooks.internal/', 'only http: and https: URLs are allowed, not ftp:'],
    ['file:///etc/passwd', 'only http: and https: URLs are allowed, not file:'],
    ['http://meta.internal/', 'meta.internal resolves to 169.254.169.254, a link-local address'],
    ['http://nowhere.internal/', 'nowhere.internal does not resolve'],
  ])('refuses %s: %s', async (url, why) => {
    expect(await verdict(guard, url)).toBe(`callbackUrl: ${why}`);
  });

  it('admits a name whose every address passes, an address that passes, and a name the resolver could not answer for now (delivery checks it again)', async () => {
    expect(await verdict(guard, 'https://hooks.internal/autoglm')).toBe('admitted');
    expect(await verdict(guard, 'http://10.0.0.5:9000/')).toBe('admitted');
    expect(await verdict(guard, 'http://[fd00::1]/')).toBe('admitted');
    expect(await verdict(guard, 'http://slow.internal/')).toBe('admitted');
  });

  it('does not wait on a resolver that never answers: the name is let through, and delivery checks it again', async () => {
    const hung = new CallbackGuard({ resolve: () => new Promise(() => undefined) });
    expect(await verdict(hung, 'http://hung.internal/')).toBe('admitted');
  });

  it('resolves with the system resolver by default: localhost is loopback', async () => {
    expect(await verdict(new CallbackGuard(), 'http://localhost:8080/')).toMatch(/^callbackUrl: localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
  });
});

describe('CallbackGuard.check with AUTOGLM_CALLBACK_ALLOW', () => {
  const guard = guardWith('hooks.internal, *.corp.example, 10.20.0.0/16, 127.0.0.1', {
    'hooks.internal': ['172.16.0.1'],
    'crm.corp.example': ['172.16.0.2'],
    'other.example': ['172.16.0.3'],
    'subnet.example': ['10.20.3.4'],
    'rebound.corp.example': ['127.0.0.2'],
    'local.example': ['127.0.0.1'],
  });

  it.each([
    ['http://hooks.internal/', 'admitted'],
    ['http://crm.corp.example/', 'admitted'],
    ['http://subnet.example/', 'admitted'], // not listed by name, but every address is in a listed subnet
    ['http://10.20.0.9/', 'admitted'],
    ['http://127.0.0.1:9/', 'admitted'], // the explicit loopback entry
    ['http://local.example/', 'admitted'],
    ['http://other.example/', 'callbackUrl: other.example resolves to 172.16.0.3, not in AUTOGLM_CALLBACK_ALLOW'],
    ['http://10.21.0.1/', 'callbackUrl: 10.21.0.1 is not in AUTOGLM_CALLBACK_ALLOW'],
    ['http://127.0.0.2/', 'callbackUrl: 127.0.0.2 is a loopback address'],
    ['http://rebound.corp.example/', 'callbackUrl: rebound.corp.example resolves to 127.0.0.2, a loopback address'],
  ])('%s: %s', async (url, expected) => {
    expect(await verdict(guard, url)).toBe(expected);
  });
});

describe('CallbackGuard.lookup (at connect time)', () => {
  const lookup = (guard: CallbackGuard, host: string, all: boolean) =>
    new Promise<{ err: Error | null; address: unknown }>((resolve) => guard.lookup(host, { all }, (err, address) => resolve({ err, address })));

  it('hands the connection only the addresses it checked, in the form asked for', async () => {
    const guard = guardWith(undefined, { 'hooks.internal': ['10.1.2.3', 'fd00::7'] });
    expect(await lookup(guard, 'hooks.internal', true)).toEqual({ err: null, address: [{ address: '10.1.2.3', family: 4 }, { address: 'fd00::7', family: 6 }] });
    expect(await lookup(guard, 'hooks.internal', false)).toEqual({ err: null, address: '10.1.2.3' });
  });

  it('fails the connection when any address the name resolves to now is refused', async () => {
    const guard = guardWith(undefined, { 'hooks.internal': ['10.1.2.3', '::1'] });
    const { err } = await lookup(guard, 'hooks.internal', true);
    expect(err).toBeInstanceOf(CallbackRefusedError);
    expect(err!.message).toBe('callbackUrl: hooks.internal resolves to ::1, a loopback address');
  });
});
