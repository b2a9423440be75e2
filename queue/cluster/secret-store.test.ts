import { describe, expect, it } from 'vitest';
import { redisForFile } from '../../test/harness/redis-for-file.ts';
import { PayloadCipher, newKeyringSpec, parseKeyring } from './payload-cipher.ts';
import { SecretStore } from './secret-store.ts';

const cipher = (spec: string) => {
  const r = parseKeyring(spec);
  if (!r.ok) throw new Error(r.error);
  return new PayloadCipher(r.ring);
};

const r = redisForFile();

describe('SecretStore (real Redis)', () => {
  it('seals each value to its namespace and name: one moved elsewhere does not open', async () => {
    const store = new SecretStore(r.conn, 'moved', cipher(newKeyringSpec('a')));
    await store.set('team-a', 'db', 'pw-a', 'ann');
    await store.set('team-b', 'db', 'pw-b', 'bob');
    expect(await store.open('team-a', ['db'])).toEqual({ db: 'pw-a' });
    await r.conn.hset('moved:secrets:team-b', 'db', (await r.conn.hget('moved:secrets:team-a', 'db'))!);
    await expect(store.open('team-b', ['db'])).rejects.toThrow();
    await expect(store.open('team-a', ['db', 'api', 'x'])).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND', extra: { secrets: ['api', 'x'] } });
    expect(await store.missing('team-a', ['db', 'api'])).toEqual(['api']);
  });

  it('after a key rotation, reseal moves every secret to the active key, so the old key can go', async () => {
    const oldSpec = newKeyringSpec('old');
    const newSpec = newKeyringSpec('new');
    const before = new SecretStore(r.conn, 'rot', cipher(oldSpec));
    await before.set('default', 'crm', 'crm-value', 'ann');
    await before.set('team-a', 'db', 'db-value', 'ann');
    const info = await before.info('default', 'crm');

    const rotated = new SecretStore(r.conn, 'rot', cipher(`${newSpec},${oldSpec}`));
    expect(await rotated.reseal()).toBe(2);
    expect(await rotated.reseal()).toBe(0);
    const onlyNew = new SecretStore(r.conn, 'rot', cipher(newSpec));
    expect(await onlyNew.open('default', ['crm'])).toEqual({ crm: 'crm-value' });
    expect(await onlyNew.open('team-a', ['db'])).toEqual({ db: 'db-value' });
    // The same secret as far as anyone can tell: same dates, same setter.
    expect(await onlyNew.info('default', 'crm')).toEqual(info);
  });
});
