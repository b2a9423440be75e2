import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openBundle, sha256 } from '../../../functions/sdk/bundle/index.ts';
// The pure part of the TF.js face: the face itself would load TensorFlow.js into every command.
import { shapeText } from '../../../functions/sdk/tf/tensor-spec.ts';
import { BuildError, buildBundle, type BuiltBundle } from '../../bundles/build-bundle.ts';
import { CliError, EXIT } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import type { DeployQuery } from '../../client/api-client.ts';
import { table, trafficLine } from '../output.ts';
import { formatBytes, progressBar } from '../progress.ts';
import { initFunction } from './init.ts';

type Ctx = () => CliContext;

const percent = (v: string, name: string, min: number, max: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`--${name} takes a whole percent from ${min} to ${max}`, EXIT.usage);
  return n;
};

/** `--env KEY=VALUE`, repeatable: collected into settings. */
const collectEnv = (v: string, prev: Record<string, string>) => {
  const at = v.indexOf('=');
  if (at < 1) throw new CliError(`--env ${JSON.stringify(v)}: expected KEY=VALUE`, EXIT.usage);
  return { ...prev, [v.slice(0, at)]: v.slice(at + 1) };
};
const ENV_HELP = "a setting for ctx.env, KEY=VALUE (repeatable; added to the manifest's env, so it makes a version of its own)";

async function build(dir: string, typecheck: boolean, env?: Record<string, string>): Promise<BuiltBundle> {
  try {
    return await buildBundle(dir, { typecheck, ...(env ? { env } : {}) });
  } catch (err) {
    if (err instanceof BuildError) throw new CliError(`cannot build ${dir}:\n  ${err.problems.join('\n  ')}`, EXIT.build);
    throw err;
  }
}

/** A folder is built; a `.tgz` file is deployed as is. */
async function bundleFrom(path: string, typecheck: boolean, env: Record<string, string>): Promise<{ archive: Buffer; hash: string; name: string; version: string }> {
  if (existsSync(path) && statSync(path).isFile()) {
    if (Object.keys(env).length) throw new CliError('--env needs a function folder: a built .tgz is deployed as it is', EXIT.usage);
    const archive = readFileSync(path);
    try {
      const b = await openBundle(archive);
      return { archive, hash: sha256(archive), name: b.manifest.name, version: b.version };
    } catch (err) {
      throw new CliError(`${path} is not a valid bundle: ${(err as Error).message}`, EXIT.build);
    }
  }
  const b = await build(path, typecheck, env);
  return { archive: b.archive, hash: b.hash, name: b.manifest.name, version: b.version };
}

/** What `deploy` takes on the command line. */
interface DeployOptions {
  canary?: string;
  shadow?: string;
  promote: boolean;
  namespace?: string;
  rollout?: boolean;
  rolloutSteps?: string;
  rolloutInterval?: string;
  rolloutMinCalls?: string;
  shadowFirst?: string;
}

/** The rollout part of the deploy's query: `--rollout` or any rollout setting rolls out; `--no-rollout` promotes. */
function rolloutQuery(o: DeployOptions): DeployQuery {
  const q: DeployQuery = {};
  if (o.rolloutSteps !== undefined) {
    const steps = o.rolloutSteps.split(',').map((s) => Number(s.trim()));
    if (!steps.every((w) => Number.isInteger(w) && w >= 1 && w <= 100)) throw new CliError('--rollout-steps takes whole percents 1–100 separated by commas, e.g. 5,50,100', EXIT.usage);
    q.rolloutSteps = steps;
  }
  if (o.rolloutInterval !== undefined) q.rolloutInterval = o.rolloutInterval;
  if (o.rolloutMinCalls !== undefined) {
    const n = Number(o.rolloutMinCalls);
    if (!Number.isInteger(n) || n < 1) throw new CliError('--rollout-min-calls takes a whole number from 1', EXIT.usage);
    q.rolloutMinCalls = n;
  }
  if (o.shadowFirst !== undefined) q.shadowFirst = percent(o.shadowFirst, 'shadow-first', 1, 100);
  if (o.rollout === false && Object.keys(q).length) throw new CliError('--no-rollout with rollout settings', EXIT.usage);
  if (o.rollout !== undefined || Object.keys(q).length) q.rollout = o.rollout ?? true;
  return q;
}

/** The deploy's query from its options: at most one of --canary, --shadow, --no-promote, a rollout. */
function deployQuery(o: DeployOptions): DeployQuery {
  const rollout = rolloutQuery(o);
  if ([o.canary, o.shadow, o.promote ? undefined : 'x', rollout.rollout ? 'x' : undefined].filter(Boolean).length > 1) throw new CliError('choose one of --canary, --shadow, --no-promote, --rollout', EXIT.usage);
  return { ...(o.canary ? { canary: percent(o.canary, 'canary', 1, 99) } : {}), ...(o.shadow ? { shadow: percent(o.shadow, 'shadow', 1, 100) } : {}), ...(o.promote ? {} : { promote: false }), ...(o.namespace ? { namespace: o.namespace } : {}), ...rollout };
}

/** init, build, deploy: from a function folder to a deployed version. */
export function registerDeployCommands(program: Command, ctx: Ctx): void {
  program
    .command('init <name>')
    .description('scaffold a working function folder (manifest, handler, a test input); with --model, one that serves a TensorFlow.js model as it is')
    .option('--dir <parent>', 'where to create it', '.')
    .option('--model <path>', "a TensorFlow.js model.json (layers or graph model) or its folder: copied in, the input schema taken from the model's input shapes")
    .action(async (name: string, o: { dir: string; model?: string }) => {
      const created = (r: { dir: string; files: string[] }, about = '') => `created ${r.dir}\n  ${r.files.join('\n  ')}${about}\nnext: autoglm deploy ${r.dir}`;
      if (!o.model) {
        const r = initFunction(name, o.dir);
        return ctx().out.print(r, () => created(r));
      }
      // Loaded here: it brings TensorFlow.js, which every other command would start slower for.
      const { initModelFunction } = await import('./init-model.ts');
      const r = await initModelFunction(name, o.dir, o.model);
      ctx().out.print(r, () => created(r, `\n${r.format}: ${r.inputs.map((s) => `input ${s.name} ${s.dtype} ${shapeText(s.shape)}`).join(', ')} per call`));
    });

  program
    .command('build <dir>')
    .description('validate, type-check and bundle a function folder into a content-addressed archive')
    .option('--out <file>', 'where to write the archive (default <dir>/.build/<name>-<version>.tgz)')
    .option('--no-typecheck', 'skip the TypeScript check')
    .option('--env <KEY=VALUE>', ENV_HELP, collectEnv, {})
    .action(async (dir: string, o: { out?: string; typecheck: boolean; env: Record<string, string> }) => {
      const b = await build(dir, o.typecheck, o.env);
      const out = resolve(o.out ?? join(dir, '.build', `${b.manifest.name}-${b.version}.tgz`));
      mkdirSync(resolve(out, '..'), { recursive: true });
      writeFileSync(out, b.archive);
      const data = { name: b.manifest.name, version: b.version, hash: b.hash, size: b.archive.length, path: out, files: b.files };
      ctx().out.print(data, () => `${b.manifest.name}@${b.version}  ${formatBytes(b.archive.length)}  sha256:${b.hash}\n${table(['file', 'size'], b.files.map((f) => [f.path, formatBytes(f.size)]))}\nwrote ${out}`);
    });

  program
    .command('deploy <dir>')
    .description('build a function folder (or take a built .tgz) and deploy it as a new version')
    .option('--canary <percent>', 'send this percent of calls to the new version, the rest to the stable one')
    .option('--shadow <percent>', 'mirror this percent of calls to the new version (outputs recorded, not returned)')
    .option('--no-promote', 'record the version without giving it traffic')
    .option('--rollout', "roll the version out under analysis: the manifest's `rollout` settings, or 10,25,50,100% in 1m windows (a manifest with `rollout` rolls out without this flag)")
    .option('--no-rollout', "promote at once even if the manifest declares a rollout")
    .option('--rollout-steps <percents>', 'rollout steps, e.g. 5,50,100 (implies --rollout)')
    .option('--rollout-interval <duration>', "length of a rollout's analysis window, e.g. 30s (implies --rollout)")
    .option('--rollout-min-calls <n>', "calls of the new version a window needs for a verdict (implies --rollout)")
    .option('--shadow-first <percent>', 'a shadow step mirroring this percent of calls before the first canary step (implies --rollout)')
    .option('--no-typecheck', 'skip the TypeScript check')
    .option('-n, --namespace <namespace>', "namespace of a new function (default: 'default')")
    .option('--env <KEY=VALUE>', ENV_HELP, collectEnv, {})
    .action(async (dir: string, o: DeployOptions & { typecheck: boolean; env: Record<string, string> }) => {
      const c = ctx();
      const q = deployQuery(o);
      const b = await bundleFrom(dir, o.typecheck, o.env);
      const bar = c.out.json ? undefined : progressBar(`uploading ${b.name}@${b.version}`);
      const r = await c.api().deploy(b.archive, b.hash, q, (sent, total) => bar?.update(sent, total));
      bar?.done();
      const d = r.body;
      const rolling = d.rollout ? `\nrolling out: steps ${d.rollout.steps.join(', ')}% in windows of ${d.rollout.intervalMs / 1000} s; follow it with: autoglm rollout status ${d.name}` : '';
      c.out.print(d, () => `${d.created ? 'deployed' : 'already deployed'} ${d.name}@${d.version}${d.check ? ` (loaded on ${d.check.device} in ${d.check.loadMs} ms)` : ''}\ntraffic: ${trafficLine(d.traffic)}${rolling}`);
    });
}
