import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

/** The desktop's "open this URL" command, or undefined where there is none to guess. */
const opener = (): string | undefined => ({ darwin: 'open', linux: 'xdg-open', win32: 'explorer' })[process.platform as string];

/**
 * `autoglm console`: a one-time link that signs the web console in as the CLI's own identity (its
 * saved or `AUTOGLM_TOKEN` token), so nobody copies a token into a browser by hand.
 */
export function registerConsoleCommand(program: Command, ctx: () => CliContext): void {
  program
    .command('console')
    .description("print a one-time link that signs the web console in with this CLI's token (works once, for 10 minutes)")
    .option('--open', "also open it in the desktop's browser")
    .action(async (o: { open?: boolean }) => {
      const c = ctx();
      const r = await c.api().consoleLink();
      c.out.print(r, () => `${r.link}\n(works once, until ${r.expiresAt})`);
      const cmd = o.open ? opener() : undefined;
      // Best effort: the link is printed either way, and a missing opener only means copying it.
      if (cmd) spawn(cmd, [r.link], { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
    });
}
