/**
 * The bytes of one top-level member's value in a JSON object, as they were sent: what
 * `JSON.parse(body)[key]` parses from, without parsing it. The router seals an invocation's
 * input from these bytes instead of serializing the parsed value again; turning numbers back
 * into text was most of a bulk submission's CPU in the router.
 *
 * `body` must be valid JSON (the caller has parsed it already): the scan follows only its
 * structure (strings, brackets, commas), never checks it. Multi-byte UTF-8 never contains an
 * ASCII byte, so scanning bytes is safe.
 *
 * The usual body has the input as its only member (`{"input": …}`): then the value runs from
 * the colon to the closing brace, found without walking it. The walk cost the router ~7% of a
 * batched LSTM call (4.8 KB of numbers per call).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/**
 * Returns a view (no copy) of the value of `key` in the object `body` holds, or undefined when
 * `body` is not an object or has no such member. With a key given twice, the last one counts,
 * as in `JSON.parse`. `onlyKey`: the caller parsed `body` and its object has no other key than
 * this one (it may still repeat it), which allows the shortcut.
 */
export function jsonMember(body: Uint8Array, key: string, onlyKey = false): Uint8Array | undefined {
  if (onlyKey) {
    const sole = soleMember(body, key);
    if (sole) return sole;
  }
  let i = skipSpace(body, 0);
  if (body[i] !== OPEN_OBJECT) return undefined;
  i = skipSpace(body, i + 1);
  let found: Uint8Array | undefined;
  while (i < body.length && body[i] !== CLOSE_OBJECT) {
    const keyEnd = endOfString(body, i);
    const name = body.subarray(i, keyEnd);
    const start = skipSpace(body, skipSpace(body, keyEnd) + 1); // past the ':'
    const end = endOfValue(body, start);
    if (isKey(name, key)) found = body.subarray(start, end);
    i = skipSpace(body, end);
    if (body[i] === COMMA) i = skipSpace(body, i + 1);
  }
  return found;
}

/**
 * The value of `key` when the object begins with it and holds no other member, else undefined
 * (the caller then walks the body). The object has no key but `key` (the caller parsed it), so
 * any other member repeats `key`, spelled either as is or with an escape: when neither the
 * quoted key nor a backslash follows the value's start, the value is everything up to the
 * closing brace.
 */
function soleMember(b: Uint8Array, key: string): Uint8Array | undefined {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const quoted = quotedKey(key);
  const open = skipSpace(b, 0);
  if (b[open] !== OPEN_OBJECT) return undefined;
  const at = skipSpace(b, open + 1);
  if (!buf.subarray(at, at + quoted.length).equals(quoted)) return undefined;
  const colon = skipSpace(b, at + quoted.length);
  if (b[colon] !== COLON) return undefined;
  const start = skipSpace(b, colon + 1);
  if (buf.indexOf(quoted, start) !== -1 || buf.indexOf(BACKSLASH, start) !== -1) return undefined;
  let end = b.length;
  while (end > start && isSpace(b[end - 1]!)) end--;
  if (b[end - 1] !== CLOSE_OBJECT) return undefined;
  end--;
  while (end > start && isSpace(b[end - 1]!)) end--;
  return end > start ? b.subarray(start, end) : undefined;
}

const quotedKeys = new Map<string, Buffer>();

/** `key` as a JSON string, UTF-8 (the routes ask for two keys, `input` and `inputs`). */
function quotedKey(key: string): Buffer {
  let q = quotedKeys.get(key);
  if (q) return q;
  q = Buffer.from(JSON.stringify(key), 'utf8');
  if (quotedKeys.size < 16) quotedKeys.set(key, q);
  return q;
}

/** JSON whitespace: space, line feed, carriage return, tab. */
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(b: Uint8Array, i: number): number {
  while (i < b.length && isSpace(b[i]!)) i++;
  return i;
}

/** `b[i]` opens a string; returns the index just past its closing quote. */
export function endOfString(b: Uint8Array, i: number): number {
  for (let j = i + 1; j < b.length; j++) {
    const c = b[j];
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return b.length;
}

/** Returns the index just past the value that starts at `i`. */
function endOfValue(b: Uint8Array, i: number): number {
  const first = b[i];
  if (first === QUOTE) return endOfString(b, i);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (let j = i; j < b.length; ) {
      const c = b[j];
      if (c === QUOTE) {
        j = endOfString(b, j);
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return j + 1;
      j++;
    }
    return b.length;
  }
  // A number, true, false or null: it runs to the next separator or space.
  let j = i;
  while (j < b.length && b[j] !== COMMA && b[j] !== CLOSE_OBJECT && b[j] !== CLOSE_ARRAY && skipSpace(b, j) === j) j++;
  return j;
}

/** Whether the quoted `name` (escapes and all) is `key`. */
function isKey(name: Uint8Array, key: string): boolean {
  if (!name.includes(BACKSLASH)) return name.length === Buffer.byteLength(key) + 2 && Buffer.from(name.buffer, name.byteOffset + 1, name.length - 2).toString('utf8') === key;
  return JSON.parse(Buffer.from(name.buffer, name.byteOffset, name.length).toString('utf8')) === key;
}
