import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiClient } from '../../client/api-client.ts';
import { answerTimeoutMs, saveLogin } from '../cli-config.ts';
import { CliError, EXIT } from '../cli-error.ts';
import type { CliContext } from '../context.ts';

/** `autoglm login`: checks a URL and token against the server, then saves them (mode 0600). */
export function registerLogin(program: Command, ctx: () => CliContext): void {
  program
    .command('login')
    .description('save the platform URL and a token (AUTOGLM_URL / AUTOGLM_TOKEN override them)')
    .requiredOption('--url <url>', 'platform URL, e.g. http://127.0.0.1:8080')
    .option('--token <token>', 'bearer token (default: read from standard input)')
    .action(async (o: { url: string; token?: string }) => {
      const c = ctx();
      const token = (o.token ?? readFileSync(0, 'utf8')).trim();
      if (!token) throw new CliError('no token given (--token, or pipe it in)', EXIT.usage);
      try {
        new URL(o.url);
      } catch {
        throw new CliError(`not a URL: ${o.url}`, EXIT.usage);
      }
      const timeoutMs = answerTimeoutMs(c.env);
      await new ApiClient({ url: o.url, token, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }).request('GET', '/v1/functions');
      saveLogin(c.env.configPath, { url: o.url, token });
      c.out.print({ url: o.url, config: c.env.configPath }, () => `logged in to ${o.url} (saved in ${c.env.configPath})`);
    });
}
