import type { Command } from 'commander';
import { CliError, EXIT } from '../cli-error.ts';
import type { CliContext } from '../context.ts';

type Ctx = () => CliContext;

interface GiveOptions {
  correct?: boolean;
  wrong?: boolean;
  score?: string;
  label?: string;
  comment?: string;
}

/** The request body of `autoglm feedback <job-id>`: exactly one judgement, and the comment. */
function feedbackBody(o: GiveOptions): Record<string, unknown> {
  const given = [o.correct && 'correct', o.wrong && 'wrong', o.score !== undefined && 'score', o.label !== undefined && 'label'].filter(Boolean);
  if (given.length !== 1) throw new CliError('give exactly one of --correct, --wrong, --score <0..1> or --label <json>', EXIT.usage);
  const comment = o.comment === undefined ? {} : { comment: o.comment };
  if (o.correct || o.wrong) return { correct: Boolean(o.correct), ...comment };
  if (o.score !== undefined) {
    const score = Number(o.score);
    if (o.score.trim() === '' || !(score >= 0 && score <= 1)) throw new CliError(`--score must be a number from 0 to 1, got ${o.score}`, EXIT.usage);
    return { score, ...comment };
  }
  try {
    return { label: JSON.parse(o.label!), ...comment };
  } catch {
    throw new CliError(`--label must be JSON (quote a string: '"refund_request"'), got ${o.label}`, EXIT.usage);
  }
}

/** Writes to standard output and waits until it took the text (a large export to a slow pipe). */
const writeOut = (text: string): Promise<void> => new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));

/** A page's body as JSON Lines text: the client parses a one-line page as JSON, so give it back its line. */
const linesOf = (body: unknown): string => (body === undefined ? '' : typeof body === 'string' ? body : `${JSON.stringify(body)}\n`);

/** `feedback <job-id>` and `feedback export <name>`. */
export function registerFeedbackCommands(program: Command, ctx: Ctx): void {
  const fb = program
    .command('feedback')
    .description("judge a job's output (one record per job; a second replaces it), or export a function's feedback")
    .argument('<job-id>', 'the job, or an item of a bulk job or grouped call (`<job>.<index>`)')
    .option('--correct', 'the output was right')
    .option('--wrong', 'the output was wrong')
    .option('--score <0..1>', 'how good the output was')
    .option('--label <json>', 'the right answer, as JSON (what the function should have returned, or the part its manifest names)')
    .option('--comment <text>', 'a note kept with the record')
    .action(async (id: string, o: GiveOptions) => {
      const c = ctx();
      const r = await c.api().request('POST', `/v1/jobs/${encodeURIComponent(id)}/feedback`, { body: feedbackBody(o) });
      const f = r.body;
      c.out.print(f, () => `${f.replaced ? 'replaced' : 'recorded'} feedback on ${f.jobId} (${f.function}@${f.version}): score ${f.score}`);
    });
  fb.command('export <name>')
    .description("write a function's feedback records to standard output as JSON Lines, oldest first (input, output, feedback, score, who, when)")
    .option('--since <time>', 'records given from then on: a duration back from now (7d) or an ISO time')
    .option('--version <version>', 'only records of this version')
    .action(async (name: string, o: { since?: string; version?: string }) => {
      const c = ctx();
      const q = new URLSearchParams({ limit: '1000', ...(o.since ? { since: o.since } : {}), ...(o.version ? { version: o.version } : {}) });
      // Follow the cursor to the last page.
      for (let cursor: string | null = null; ; ) {
        if (cursor) q.set('cursor', cursor);
        const r = await c.api().request('GET', `/v1/functions/${encodeURIComponent(name)}/feedback?${q}`);
        await writeOut(linesOf(r.body));
        cursor = r.headers.get('x-next-cursor');
        if (!cursor) break;
      }
    });
}
