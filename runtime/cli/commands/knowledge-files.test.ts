import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { collectKnowledgeFiles, toWire, writeKnowledgeFiles } from './knowledge-files.ts';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'autoglm-kfiles-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const put = (path: string, data: string | Buffer) => {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), data);
};
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof CliError ? { code: err.exitCode, message: err.message } : err;
  }
  return undefined;
};

describe('collectKnowledgeFiles', () => {
  it('takes a folder recursively with /-separated paths relative to it, only knowledge files, no hidden entries', () => {
    put('src/a.md', '# a');
    put('src/sub/b.JSONL', '{"id":"b","text":"b"}');
    put('src/sub/c.txt', 'c');
    put('src/image.png', 'x');
    put('src/.git/config.md', 'x');
    put('src/.draft.md', 'x');
    expect(collectKnowledgeFiles([join(dir, 'src')]).map((f) => [f.path, f.data.toString()])).toEqual([
      ['a.md', '# a'],
      ['sub/b.JSONL', '{"id":"b","text":"b"}'],
      ['sub/c.txt', 'c'],
    ]);
  });

  it('takes a file by its own name, and refuses other kinds, two files of one path, nothing at all, and what is not there', () => {
    put('x/faq.json', '[]');
    put('y/faq.json', '[]');
    put('x/a.png', 'p');
    mkdirSync(join(dir, 'empty'));
    expect(collectKnowledgeFiles([join(dir, 'x/faq.json')]).map((f) => f.path)).toEqual(['faq.json']);
    expect(refusal(() => collectKnowledgeFiles([join(dir, 'x/a.png')]))).toEqual({ code: 2, message: expect.stringContaining('a.png is not a knowledge file') });
    expect(refusal(() => collectKnowledgeFiles([join(dir, 'x'), join(dir, 'y')]))).toEqual({ code: 2, message: expect.stringContaining('two files would be faq.json') });
    expect(refusal(() => collectKnowledgeFiles([join(dir, 'empty')]))).toEqual({ code: 2, message: expect.stringContaining('no knowledge files') });
    expect(refusal(() => collectKnowledgeFiles([join(dir, 'absent')]))).toEqual({ code: 2, message: expect.stringContaining('ENOENT') });
  });
});

describe('writeKnowledgeFiles', () => {
  it('writes text and base64 files back exactly, creating folders; refuses a folder that holds files unless forced, and paths that leave it', () => {
    const latin1 = Buffer.from([0x43, 0x61, 0x66, 0xe9]);
    const wire = [toWire({ path: 'a/b.md', data: Buffer.from('# b\r\n') }), toWire({ path: 'c.txt', data: latin1 })];
    expect(wire).toEqual([{ path: 'a/b.md', text: '# b\r\n' }, { path: 'c.txt', base64: latin1.toString('base64') }]);
    const out = join(dir, 'out');
    expect(writeKnowledgeFiles(out, wire)).toEqual(['a/b.md', 'c.txt']);
    expect(readFileSync(join(out, 'a/b.md'), 'utf8')).toBe('# b\r\n');
    expect(readFileSync(join(out, 'c.txt'))).toEqual(latin1);
    expect(refusal(() => writeKnowledgeFiles(out, wire))).toEqual({ code: 2, message: expect.stringContaining('is not empty') });
    expect(writeKnowledgeFiles(out, wire, true)).toHaveLength(2);
    expect(refusal(() => writeKnowledgeFiles(join(dir, 'o2'), [{ path: '../escape.md', text: 'x' }]))).toEqual({ code: 3, message: expect.stringContaining('outside') });
  });
});
