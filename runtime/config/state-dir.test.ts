import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { persistentSecret, writeStateFile } from './state-dir.ts';

const mode = (p: string) => statSync(p).mode & 0o777;

describe('the state directory', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is 0700 and its secret files 0600, also when they existed with wider permissions', () => {
    root = mkdtempSync(join(tmpdir(), 'autoglm-state-test-'));
    const dir = join(root, 'state');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'jwt-secret'), 'kept\n', { mode: 0o644 });
    chmodSync(join(dir, 'jwt-secret'), 0o644);
    writeFileSync(join(dir, 'admin-token'), 'old\n', { mode: 0o644 });
    chmodSync(join(dir, 'admin-token'), 0o644);

    expect(persistentSecret(dir, 'jwt-secret')).toBe('kept');
    expect(persistentSecret(dir, 'webhook-secret')).toMatch(/^[\w-]{43}$/);
    writeStateFile(dir, 'admin-token', 'new\n');
    expect(mode(dir)).toBe(0o700);
    for (const f of ['jwt-secret', 'webhook-secret', 'admin-token']) expect([f, mode(join(dir, f))]).toEqual([f, 0o600]);
  });
});
