/**
 * The small subset of ustar that bundles use: regular files and directories, nothing else.
 * Written here rather than taken from a general tar library because a bundle reader must refuse
 * everything unusual (links, devices, absolute or `..` paths, pax tricks) rather than interpret it.
 */

const BLOCK = 512;

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
  override readonly name = 'BundleFormatError';
}

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? len : end).toString('utf8');
}

/** A member path is safe when it is relative, has no `..`, no backslash and no empty segment. */
export function isSafePath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '..' && seg !== '.');
}

/**
 * Reads a tar, refusing anything but regular files and directories with safe relative paths,
 * and stopping at `maxBytes` of content or `maxEntries` members.
 * @throws BundleFormatError naming the offending member
 */
export function readTar(buf: Buffer, limits: { maxBytes: number; maxEntries: number }): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let total = 0;
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    const stored = parseInt(field(h, 148, 8).trim(), 8);
    if (stored !== sum) throw new BundleFormatError(`corrupt archive: bad header checksum at byte ${off}`);
    const prefix = field(h, 345, 155);
    const name = field(h, 0, 100);
    const path = (prefix ? `${prefix}/${name}` : name).replace(/\/$/, '');
    const type = String.fromCharCode(h[156]!) || '0';
    const size = parseInt(field(h, 124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) throw new BundleFormatError(`corrupt archive: bad size for ${path}`);
    if (!isSafePath(path)) throw new BundleFormatError(`unsafe path in archive: ${JSON.stringify(path)} (absolute or with ..)`);
    if (type === '1' || type === '2') {
      throw new BundleFormatError(`archive member ${path} is a ${type === '2' ? 'symbolic' : 'hard'} link to ${JSON.stringify(field(h, 157, 100))}; bundles may hold only regular files`);
    }
    if (type !== '0' && type !== '\0' && type !== '5') throw new BundleFormatError(`archive member ${path} has unsupported type '${type}'; bundles may hold only regular files`);
    off += BLOCK;
    if (type === '5') continue;
    if (off + size > buf.length) throw new BundleFormatError(`corrupt archive: ${path} is truncated`);
    total += size;
    if (total > limits.maxBytes) throw new BundleFormatError(`archive content exceeds ${limits.maxBytes} bytes`);
    if (out.length >= limits.maxEntries) throw new BundleFormatError(`archive has more than ${limits.maxEntries} files`);
    if (out.some((e) => e.path === path)) throw new BundleFormatError(`archive has ${path} twice`);
    out.push({ path, data: Buffer.from(buf.subarray(off, off + size)) });
    off += size + ((BLOCK - (size % BLOCK)) % BLOCK);
  }
  return out;
}
