import type { ValidateFunction } from 'ajv';
import { fieldPath, pointerSegments } from '../../functions/sdk/index.ts';
import type { FunctionRecord } from '../../queue/cluster/index.ts';
import { schemaAjv } from '../registry/manifest-schemas.ts';
import { UnsupportedSchemaError, ValidationError } from './errors.ts';

/**
 * Checks invocation inputs against each function version's JSON Schema (`input` in its
 * manifest). Schemas are compiled once per version, their patterns by RE2 (linear in the input,
 * see `manifestSchemaIssues`, which refuses at deploy what would not compile); errors name the
 * field as `input.<path>` (`input.transactions[0].amount`, see `fieldPath`).
 */
export class InputValidator {
  private readonly ajv = schemaAjv();
  private readonly compiled = new Map<string, ValidateFunction | { refused: string }>();

  /**
   * `field` names the input in errors: `input`, or `inputs[3]` for an item of a bulk job.
   * @throws ValidationError naming the first bad field and listing all of them; UnsupportedSchemaError
   *   for a version whose schema does not compile (recorded before deploys checked patterns).
   */
  check(rec: FunctionRecord, input: unknown, field = 'input'): void {
    const key = `${rec.name}@${rec.version}`;
    let validate = this.compiled.get(key);
    if (!validate) this.compiled.set(key, (validate = this.compile(rec)));
    if ('refused' in validate) throw new UnsupportedSchemaError(validate.refused);
    if (validate(input)) return;
    const errors = (validate.errors ?? []).map((e) => {
      const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : undefined;
      const path = [...pointerSegments(input, e.instancePath), ...(missing === undefined ? [] : [missing])];
      return { field: fieldPath(field, path), message: missing ? 'is required' : (e.message ?? 'is invalid') };
    });
    const first = errors[0] ?? { field, message: 'is invalid' };
    throw new ValidationError(first.field, first.message, 'body', errors);
  }

  private compile(rec: FunctionRecord): ValidateFunction | { refused: string } {
    try {
      return this.ajv.compile(rec.manifest.input);
    } catch (err) {
      return { refused: `${rec.name}@${rec.version}: its input schema does not compile (${(err as Error).message}); deploy a version whose patterns use RE2 syntax` };
    }
  }
}
