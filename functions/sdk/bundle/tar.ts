/**
 * The small subset of ustar that bundles use: regular files and directories, nothing else.
 * Written here rather than taken from a general tar library because a bundle reader must refuse
 * everything unusual (links, devices, absolute or `..` paths, pax tricks) rather than interpret it
 * (the reader: `tar-reader.ts`).
 */

/** tar's block: headers are one, content is padded to whole ones. */
export const BLOCK = 512;

/** One archive member. Directories are implied by file paths and never written. */
export interface TarEntry {
  path: string;
  data: Buffer;
}

/** A raw header, for tests that need to craft hostile archives. */
export function tarHeader(path: string, size: number, type: string = '0', linkname = ''): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) throw new Error(`path too long for a bundle: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'ascii'); // mode
  h.write('0000000\0', 108, 'ascii'); // uid
  h.write('0000000\0', 116, 'ascii'); // gid
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
  h.write('00000000000\0', 136, 'ascii'); // mtime 0: the same folder must give the same bytes
  h.write('        ', 148, 'ascii'); // checksum placeholder
  h.write(type, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/** Writes entries, sorted by path, into a deterministic tar. */
export function writeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    parts.push(tarHeader(e.path, e.data.length), e.data);
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** Why an archive was refused. */
export class BundleFormatError extends Error {
  override readonly name: string = 'BundleFormatError';
}

/** An archive refused for its size: content over `maxBytes`, or members over `maxEntries`. */
export class BundleLimitError extends BundleFormatError {
  override readonly name = 'BundleLimitError';
  constructor(
    message: string,
    readonly limit: 'bytes' | 'entries',
  ) {
    super(message);
  }
}

/** A member path is safe when it is relative, has no `..`, no backslash and no empty segment. */
export function isSafePath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '..' && seg !== '.');
}
