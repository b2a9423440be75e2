import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PayloadCipher, newKeyringSpec, parseKeyring, poolKeyringSpec } from './payload-cipher.ts';

/** A record as sealed before namespace keys: with master key `kid` itself, no `n`. */
function sealedBeforeNamespaceKeys(key: Buffer, kid: string, value: unknown, aad: string) {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(JSON.stringify(value)), c.final()]);
  return { $sealed: 'aes-256-gcm', k: kid, iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), ct: ct.toString('base64') };
}

const ring = (spec: string) => {
  const r = parseKeyring(spec);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
};

describe('PayloadCipher', () => {
  it('round-trips values and hides them', () => {
    const c = new PayloadCipher(ring(newKeyringSpec('a')));
    const sealed = c.seal({ card: '4111-1111-1111-1111' }, 'job-1', 'team-a');
    expect(JSON.stringify(sealed)).not.toContain('4111');
    expect(c.open(sealed, 'job-1')).toEqual({ card: '4111-1111-1111-1111' });
  });

  it('refuses a record moved to another job or altered', () => {
    const c = new PayloadCipher(ring(newKeyringSpec('a')));
    const sealed = c.seal('secret', 'job-1', 'team-a')!;
    expect(() => c.open(sealed, 'job-2')).toThrow();
    const flipped = { ...sealed, ct: Buffer.from(Buffer.from(sealed.ct, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64') };
    expect(() => c.open(flipped, 'job-1')).toThrow();
  });

  it('seals a large value apart: the envelope names where the bytes are, and opens only with them, unaltered', () => {
    const c = new PayloadCipher(ring(newKeyringSpec('a')));
    const { sealed, ct } = c.sealApart(Buffer.from('{"card":"4111-1111-1111-1111"}'), 'job-1', 'team-a', 'p:input:job-1:ab');
    expect(sealed).toMatchObject({ at: 'p:input:job-1:ab', k: 'a' });
    expect(JSON.stringify(sealed) + ct.toString('latin1')).not.toContain('4111');
    expect(c.open(sealed, 'job-1', ct)).toEqual({ card: '4111-1111-1111-1111' });
    expect(() => c.open(sealed, 'job-1')).toThrow(/not given/);
    expect(() => c.open(sealed, 'job-2', ct)).toThrow();
    expect(() => c.open(sealed, 'job-1', Buffer.from(ct.map((b, i) => (i === 0 ? b ^ 1 : b))))).toThrow();
  });

  it('after rotation, new records use the new key and old ones still open', () => {
    const old = newKeyringSpec('old');
    const before = new PayloadCipher(ring(old));
    const sealedOld = before.seal({ n: 1 }, 'j', 'team-a');
    const after = new PayloadCipher(ring(`${newKeyringSpec('new')},${old}`));
    expect(after.seal({ n: 2 }, 'j', 'team-a')!.k).toBe('new');
    expect(after.open(sealedOld, 'j')).toEqual({ n: 1 });
    const dropped = new PayloadCipher(ring(newKeyringSpec('new')));
    expect(() => dropped.open(sealedOld, 'j')).toThrow(/no key 'old'/);
  });

  it("a pool limited to team-a gets only team-a's derived keys: it opens team-a's records, not team-b's nor old master-sealed ones", () => {
    const master = ring(`${newKeyringSpec('new')},${newKeyringSpec('old')}`);
    const router = new PayloadCipher(master);
    const beforeNamespaceKeys = sealedBeforeNamespaceKeys(master.keys.get('old')!, 'old', 'x', 'j');
    const oldA = new PayloadCipher({ active: 'old', keys: master.keys });
    const sealedOldA = oldA.seal('old-a', 'j', 'team-a');
    const spec = poolKeyringSpec(master, ['team-a']);
    const masterSpecs = [...master.keys.values()].map((k) => k.toString('base64'));
    for (const k of masterSpecs) expect(spec).not.toContain(k);
    expect(spec.split(',').map((e) => e.split(':')[0])).toEqual(['new/team-a', 'old/team-a']);
    const pool = new PayloadCipher(ring(spec));
    const a = router.seal({ card: 'a' }, 'j', 'team-a');
    const b = router.seal({ card: 'b' }, 'j', 'team-b')!;
    expect(pool.open(a, 'j')).toEqual({ card: 'a' });
    expect(pool.open(sealedOldA, 'j')).toBe('old-a'); // rotation: the old master's team-a key too
    expect(() => pool.open(b, 'j')).toThrow(/namespace 'team-b'/);
    // The namespace a record names chooses the key: renaming it does not open it.
    expect(() => pool.open({ ...b, n: 'team-a' }, 'j')).toThrow();
    expect(() => pool.open(beforeNamespaceKeys, 'j')).toThrow(/before namespace keys/);
    expect(() => pool.seal('x', 'j', 'team-b')).toThrow(/namespace 'team-b'/);
    // What the pool seals, a router opens; records before namespace keys still open on a router.
    expect(router.open(pool.seal('out', 'j', 'team-a'), 'j')).toBe('out');
    expect(pool.seal('out', 'j', 'team-a')!.k).toBe('new');
    expect(router.open(beforeNamespaceKeys, 'j')).toBe('x');
  });

  it('a pool serving every namespace gets the master keyring as it is', () => {
    const spec = `${newKeyringSpec('new')},${newKeyringSpec('old')}`;
    expect(poolKeyringSpec(ring(spec), undefined)).toBe(spec);
    expect(poolKeyringSpec(ring(spec), ['*', '!team-b'])).toBe(spec);
  });

  it('parses keyrings strictly', () => {
    expect(parseKeyring('a:' + randomBytes(16).toString('base64')).ok).toBe(false);
    expect(parseKeyring('nonsense').ok).toBe(false);
    expect(parseKeyring('').ok).toBe(false);
    const k = randomBytes(32).toString('base64');
    expect(parseKeyring(`a:${k},a:${k}`).ok).toBe(false);
  });
});
