import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

const collect = (v: string, all: string[] = []) => [...all, v];

/** `autoglm token create`: mints a token from the platform's built-in issuer (admin only). */
export function registerTokenCommands(program: Command, ctx: () => CliContext): void {
  const token = program.command('token').description('mint tokens from the built-in issuer');
  token
    .command('create')
    .description('create a token; prints it (treat it as a password)')
    .requiredOption('--sub <name>', 'who it is for (appears in the audit log)')
    .requiredOption('--role <role>', 'admin, deployer, invoker, viewer or worker (repeatable)', collect)
    .option('--namespace <ns>', "namespace it may act in, or '*' (repeatable; default 'default')", collect)
    .option('--function <name>', 'limit an invoker to this function (repeatable)', collect)
    .option('--ttl <duration>', 'lifetime, e.g. 1h, 30d', '30d')
    .action(async (o: { sub: string; role: string[]; namespace?: string[]; function?: string[]; ttl: string }) => {
      const c = ctx();
      const r = await c.api().request('POST', '/v1/tokens', {
        body: { sub: o.sub, roles: o.role, ttl: o.ttl, ...(o.namespace ? { namespaces: o.namespace } : {}), ...(o.function ? { functions: o.function } : {}) },
      });
      c.out.print(r.body, () => r.body.token);
    });
}
