import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `autoglm` executable. */
export const CLI_BIN = fileURLToPath(new URL('../../runtime/cli/bin.js', import.meta.url));

/** What one run of `autoglm` printed and how it exited (`json`: stdout parsed, when it is JSON). */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/**
 * Runs the real `autoglm` executable as a child process against `target` (the platform's URL and
 * a token), with `home` as its home and config folder (none: no saved configuration).
 */
export function runCli(target: { url: string; token: string; home?: string }, args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: {
        PATH: process.env.PATH!,
        ...(target.home ? { HOME: target.home } : {}),
        AUTOGLM_URL: target.url,
        AUTOGLM_TOKEN: target.token,
        AUTOGLM_CONFIG: target.home ? join(target.home, 'config.json') : '/nonexistent/autoglm.json',
        ...opts.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(opts.stdin ?? '');
    child.on('exit', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        /* not JSON */
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
}
