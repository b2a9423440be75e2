import { describe, expect, it } from 'vitest';
import { BundleLimitError, tarHeader, writeTar } from './index.ts';
import { TarReader, readTar } from './tar-reader.ts';

const LIMITS = { maxBytes: 1024 * 1024, maxEntries: 100 };
const files = [
  { path: 'manifest.yaml', data: Buffer.from('name: x\n') },
  { path: 'artifacts/model.bin', data: Buffer.alloc(1500, 7) },
  { path: 'index.mjs', data: Buffer.from('export default {};\n') },
];

describe('TarReader', () => {
  it('reads what writeTar wrote, whatever the chunk boundaries', () => {
    const tar = writeTar(files);
    const whole = readTar(tar, LIMITS);
    for (const size of [1, 7, 511, 512, 513, 4096]) {
      const r = new TarReader(LIMITS);
      for (let at = 0; at < tar.length; at += size) r.push(tar.subarray(at, at + size));
      expect(r.end()).toEqual(whole);
    }
    expect(whole.map((f) => f.path).sort()).toEqual(files.map((f) => f.path).sort());
    expect(whole.find((f) => f.path === 'artifacts/model.bin')!.data).toEqual(files[1]!.data);
  });

  it('counts directories as entries', () => {
    const dirs = Buffer.concat(Array.from({ length: 101 }, (_, i) => tarHeader(`d${i}/`, 0, '5')));
    const tar = Buffer.concat([dirs, Buffer.alloc(1024)]);
    expect(() => readTar(tar, LIMITS)).toThrow(BundleLimitError);
    expect(() => readTar(tar, LIMITS)).toThrow(/more than 100 entries/);
  });

  it('refuses at the header that passes the content limit, before its content arrives', () => {
    const r = new TarReader({ maxBytes: 1000, maxEntries: 10 });
    expect(() => r.push(tarHeader('big.bin', 1001))).toThrow(/content exceeds 1000 bytes at big\.bin/);
  });

  it('refuses data after the end of the archive, and more than 1 MiB of zeros there', () => {
    const tar = writeTar(files);
    expect(() => readTar(Buffer.concat([tar, Buffer.from('hidden')]), LIMITS)).toThrow(/data after its end/);
    expect(readTar(Buffer.concat([tar, Buffer.alloc(9216)]), LIMITS)).toHaveLength(3); // GNU tar's record padding
    expect(() => readTar(Buffer.concat([tar, Buffer.alloc(2 * 1024 * 1024)]), LIMITS)).toThrow(/after its end/);
  });

  it('refuses an archive that stops inside a member', () => {
    const tar = writeTar(files);
    expect(() => readTar(tar.subarray(0, 512 + 100), LIMITS)).toThrow(/truncated/);
  });

  it('refuses a path twice', () => {
    const one = writeTar([files[0]!]).subarray(0, -1024);
    expect(() => readTar(Buffer.concat([one, one, Buffer.alloc(1024)]), LIMITS)).toThrow(/manifest\.yaml twice/);
  });
});
