/**
 * JSON Pointers (RFC 6901): `""` is the whole document, `/intent` a member, `/items/0` an array
 * element; `~1` stands for `/` and `~0` for `~` in a reference token. Manifests name a part of
 * the output with one (`feedback.label`), so the SDK owns the grammar the deploy check and the
 * router share.
 */

/** The reference tokens of `pointer`, or undefined when it is not a JSON Pointer. */
export function parseJsonPointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer.slice(1).split('/');
  // `~` must be followed by 0 or 1: anything else is not an escape RFC 6901 defines.
  if (tokens.some((t) => /~(?![01])/.test(t))) return undefined;
  return tokens.map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The value `pointer` names in `doc`, or undefined when it names nothing there (a missing member,
 * an index past the end, a step into a scalar). An array index is digits without a leading zero.
 */
export function resolveJsonPointer(doc: unknown, pointer: string): unknown {
  const tokens = parseJsonPointer(pointer);
  if (!tokens) return undefined;
  let at: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(at)) {
      if (!/^(0|[1-9]\d*)$/.test(t)) return undefined;
      at = at[Number(t)];
    } else if (typeof at === 'object' && at !== null && Object.hasOwn(at, t)) {
      at = (at as Record<string, unknown>)[t];
    } else {
      return undefined;
    }
  }
  return at;
}
