import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkOutFiles, readOutDir } from './train-output.ts';

const made: string[] = [];
afterEach(() => made.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const outDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'train-out-test-'));
  made.push(d);
  return d;
};

describe('readOutDir', () => {
  it('reads every file at its path relative to the folder', () => {
    const d = outDir();
    mkdirSync(join(d, 'artifacts', 'deep'), { recursive: true });
    writeFileSync(join(d, 'artifacts', 'model.json'), '{"a":1}');
    writeFileSync(join(d, 'artifacts', 'deep', 'w.bin'), Buffer.from([1, 2, 3]));
    const r = readOutDir(d, 1000);
    expect(r.refused).toBeUndefined();
    expect(r.files.map((f) => [f.path, Buffer.from(f.data).toString('hex')])).toEqual([
      ['artifacts/deep/w.bin', '010203'],
      ['artifacts/model.json', Buffer.from('{"a":1}').toString('hex')],
    ]);
  });

  it('refuses a link (it would read outside) and a total past the limit', () => {
    const d = outDir();
    symlinkSync('/etc/passwd', join(d, 'passwd'));
    expect(readOutDir(d, 1000)).toEqual({ files: [], refused: expect.stringContaining('passwd is not a regular file') });
    const big = outDir();
    writeFileSync(join(big, 'a'), Buffer.alloc(600));
    writeFileSync(join(big, 'b'), Buffer.alloc(600));
    expect(readOutDir(big, 1000).refused).toMatch(/more than the bundle limit \(1000 bytes\)/);
  });
});

describe('checkOutFiles', () => {
  const bytes = (s: string) => new Uint8Array(Buffer.from(s));

  it('takes safe relative paths with bytes, as Buffers', () => {
    const files = checkOutFiles([{ path: 'artifacts/model.json', data: bytes('{}') }], 100);
    expect(files).toEqual([{ path: 'artifacts/model.json', data: Buffer.from('{}') }]);
  });

  it('refuses what function code could send on its own: unsafe paths, twice the same path, no bytes, too many bytes', () => {
    for (const path of ['../x', '/etc/passwd', 'a/../../b', 'a\\b', '', './a']) expect(() => checkOutFiles([{ path, data: bytes('x') }], 100), path).toThrow(/unsafe path/);
    expect(() => checkOutFiles([{ path: 'a', data: bytes('x') }, { path: 'a', data: bytes('y') }], 100)).toThrow(/sent twice/);
    expect(() => checkOutFiles([{ path: 'a', data: 'text' }], 100)).toThrow(/not bytes/);
    expect(() => checkOutFiles('files', 100)).toThrow(/no list of files/);
    try {
      checkOutFiles([{ path: 'a', data: bytes('x'.repeat(60)) }, { path: 'b', data: bytes('y'.repeat(60)) }], 100);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'TRAINING_OUTPUT_REFUSED', retryable: false, extra: { limit: 100 } });
    }
  });
});
