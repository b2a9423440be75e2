import type { Command } from 'commander';
import { CliError, EXIT } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { table, trafficLine } from '../output.ts';

type Ctx = () => CliContext;

/**
 * `<version>=<number>` (`what` names the number: weight, percent) as its parts, or a usage error
 * saying which part is wrong.
 */
function versionPair(s: string, what: string, where = JSON.stringify(s)): { version: string; n: number } {
  const m = /^([^=]*)=(.*)$/.exec(s);
  if (!m) throw new CliError(`${where}: expected <version>=<${what}>, e.g. a1b2c3d4e5f6=90`, EXIT.usage);
  const [, version, n] = m as unknown as [string, string, string];
  if (!/^[0-9a-f]{12}$/.test(version)) throw new CliError(`${where}: a version is 12 lowercase hex digits, as \`autoglm functions versions\` lists them, not ${JSON.stringify(version)}`, EXIT.usage);
  if (!/^\d{1,3}$/.test(n)) throw new CliError(`${where}: the ${what} is a whole number (0 to 100), not ${JSON.stringify(n)}`, EXIT.usage);
  return { version, n: Number(n) };
}

/** The `PUT …/traffic` body from `<version>=<weight>` pairs and `--shadow <version>=<percent>` / `--no-shadow`. */
export function trafficBody(splits: string[], shadow: string | boolean | undefined): Record<string, unknown> {
  const routes = splits.map((s) => {
    const { version, n } = versionPair(s, 'weight');
    return { version, weight: n };
  });
  const body: Record<string, unknown> = {};
  if (routes.length) body.routes = routes;
  if (shadow === false) body.shadow = null;
  else if (typeof shadow === 'string') {
    const { version, n } = versionPair(shadow, 'percent', `--shadow ${shadow}`);
    body.shadow = { version, percent: n };
  }
  if (!Object.keys(body).length) throw new CliError('give <version>=<weight> pairs and/or --shadow / --no-shadow', EXIT.usage);
  return body;
}

/** The shadow report as text: agreement, errors, and both versions' latencies. */
function shadowText(name: string, b: any): string {
  if (!b.report) return `${name}: no shadow candidate`;
  const p = b.report;
  const ms = (x: number | null) => (x === null ? '-' : `${x} ms`);
  return [
    `${name}: serving ${b.serving ?? '-'}, shadow ${p.candidate}${b.shadow ? ` at ${b.shadow.percent}%` : ' (no longer mirrored)'}`,
    `samples ${p.samples}, agreement ${p.agreement === null ? '-' : `${(p.agreement * 100).toFixed(1)}%`}, errors serving ${p.servingErrors} / shadow ${p.shadowErrors}`,
    table(['', 'p50', 'p95'], [
      ['serving', ms(p.latencyMs.serving.p50), ms(p.latencyMs.serving.p95)],
      ['shadow', ms(p.latencyMs.shadow.p50), ms(p.latencyMs.shadow.p95)],
    ]),
  ].join('\n');
}

/** traffic, promote, rollback, shadow: which versions serve a function's calls. */
export function registerTrafficCommands(program: Command, ctx: Ctx): void {
  program
    .command('traffic <name> [splits...]')
    .description('set traffic weights, e.g. `autoglm traffic risk a1b2c3d4e5f6=90 0f9e8d7c6b5a=10`')
    .option('--shadow <version=percent>', 'mirror percent of calls to version')
    .option('--no-shadow', 'stop mirroring')
    .action(async (name: string, splits: string[], o: { shadow?: string | boolean }) => {
      const c = ctx();
      const body = trafficBody(splits, o.shadow);
      const r = await c.api().request('PUT', `/v1/functions/${encodeURIComponent(name)}/traffic`, { body });
      c.out.print(r.body, () => `traffic: ${trafficLine(r.body)}`);
    });

  program
    .command('promote <name> <version>')
    .description('send all traffic to a version')
    .action(async (name: string, version: string) => {
      const c = ctx();
      const r = await c.api().request('POST', `/v1/functions/${encodeURIComponent(name)}/promote`, { body: { version } });
      c.out.print(r.body, () => `traffic: ${trafficLine(r.body)}`);
    });

  program
    .command('rollback <name>')
    .description('return all traffic to the stable version (dropping a canary or shadow), or to the previous stable one')
    .action(async (name: string) => {
      const c = ctx();
      const r = await c.api().request('POST', `/v1/functions/${encodeURIComponent(name)}/rollback`);
      c.out.print(r.body, () => `traffic: ${trafficLine(r.body)}`);
    });

  program
    .command('shadow <name>')
    .description('shadow report: how often the candidate agrees with the serving version, and both latencies')
    .option('--version <version>', 'candidate (default: the current shadow)')
    .action(async (name: string, o: { version?: string }) => {
      const c = ctx();
      const r = await c.api().request('GET', `/v1/functions/${encodeURIComponent(name)}/shadow${o.version ? `?${new URLSearchParams({ version: o.version })}` : ''}`);
      const b = r.body;
      c.out.print(b, () => shadowText(name, b));
    });
}
