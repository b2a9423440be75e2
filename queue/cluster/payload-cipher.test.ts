import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PayloadCipher, newKeyringSpec, parseKeyring } from './payload-cipher.ts';

const ring = (spec: string) => {
  const r = parseKeyring(spec);
  if (!r.ok) throw new Error(r.error);
  return r.ring;
};

describe('PayloadCipher', () => {
  it('round-trips values and hides them', () => {
    const c = new PayloadCipher(ring(newKeyringSpec('a')));
    const sealed = c.seal({ card: '4111-1111-1111-1111' }, 'job-1');
    expect(JSON.stringify(sealed)).not.toContain('4111');
    expect(c.open(sealed, 'job-1')).toEqual({ card: '4111-1111-1111-1111' });
  });

  it('refuses a record moved to another job or altered', () => {
    const c = new PayloadCipher(ring(newKeyringSpec('a')));
    const sealed = c.seal('secret', 'job-1')!;
    expect(() => c.open(sealed, 'job-2')).toThrow();
    const flipped = { ...sealed, ct: Buffer.from(Buffer.from(sealed.ct, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64') };
    expect(() => c.open(flipped, 'job-1')).toThrow();
  });

  it('seals a large value apart: the envelope names where the bytes are, and opens only with them, unaltered', () => {
    const c = new PayloadCipher(ring(newKeyringSpec('a')));
    const { sealed, ct } = c.sealApart(Buffer.from('{"card":"4111-1111-1111-1111"}'), 'job-1', 'p:input:job-1:ab');
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
    const sealedOld = before.seal({ n: 1 }, 'j');
    const after = new PayloadCipher(ring(`${newKeyringSpec('new')},${old}`));
    expect(after.seal({ n: 2 }, 'j')!.k).toBe('new');
    expect(after.open(sealedOld, 'j')).toEqual({ n: 1 });
    const dropped = new PayloadCipher(ring(newKeyringSpec('new')));
    expect(() => dropped.open(sealedOld, 'j')).toThrow(/no key 'old'/);
  });

  it('parses keyrings strictly', () => {
    expect(parseKeyring('a:' + randomBytes(16).toString('base64')).ok).toBe(false);
    expect(parseKeyring('nonsense').ok).toBe(false);
    expect(parseKeyring('').ok).toBe(false);
    const k = randomBytes(32).toString('base64');
    expect(parseKeyring(`a:${k},a:${k}`).ok).toBe(false);
  });
});
