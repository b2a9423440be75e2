import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, EXIT } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { plural, table } from '../output.ts';

/**
 * Where a value comes from: a file (exact bytes), an environment variable (a CI pipeline's
 * secret), the argument, or standard input (one trailing newline dropped, as `echo` adds it).
 */
export function secretValue(
  o: { fromFile?: string; fromEnv?: string; fromLiteral?: string },
  stdin: () => string = () => readFileSync(0, 'utf8'),
  stdinIsTty = process.stdin.isTTY === true,
  env: Readonly<Record<string, string | undefined>> = {},
): string {
  if ([o.fromFile, o.fromEnv, o.fromLiteral].filter((x) => x !== undefined).length > 1) throw new CliError('choose one of --from-file, --from-env and --from-literal', EXIT.usage);
  let value: string;
  if (o.fromEnv !== undefined) {
    const v = env[o.fromEnv];
    if (v === undefined) throw new CliError(`the environment has no ${o.fromEnv}`, EXIT.usage);
    value = v;
  } else if (o.fromFile !== undefined) {
    try {
      value = readFileSync(o.fromFile, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${o.fromFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
    }
  } else if (o.fromLiteral !== undefined) {
    value = o.fromLiteral;
  } else {
    if (stdinIsTty) throw new CliError('pipe the value in (… | autoglm secret set NAME), or use --from-file', EXIT.usage);
    value = stdin().replace(/\r?\n$/, '');
  }
  if (value === '') throw new CliError('the value is empty', EXIT.usage);
  return value;
}

const ns = (namespace: string | undefined) => (namespace ? `?namespace=${encodeURIComponent(namespace)}` : '');

/** `autoglm secret set|ls|rm`: values functions read as `ctx.secrets`, never shown again. */
export function registerSecretCommands(program: Command, ctx: () => CliContext): void {
  const secret = program.command('secret').description("set, list and remove secrets (values functions read as ctx.secrets; never shown)");
  secret
    .command('set <name>')
    .description("create or replace a secret; functions that list it load again with the new value. The value comes from standard input unless a flag says otherwise")
    .option('--from-file <path>', 'read the value from a file, exactly')
    .option('--from-env <variable>', 'read the value from an environment variable (a CI secret)')
    .option('--from-literal <value>', 'the value itself (it stays in your shell history)')
    .option('--namespace <ns>', "the functions' namespace [default]")
    .action(async (name: string, o: { fromFile?: string; fromEnv?: string; fromLiteral?: string; namespace?: string }) => {
      const c = ctx();
      const value = secretValue(o, undefined, undefined, c.env.variables);
      const r = await c.api().request('PUT', `/v1/secrets/${encodeURIComponent(name)}${ns(o.namespace)}`, { body: { value } });
      const s = r.body;
      c.out.print(s, () => `${r.status === 201 ? 'created' : 'updated'} secret ${s.name} in ${s.namespace} (${plural(s.size, 'byte')})${s.usedBy.length ? `; reloading ${s.usedBy.join(', ')}` : ''}`);
    });
  secret
    .command('ls')
    .description("list a namespace's secrets (names and dates)")
    .option('--namespace <ns>', 'namespace [default]')
    .action(async (o: { namespace?: string }) => {
      const c = ctx();
      const r = await c.api().request('GET', `/v1/secrets${ns(o.namespace)}`);
      c.out.print(r.body, () => table(['NAME', 'SIZE', 'UPDATED', 'BY', 'USED BY'], r.body.items.map((s: any) => [s.name, s.size, s.updatedAt, s.updatedBy, s.usedBy.join(',') || undefined])));
    });
  secret
    .command('rm <name>')
    .description('remove a secret (refused while a serving version lists it, unless --force)')
    .option('--namespace <ns>', 'namespace [default]')
    .option('--force', 'remove it anyway: the versions that list it fail their next load')
    .action(async (name: string, o: { namespace?: string; force?: boolean }) => {
      const c = ctx();
      const q = new URLSearchParams({ ...(o.namespace ? { namespace: o.namespace } : {}), ...(o.force ? { force: 'true' } : {}) }).toString();
      await c.api().request('DELETE', `/v1/secrets/${encodeURIComponent(name)}${q ? `?${q}` : ''}`);
      c.out.print({ removed: name }, () => `removed secret ${name}`);
    });
}
