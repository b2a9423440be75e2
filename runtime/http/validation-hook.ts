import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { fieldPath } from '../../functions/sdk/index.ts';
import type { AppEnv } from './app-deps.ts';
import { ValidationError } from './errors.ts';

const WHERE: Record<string, 'body' | 'query' | 'path' | 'header'> = { json: 'body', query: 'query', param: 'path', header: 'header' };

/**
 * Turns a schema failure into a 400 that names the field (`timeoutMs`, `wait`, `name`). A route
 * that declares a JSON body and got none (no bytes: `jsonBody` set no `bodyBytes`) is refused
 * naming `body`, not the members its schema would miss in an empty object. (Every JSON body
 * the API declares is `required`; a route whose JSON body is optional would need this to know.)
 */
export function validationHook(result: { success: boolean; target: string; error?: ZodError }, c?: Context<AppEnv>): void {
  if (result.target === 'json' && c && c.var.bodyBytes === undefined) throw new ValidationError('body', 'this route needs a JSON body; the request had none');
  if (result.success || !result.error) return;
  const where = WHERE[result.target] ?? 'body';
  const errors = result.error.issues.map((i) => {
    const path = i.path.map((s) => (typeof s === 'number' ? s : String(s)));
    if (i.code === 'unrecognized_keys') return { field: fieldPath('', [...path, i.keys[0]!]), message: `unknown field(s) ${i.keys.join(', ')}` };
    return { field: path.length > 0 ? fieldPath('', path) : where === 'body' ? 'body' : result.target, message: readable(i) };
  });
  throw new ValidationError(errors[0]!.field, errors[0]!.message, where, errors);
}

/**
 * A schema issue's message for a person: zod's defaults speak of its own types ("Invalid input:
 * expected nonoptional, received undefined", "must match pattern /^…$/"); a message a schema
 * gives itself is kept (the API's recurring forms carry theirs: `nameString` in `schemas.ts`).
 */
function readable(i: ZodError['issues'][number]): string {
  if (i.code === 'invalid_type' && i.message.endsWith('received undefined')) return 'is required';
  if (i.code === 'invalid_format' && i.format === 'regex' && i.message.startsWith('Invalid string')) return 'is not in the form this field takes';
  return i.message.replace(/^Invalid input: /, '');
}
