import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.ts';
import { JobQuery, versionString } from './schemas.ts';
import { validationHook } from './validation-hook.ts';

/** The problem's field and `errors` for a body `schema` refuses. */
function refused(schema: z.ZodType, body: unknown): { field: unknown; errors: unknown } {
  const r = schema.safeParse(body);
  try {
    validationHook({ success: r.success, target: 'json', ...(r.success ? {} : { error: r.error }) });
  } catch (e) {
    return { field: (e as ValidationError).extra.field, errors: (e as ValidationError).extra.errors };
  }
  throw new Error('not refused');
}

describe('validationHook', () => {
  it('names a body field with array indices in brackets, as every error does', () => {
    const Traffic = z.object({ routes: z.array(z.object({ version: z.string(), weight: z.number() })) }).strict();
    expect(refused(Traffic, { routes: [{ version: 'a', weight: 100 }, { version: 'b', weight: 'x' }] }).field).toBe('routes[1].weight');
    expect(refused(Traffic, { routes: [] , extra: 1 }).field).toBe('extra');
    // An unknown member deeper in is named where it is.
    const Nested = z.object({ routes: z.array(z.object({ version: z.string() }).strict()) });
    expect(refused(Nested, { routes: [{ version: 'a', bogus: 1 }] }).field).toBe('routes[0].bogus');
  });

  it('says what is wrong in words, not in zod’s types; a schema’s own message is kept, as the API’s recurring forms give theirs', () => {
    const Body = z.object({ input: z.unknown().nonoptional(), name: z.string().optional() });
    expect(refused(Body, {}).errors).toEqual([{ field: 'input', message: 'is required' }]);
    expect(refused(Body, { input: 1, name: 7 }).errors).toEqual([{ field: 'name', message: 'expected string, received number' }]);
    const Query = z.object({ wait: JobQuery.shape.wait.unwrap(), version: versionString(), odd: z.string().regex(/^x+$/), own: z.string().regex(/^y$/, 'must be y') });
    const errors = refused(Query, { wait: 'soon', version: 'v1', odd: 'a', own: 'n' }).errors;
    expect(errors).toEqual([
      { field: 'wait', message: 'must be a duration such as 500ms, 30s or 1m' },
      { field: 'version', message: 'must be a version: 12 hex digits' },
      { field: 'odd', message: 'is not in the form this field takes' },
      { field: 'own', message: 'must be y' },
    ]);
  });
});
