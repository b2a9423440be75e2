/**
 * What a record says for a name the caller put in the path that is not of its grammar (a function
 * name, a job id): the attempt is recorded, never the text sent, which could be anything the URL
 * allows (control characters once decoded, look-alike Unicode, lines that read as other records).
 */
export const INVALID = '(invalid)';

/** Longest path kept in a record's `target`; longer ones are cut and end in `…`. */
const MAX_TARGET_PATH = 160;

/**
 * A request as a record's `target`: the method and the path as it was sent (percent-encoded,
 * never decoded), any byte outside printable ASCII shown as `?`, cut to a bounded length.
 */
export function auditTarget(method: string, url: string): string {
  const at = url.indexOf('/', url.indexOf('//') + 2);
  const raw = at === -1 ? '/' : url.slice(at).split(/[?#]/, 1)[0]!;
  const path = raw.replace(/[^\x21-\x7e]/g, '?');
  return `${method} ${path.length > MAX_TARGET_PATH ? `${path.slice(0, MAX_TARGET_PATH)}…` : path}`;
}
