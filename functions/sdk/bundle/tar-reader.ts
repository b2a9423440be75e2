import { BLOCK, BundleFormatError, BundleLimitError, isSafePath, type TarEntry } from './tar.ts';

/** Limits a {@link TarReader} enforces as the archive streams in. */
export interface TarLimits {
  /** Content of all files, bytes (headers and padding not counted). */
  maxBytes: number;
  /** Members of any type, directories included. */
  maxEntries: number;
}

/**
 * Zero bytes allowed after the end-of-archive block. GNU tar pads to a 10 KiB record; ours writes
 * none. Anything past this (a bomb can hide gigabytes of zeros there) is refused, so the bytes a
 * reader inflates stay bounded by the limits: content + 1 KiB per member + this.
 */
const MAX_TRAILER = 1024 * 1024;

/** What each refused type flag is, for a refusal a deployer can act on. */
const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
  '7': 'a contiguous file',
  x: 'a pax extended header',
  g: 'a pax global header',
  L: 'a GNU long name',
  K: 'a GNU long link name',
};

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? len : end).toString('utf8');
}

/**
 * Reads a tar as it streams in (chunk by chunk from a gunzip stream), refusing anything but
 * regular files and directories with safe relative paths, and stopping at the first header that
 * takes the content past `maxBytes` or the members past `maxEntries`. Only accepted content is
 * held: a file's buffer is allocated from its header once the size fits the limit, so memory
 * stays within `maxBytes` plus one chunk, whatever the archive claims to expand to.
 */
export class TarReader {
  private readonly files: TarEntry[] = [];
  private readonly paths = new Set<string>();
  /** Bytes of a header block gathered so far (a header may straddle chunks). */
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** The file whose content is arriving, and how much of it (with its padding) is still due. */
  private current: { entry: TarEntry; filled: number } | undefined;
  private padding = 0;
  private entries = 0;
  private content = 0;
  private ended = false;
  private trailer = 0;
  /** Offset in the tar stream, for messages about corrupt headers. */
  private offset = 0;

  constructor(private readonly limits: TarLimits) {}

  /** Takes the next bytes of the tar. @throws BundleFormatError (BundleLimitError for a limit) */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.ended) {
        this.trailer += chunk.length - at;
        if (this.trailer > MAX_TRAILER) throw new BundleFormatError(`archive has more than ${MAX_TRAILER} bytes after its end`);
        if (chunk.subarray(at).some((b) => b !== 0)) throw new BundleFormatError('archive has data after its end');
        return;
      }
      if (this.current) {
        const { entry, filled } = this.current;
        const n = Math.min(entry.data.length - filled, chunk.length - at);
        chunk.copy(entry.data, filled, at, at + n);
        at += n;
        this.current.filled += n;
        if (this.current.filled === entry.data.length) this.current = undefined;
        continue;
      }
      if (this.padding) {
        const n = Math.min(this.padding, chunk.length - at);
        this.padding -= n;
        at += n;
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + n);
      this.headerFill += n;
      at += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.onHeader(this.header);
        this.offset += BLOCK;
      }
    }
  }

  /** The files, once the stream has ended. @throws BundleFormatError when it ended mid-member */
  end(): TarEntry[] {
    if (this.current || this.padding || this.headerFill) throw new BundleFormatError(`corrupt archive: truncated${this.current ? ` in ${this.current.entry.path}` : ''}`);
    return this.files;
  }

  private onHeader(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    const stored = parseInt(field(h, 148, 8).trim(), 8);
    if (stored !== sum) throw new BundleFormatError(`corrupt archive: bad header checksum at byte ${this.offset}`);
    const prefix = field(h, 345, 155);
    const name = field(h, 0, 100);
    const path = (prefix ? `${prefix}/${name}` : name).replace(/\/$/, '');
    const type = String.fromCharCode(h[156]!) || '0';
    const size = parseInt(field(h, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0) throw new BundleFormatError(`corrupt archive: bad size for ${path}`);
    if (++this.entries > this.limits.maxEntries) throw new BundleLimitError(`archive has more than ${this.limits.maxEntries} entries`, 'entries');
    if (!isSafePath(path)) throw new BundleFormatError(`unsafe path in archive: ${JSON.stringify(path)} (absolute or with ..)`);
    const refused = TYPE_NAMES[type];
    if (refused) {
      const to = type === '1' || type === '2' ? ` to ${JSON.stringify(field(h, 157, 100))}` : '';
      throw new BundleFormatError(`archive member ${path} is ${refused}${to}; bundles may hold only regular files`);
    }
    if (type !== '0' && type !== '\0' && type !== '5') throw new BundleFormatError(`archive member ${path} has unsupported type '${type}'; bundles may hold only regular files`);
    if (type === '5') return;
    this.content += size;
    if (this.content > this.limits.maxBytes) throw new BundleLimitError(`archive content exceeds ${this.limits.maxBytes} bytes at ${path}`, 'bytes');
    if (this.paths.has(path)) throw new BundleFormatError(`archive has ${path} twice`);
    this.paths.add(path);
    // Allocated only now that the size is within what is left of the limit.
    const entry = { path, data: Buffer.allocUnsafe(size) };
    this.files.push(entry);
    if (size > 0) this.current = { entry, filled: 0 };
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.offset += size + this.padding;
  }
}

/** Reads a whole tar held in memory (see {@link TarReader}). @throws BundleFormatError */
export function readTar(buf: Buffer, limits: TarLimits): TarEntry[] {
  const r = new TarReader(limits);
  r.push(buf);
  return r.end();
}
