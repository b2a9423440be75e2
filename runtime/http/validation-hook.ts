import type { ZodError } from 'zod';
import { ValidationError } from './errors.ts';

const WHERE: Record<string, 'body' | 'query' | 'path' | 'header'> = { json: 'body', query: 'query', param: 'path', header: 'header' };

/** Turns a schema failure into a 400 that names the field (`timeoutMs`, `wait`, `name`). */
export function validationHook(result: { success: boolean; target: string; error?: ZodError }): void {
  if (result.success || !result.error) return;
  const where = WHERE[result.target] ?? 'body';
  const errors = result.error.issues.map((i) => {
    const field = i.path.length > 0 ? i.path.join('.') : where === 'body' ? 'body' : result.target;
    const message = i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message;
    return { field: i.code === 'unrecognized_keys' ? i.keys[0]! : field, message };
  });
  throw new ValidationError(errors[0]!.field, errors[0]!.message, where, errors);
}
