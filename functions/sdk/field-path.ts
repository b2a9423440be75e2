import { parseJsonPointer } from './json-pointer.ts';

/**
 * How every error names a field of a request: members after dots, array indices in brackets,
 * from the root the caller sent (`input.transactions[0].amount`, `inputs[3].message`,
 * `routes[1].weight`). One form for the router's schema checks, a function's input schema, a
 * model's tensor shapes and the errors function code raises, so a client maps any of them to
 * its form the same way.
 */
export function fieldPath(root: string, segments: readonly (string | number)[]): string {
  let out = root;
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

/**
 * The segments of JSON Pointer `pointer` into `doc` (as a JSON Schema validator reports where
 * an error is): a token is an index where `doc` holds an array there, else a member name.
 */
export function pointerSegments(doc: unknown, pointer: string): (string | number)[] {
  const out: (string | number)[] = [];
  let at = doc;
  for (const t of parseJsonPointer(pointer) ?? []) {
    if (Array.isArray(at) && /^(0|[1-9]\d*)$/.test(t)) {
      out.push(Number(t));
      at = at[Number(t)];
    } else {
      out.push(t);
      at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[t] : undefined;
    }
  }
  return out;
}

/**
 * A field a function's code named (`transactions[0].amount`, `input.text`, `input`) from the
 * root of the request: relative names get `input` before them, as the router's own errors do.
 */
export function inputField(field: string): string {
  if (field === 'input' || field.startsWith('input.') || field.startsWith('input[')) return field;
  return field.startsWith('[') ? `input${field}` : `input.${field}`;
}
