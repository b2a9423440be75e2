import { gzipSync } from 'node:zlib';
import { tarHeader } from '../../functions/sdk/bundle/index.ts';

/**
 * Hostile bundles, built by hand from tar headers: what an attacker (or a broken tool) could
 * upload, or place in a pool node's artifact directory. Each is otherwise a valid bundle (manifest
 * and entry first), so only the hostile part can be the reason it is refused.
 */

const MANIFEST = Buffer.from('name: hostile\nentry: handler.ts\n');
const ENTRY = Buffer.from('export default { kind: "autoglm.function", handle: (xs) => xs };\n');

/** A member as a raw tar header, plus its content padded to whole blocks. */
function member(path: string, data = Buffer.alloc(0), type = '0', linkname = ''): Buffer {
  const pad = (512 - (data.length % 512)) % 512;
  return Buffer.concat([tarHeader(path, type === '0' ? data.length : 0, type, linkname), ...(type === '0' ? [data, Buffer.alloc(pad)] : [])]);
}

/** The valid start every hostile archive shares: manifest and entry. */
const VALID_START = Buffer.concat([member('manifest.yaml', MANIFEST), member('index.mjs', ENTRY)]);
const END = Buffer.alloc(1024);

/** Members after the valid start, gzip'd as one archive. */
const withMembers = (...members: Buffer[]): Buffer => gzipSync(Buffer.concat([VALID_START, ...members, END]));

/** Archives refused for what one member is, with the words the refusal must use. */
export const HOSTILE_MEMBERS: { what: string; archive: Buffer; says: RegExp }[] = [
  { what: 'an absolute path', archive: withMembers(member('/etc/cron.d/owned', Buffer.from('* * * * * root sh\n'))), says: /unsafe path in archive: "\/etc\/cron\.d\/owned"/ },
  { what: 'a ../ traversal', archive: withMembers(member('artifacts/../../../etc/passwd', Buffer.from('owned'))), says: /unsafe path in archive: "artifacts\/\.\.\/\.\.\/\.\.\/etc\/passwd"/ },
  { what: 'a hard link', archive: withMembers(member('model.bin', undefined, '1', '/etc/shadow')), says: /model\.bin is a hard link to "\/etc\/shadow"/ },
  { what: 'a symbolic link pointing outside', archive: withMembers(member('model.bin', undefined, '2', '../../../../root/.ssh/id_rsa')), says: /model\.bin is a symbolic link to "\.\.\/\.\.\/\.\.\/\.\.\/root\/\.ssh\/id_rsa"/ },
  { what: 'a character device', archive: withMembers(member('dev-null', undefined, '3')), says: /dev-null is a character device/ },
  { what: 'a block device', archive: withMembers(member('sda', undefined, '4')), says: /sda is a block device/ },
  { what: 'a FIFO', archive: withMembers(member('pipe', undefined, '6')), says: /pipe is a FIFO/ },
];

/** An archive of `count` empty files (besides manifest and entry): small gzip'd, many members. */
export function manyEntries(count: number): Buffer {
  const headers: Buffer[] = [];
  for (let i = 0; i < count; i++) headers.push(tarHeader(`f/${i.toString(36)}`, 0));
  return withMembers(...headers);
}

/**
 * A decompression bomb: `files` files of `fileBytes` zeros each (`expandsTo` bytes in all) in an
 * archive of about 1/1000 of that. Built as a series of gzip members (which gunzip reads as one
 * stream) so the test never holds the expanded bytes itself: the zeros are compressed once.
 */
export function decompressionBomb(fileBytes: number, files: number): { archive: Buffer; expandsTo: number } {
  if (fileBytes % 512) throw new Error('fileBytes must be whole tar blocks');
  const zeros = gzipSync(Buffer.alloc(fileBytes), { level: 9 });
  const parts = [gzipSync(VALID_START)];
  for (let i = 0; i < files; i++) parts.push(gzipSync(tarHeader(`artifacts/zeros-${i}.bin`, fileBytes)), zeros);
  parts.push(gzipSync(END));
  return { archive: Buffer.concat(parts), expandsTo: fileBytes * files };
}
