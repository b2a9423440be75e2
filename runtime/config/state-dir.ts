import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Returns the secret kept in `<stateDir>/<name>`, creating it (32 random bytes, base64url, file
 * mode 0600) on first use, so a restart keeps tokens and webhook signatures valid.
 */
export function persistentSecret(stateDir: string, name: string, generate: () => string = () => randomBytes(32).toString('base64url')): string {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, name);
  try {
    return readFileSync(path, 'utf8').trim();
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
