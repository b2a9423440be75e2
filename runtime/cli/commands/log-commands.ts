import type { Command } from 'commander';
import type { FunctionLogLine } from '../../../queue/cluster/index.ts';
import { CliError, EXIT } from '../cli-error.ts';
import type { CliContext } from '../context.ts';

type Ctx = () => CliContext;

/** A line as `GET /v1/functions/{name}/logs` returns it: the function is the one asked for. */
type LogLine = Omit<FunctionLogLine, 'fn'>;
type LogPage = { lines: LogLine[]; next: string | null };

/** How often `--follow` asks for new lines. */
const FOLLOW_MS = 1000;

/** `2026-11-26T20:30:01.123Z  info   4f948aff2795  cpu:0  scored {"n":3}  [risk.m1x….0-31 risk.m1y… +5]` */
export function logText(l: LogLine): string {
  const fields = l.fields && Object.keys(l.fields).length ? ` ${JSON.stringify(l.fields)}` : '';
  // The batch's jobs, as runs (`<job>.<first>-<last>`): the first two, and how many more.
  const more = (l.jobs?.length ?? 0) > 2 ? ` +${l.jobs!.length - 2}` : '';
  const jobs = l.jobs?.length ? `  [${l.jobs.slice(0, 2).join(' ')}${more}]` : '';
  return `${new Date(l.t).toISOString()}  ${l.level.padEnd(5)}  ${l.version || '-'}  ${l.device || '-'}  ${l.msg}${fields}${jobs}`;
}

interface LogsOptions {
  since?: string;
  version?: string;
  level?: string;
  job?: string;
  limit: string;
  follow?: boolean;
}

/** `autoglm logs <name>`: what a function's code wrote, newest last; `--follow` keeps printing. */
export function registerLogCommands(program: Command, ctx: Ctx): void {
  program
    .command('logs <name>')
    .description("what a function's code wrote (ctx.log, console.*), with version, device and job ids; --json prints JSON Lines")
    .option('--since <when>', 'from this time (ISO 8601) or this long ago (10m, 2h, 1d); default: the newest lines')
    .option('--version <version>', 'only lines of this version')
    .option('--level <level>', 'only lines at this level or above: debug, info, warn, error')
    .option('--job <id>', 'only lines of the handler calls that ran this job (or item)')
    .option('-n, --limit <n>', 'at most this many lines (1-1000)', '100')
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .action(async (name: string, o: LogsOptions) => {
      const c = ctx();
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError('--limit takes a whole number from 1 to 1000', EXIT.usage);
      const filters = { ...(o.version ? { version: o.version } : {}), ...(o.level ? { level: o.level } : {}), ...(o.job ? { job: o.job } : {}) };
      const read = async (q: Record<string, string>): Promise<LogPage> => {
        const query = new URLSearchParams({ limit: String(limit), ...filters, ...q });
        return (await c.api().request<LogPage>('GET', `/v1/functions/${encodeURIComponent(name)}/logs?${query}`)).body;
      };
      const show = (lines: LogLine[]) => {
        for (const l of lines) process.stdout.write((c.out.json ? JSON.stringify(l) : logText(l)) + '\n');
      };
      const started = new Date().toISOString();
      let page = await read(o.since ? { since: o.since } : {});
      show(page.lines);
      if (!o.follow) return;
      for (;;) {
        await new Promise((r) => setTimeout(r, FOLLOW_MS));
        // Until the log has a line, follow from when this command started (or --since).
        page = await read(page.next ? { after: page.next } : { since: o.since ?? started });
        show(page.lines);
      }
    });
}
