import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretValue } from './secret-commands.ts';

describe('secretValue', () => {
  it('reads a file exactly, the literal as given, and standard input without the newline echo adds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autoglm-secret-'));
    try {
      writeFileSync(join(dir, 'key.pem'), '-----BEGIN KEY-----\nabc\n-----END KEY-----\n');
      expect(secretValue({ fromFile: join(dir, 'key.pem') })).toBe('-----BEGIN KEY-----\nabc\n-----END KEY-----\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(secretValue({ fromLiteral: ' s3cret ' })).toBe(' s3cret ');
    expect(secretValue({}, () => 's3cret\n', false)).toBe('s3cret');
    expect(secretValue({}, () => 'line1\nline2\r\n', false)).toBe('line1\nline2');
    expect(secretValue({ fromEnv: 'CRM_KEY' }, undefined, false, { CRM_KEY: 'from-env\n' })).toBe('from-env\n');
  });

  it('refuses a terminal for input, an empty value, two sources and a missing file, as usage errors', () => {
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return [(err as { exitCode: number }).exitCode, (err as Error).message];
      }
      return undefined;
    };
    expect(refused(() => secretValue({}, () => 'x', true))).toEqual([2, expect.stringMatching(/pipe the value in/)]);
    expect(refused(() => secretValue({}, () => '\n', false))).toEqual([2, 'the value is empty']);
    expect(refused(() => secretValue({ fromFile: 'a', fromLiteral: 'b' }))).toEqual([2, expect.stringMatching(/choose one/)]);
    expect(refused(() => secretValue({ fromEnv: 'A', fromLiteral: 'b' }))).toEqual([2, expect.stringMatching(/choose one/)]);
    expect(refused(() => secretValue({ fromEnv: 'NOT_SET' }, undefined, false, {}))).toEqual([2, 'the environment has no NOT_SET']);
    expect(refused(() => secretValue({ fromFile: '/nonexistent/key' }))).toEqual([2, 'cannot read /nonexistent/key: ENOENT']);
  });
});
