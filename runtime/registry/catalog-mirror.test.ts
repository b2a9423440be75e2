import { describe, expect, it } from 'vitest';
import type { FunctionState } from '../../queue/cluster/index.ts';
import { CatalogMirror } from './catalog-mirror.ts';
import { FunctionNotFoundError, VersionNotFoundError } from './registry-errors.ts';
import { emptyTraffic, promote } from './traffic.ts';

const V1 = 'a1b2c3d4e5f6';

function mirror(): CatalogMirror {
  const s: FunctionState = {
    name: 'wordcount',
    namespace: 'default',
    createdAt: 0,
    versions: { [V1]: { version: V1, hash: V1.repeat(5).slice(0, 64), manifest: {} as never, size: 0, createdAt: 0, createdBy: 't' } },
    traffic: emptyTraffic('t'),
  };
  const m = new CatalogMirror();
  m.replace([{ ...s, traffic: promote(s, V1, 't') }]);
  return m;
}

/** What `resolve(target)` throws. */
function refusal(target: string): unknown {
  try {
    mirror().resolve(target);
  } catch (err) {
    return err;
  }
  throw new Error(`${target} resolved`);
}

describe('CatalogMirror.resolve', () => {
  it('resolves a pinned version, and by traffic without one', () => {
    expect(mirror().resolve(`wordcount@${V1}`).rec.version).toBe(V1);
    expect(mirror().resolve('wordcount').rec.version).toBe(V1);
  });

  it('says of a pinned version the function lacks that the version is missing, naming the path parameter and no other version', () => {
    const err = refusal('wordcount@ffffffffffff');
    expect(err).toBeInstanceOf(VersionNotFoundError);
    const e = err as VersionNotFoundError;
    expect([e.code, e.status, e.message, e.extra]).toEqual(['VERSION_NOT_FOUND', 404, "function 'wordcount' has no version 'ffffffffffff'", { field: 'name', in: 'path' }]);
    expect(JSON.stringify(e.extra) + e.message).not.toContain(V1);
  });

  it('says of an unknown function, pinned or not, that the function is missing', () => {
    for (const target of ['nope', 'nope@ffffffffffff']) {
      const err = refusal(target);
      expect(err).toBeInstanceOf(FunctionNotFoundError);
      expect((err as FunctionNotFoundError).message).toBe("no function named 'nope'");
    }
  });
});
