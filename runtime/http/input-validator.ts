import { Ajv, type ValidateFunction } from 'ajv';
import type { FunctionRecord } from '../../queue/cluster/index.ts';
import { ValidationError } from './errors.ts';

/**
 * Checks invocation inputs against each function version's JSON Schema (`input` in its
 * manifest). Schemas are compiled once per version; errors name the field as `input.<path>`.
 */
export class InputValidator {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly compiled = new Map<string, ValidateFunction>();

  /**
   * `field` names the input in errors: `input`, or `inputs[3]` for an item of a bulk job.
   * @throws ValidationError naming the first bad field and listing all of them.
   */
  check(rec: FunctionRecord, input: unknown, field = 'input'): void {
    const key = `${rec.name}@${rec.version}`;
    let validate = this.compiled.get(key);
    if (!validate) this.compiled.set(key, (validate = this.ajv.compile(rec.manifest.input)));
    if (validate(input)) return;
    const errors = (validate.errors ?? []).map((e) => {
      const path = e.instancePath.split('/').slice(1).join('.');
      const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : undefined;
      return { field: [field, path, missing].filter(Boolean).join('.'), message: missing ? 'is required' : (e.message ?? 'is invalid') };
    });
    const first = errors[0] ?? { field, message: 'is invalid' };
    throw new ValidationError(first.field, first.message, 'body', errors);
  }
}
