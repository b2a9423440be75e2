import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Makes, with openssl, a CA (`ca.crt`) and a server certificate it signed (`server.crt`,
 * `server.key`) in `dir`, valid for a day for `altNames` (`DNS:localhost`, `IP:127.0.0.1`, …).
 */
export function makeCertificates(dir: string, altNames: readonly string[] = ['DNS:localhost', 'IP:127.0.0.1']): { ca: string; cert: string; key: string } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=autoglm-test-ca');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=autoglm-test-server');
  writeFileSync(join(dir, 'ext'), `subjectAltName=${altNames.join(',')}\n`);
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'ext');
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}
