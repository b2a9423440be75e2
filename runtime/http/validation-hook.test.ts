import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.ts';
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
});
