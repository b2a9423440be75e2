import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { plural, table, trafficLine } from '../output.ts';
import { formatBytes } from '../progress.ts';

type Ctx = () => CliContext;

/** `functions describe` as text: the function, its traffic, and a row per version with what the workers ran of it. */
function describeText(f: any): string {
  return [
    `${f.name}  (${f.namespace})  ${f.description}`,
    `stable:  ${f.stable ?? '-'}`,
    `traffic: ${trafficLine(f.traffic)}`,
    f.traffic.history.length ? `rollback to: ${f.traffic.history.at(-1)}` : 'rollback to: -',
    `rollout: ${f.rollout ? `${f.rollout.state} ${f.rollout.version}, step ${f.rollout.step + 1} of ${f.rollout.steps}${f.rollout.reason ? ` (${f.rollout.reason})` : ''}` : '-'}`,
    // What the stable version reads (`autoglm secret ls` has the values' dates, never the values).
    `secrets: ${f.versions.find((v: any) => v.version === f.stable)?.secrets?.join(', ') || '-'}`,
    '',
    table(
      ['VERSION', 'TRAFFIC', 'SHADOW', 'CREATED', 'BY', 'SIZE', 'TIMEOUT', 'BATCH', 'RAN', 'FAILED', 'MEAN BATCH', 'P95 WAIT', 'P95 CALL', 'FEEDBACK', 'SCORE'],
      f.versions.map((v: any) => {
        // What the live workers ran of it: what to tune `batching` by.
        const r = v.running;
        const ms = (x: number | undefined) => (x === undefined ? undefined : `${x}ms`);
        // Feedback on its outputs: records, and their mean score as a percentage (share correct, mean score, label agreement).
        const fb = v.feedback;
        return [v.version, `${v.traffic}%`, v.shadow ? `${v.shadow}%` : '-', v.createdAt, v.createdBy, formatBytes(v.size), `${v.timeoutMs}ms`, v.batching.maxSize, r?.ok, r?.failed, r?.meanBatchSize, ms(r?.queueP95Ms), ms(r?.runP95Ms), fb?.count, fb?.score == null ? undefined : `${Math.round(fb.score * 1000) / 10}%`];
      }),
    ),
  ].join('\n');
}

/** A trained version's origin and evaluation: `from <v> on <n> records (sha256 …): rocAuc 0.97 vs 0.96 (better)`. */
function trainedText(t: any): string | undefined {
  if (!t) return undefined;
  const m = (x: number | undefined) => (x === undefined ? '-' : x.toPrecision(4));
  return `from ${t.from} on ${plural(t.dataset.records, `${t.dataset.source} record`)} (${t.dataset.hash.slice(0, 12)}): ${t.primaryMetric} ${m(t.metrics[t.primaryMetric])} vs ${m(t.baseline?.[t.primaryMetric])} (${t.verdict})`;
}

/** `functions ls`, `describe`, `versions`, `rm`. */
export function registerFunctionCommands(program: Command, ctx: Ctx): void {
  const fns = program.command('functions').description('list, describe and remove functions');
  fns
    .command('ls')
    .description('list functions')
    .action(async () => {
      const c = ctx();
      const r = await c.api().request('GET', '/v1/functions');
      c.out.print(r.body, () => table(['NAME', 'STABLE', 'VERSIONS', 'TRAFFIC', 'DESCRIPTION'], r.body.items.map((f: any) => [f.name, f.stable, f.versionCount, trafficLine(f.traffic), f.description])));
    });
  fns
    .command('describe <name>')
    .description('versions, traffic and settings of a function')
    .action(async (name: string) => {
      const c = ctx();
      const r = await c.api().request('GET', `/v1/functions/${encodeURIComponent(name)}`);
      const f = r.body;
      c.out.print(f, () => describeText(f));
    });
  fns
    .command('versions <name>')
    .description("list a function's versions, newest first")
    .action(async (name: string) => {
      const c = ctx();
      const r = await c.api().request('GET', `/v1/functions/${encodeURIComponent(name)}/versions`);
      const env = (e: Record<string, string> = {}) => Object.entries(e).map(([k, v]) => `${k}=${v}`).join(' ') || undefined;
      c.out.print(r.body, () =>
        table(
          ['VERSION', 'TRAFFIC', 'SHADOW', 'CREATED', 'SHA256', 'ENV', 'SECRETS', 'TRAINED'],
          r.body.items.map((v: any) => [v.version, `${v.traffic}%`, v.shadow ? `${v.shadow}%` : '-', v.createdAt, v.hash, env(v.env), v.secrets?.join(',') || undefined, trainedText(v.training)]),
        ),
      );
    });
  fns
    .command('rm <name>')
    .description('remove a function (refused while it has jobs, unless --force)')
    .option('--force', 'cancel its queued jobs and remove it anyway')
    .action(async (name: string, o: { force?: boolean }) => {
      const c = ctx();
      await c.api().request('DELETE', `/v1/functions/${encodeURIComponent(name)}${o.force ? '?force=true' : ''}`);
      c.out.print({ removed: name }, () => `removed ${name}`);
    });
}
