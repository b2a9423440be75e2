import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Makes the state directory private to the platform's user: created `0700`, and set to `0700`
 * when it existed with wider permissions (a folder made by hand, an older version). It holds the
 * platform's keys; nothing of it is mounted into a function sandbox either.
 */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
}

/**
 * Writes a secret file of the state directory, `0600` (also when it existed with wider permissions).
 */
export function writeStateFile(stateDir: string, name: string, content: string): void {
  ensureStateDir(stateDir);
  const path = join(stateDir, name);
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Returns the secret kept in `<stateDir>/<name>`, creating it (32 random bytes, base64url, file
 * mode 0600) on first use, so a restart keeps tokens and webhook signatures valid. An existing
 * file readable by others is made `0600`.
 */
export function persistentSecret(stateDir: string, name: string, generate: () => string = () => randomBytes(32).toString('base64url')): string {
  ensureStateDir(stateDir);
  const path = join(stateDir, name);
  try {
    const secret = readFileSync(path, 'utf8').trim();
    chmodSync(path, 0o600);
    return secret;
  } catch {
    const secret = generate();
    try {
      writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another process created it first: use theirs.
      return readFileSync(path, 'utf8').trim();
    }
  }
}
