import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  AUDIT_KEYS_FILE,
  AuditLogNotFoundError,
  MAX_QUERY_LIMIT,
  parseAuditKeys,
  parseAuditTime,
  queryAuditDir,
  sinkedHeadsFile,
  verifyAuditDir,
  type AuditEntry,
  type AuditFilter,
  type AuditKeyring,
  type BadRecord,
  type HeadAnchors,
  type VerifyReport,
} from '../../audit/index.ts';
import { CliError, EXIT } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { plural, table } from '../output.ts';

type Ctx = () => CliContext;

/** `audit verify` found a bad record: distinct from every other status, so a cron job can alert on it. */
export const EXIT_AUDIT_FAILED = 6;

const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** `--dir` takes the audit directory or the state directory holding it. */
export function auditDirOf(dir: string): string {
  const abs = resolve(dir);
  const auditDir = basename(abs) !== 'audit' && isDir(join(abs, 'audit')) ? join(abs, 'audit') : abs;
  if (!isDir(auditDir)) throw new CliError(`no audit log in ${auditDir}`, EXIT.usage);
  return auditDir;
}

/**
 * The keys an offline verify checks records with: `--keys <file>` (a copy of the state
 * directory's `audit-keys`, or `AUTOGLM_AUDIT_KEYS`'s value), else the `audit-keys` file beside
 * the audit directory. Undefined when there is none: keyed records then fail, unauthenticated.
 */
export function auditKeysOf(auditDir: string, file?: string): AuditKeyring | undefined {
  const path = file ? resolve(file) : join(dirname(auditDir), AUDIT_KEYS_FILE);
  let spec: string;
  try {
    spec = readFileSync(path, 'utf8').trim();
  } catch (err) {
    if (!file && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read the audit keys in ${path}: ${(err as Error).message}`, EXIT.usage);
  }
  try {
    return parseAuditKeys(spec);
  } catch (err) {
    throw new CliError(`${path}: ${(err as Error).message}`, EXIT.usage);
  }
}

/** The heads an audit sink received, from its log file (`--heads`). */
async function sinkHeadsOf(file: string): Promise<HeadAnchors> {
  try {
    return await sinkedHeadsFile(resolve(file));
  } catch (err) {
    throw new CliError(`cannot read the sink's heads in ${file}: ${(err as Error).message}`, EXIT.usage);
  }
}

/** `match`, `behind by 3`, … : how the files compare with the head anchored in Redis (or the sink). */
const anchorText = (c: VerifyReport['chains'][number], source: string): string => {
  const a = c.headAnchor;
  if (!a) return '';
  if (a.status === 'behind') return `, ${source} ${a.behind} record(s) behind (seq ${a.seq})`;
  return `, ${source} ${a.status}${a.seq !== undefined ? ` (seq ${a.seq})` : ''}`;
};

/** Runs an offline read; a missing directory is the user's mistake, not a failed verification. */
async function offline<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AuditLogNotFoundError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/** `host-0/0000000000000001_2024-05-01.jsonl line 5 (seq 5)` */
export const whereBad = (b: BadRecord): string => `${b.file}${b.line ? ` line ${b.line}` : ''}${b.seq !== undefined ? ` (seq ${b.seq})` : ''}`;

/** The human form of a verification report. */
export function verifyText(r: VerifyReport, anchorSource = 'Redis anchor'): string {
  const chains = r.chains.map((c) => {
    const range = c.records ? `seq ${c.firstSeq}..${c.lastSeq}` : 'empty';
    const pruned = c.anchorSeq !== undefined ? `, pruned up to seq ${c.anchorSeq}` : '';
    const legacy = c.legacy ? `, ${c.legacy.records} unkeyed legacy record(s) up to seq ${c.legacy.lastSeq}` : '';
    return `  ${c.ok ? 'ok    ' : 'FAILED'}  ${c.chain}  ${plural(c.records, 'record')} (${range}${pruned}), ${c.segments} segment(s)${legacy}${anchorText(c, anchorSource)}${c.torn ? ', last write in progress' : ''}`;
  });
  // Offline, only the files are read: a cut tail with head.json rewritten, or a deleted chain, needs Redis's anchors.
  const notes = r.chains.some((c) => !c.headAnchor) ? ['  Redis anchors not checked (offline): verify through the server to see cut tails and deleted chains'] : [];
  if (r.ok) return [`audit log intact: ${plural(r.records, 'record')} in ${r.chains.length} chain(s)`, ...chains, ...notes].join('\n');
  const b = r.firstBad!;
  return ['AUDIT LOG FAILED VERIFICATION', `  first bad record: ${whereBad(b)}`, `  reason: ${b.reason}`, ...chains, ...notes].join('\n');
}

/** The human form of query results. */
export function entriesTable(items: AuditEntry[]): string {
  if (items.length === 0) return 'no matching records';
  return table(
    ['TIME', 'ACTOR', 'ACTION', 'FUNCTION', 'OUTCOME', 'MS', 'REQUEST'],
    items.map((r) => [
      r.time,
      r.actor,
      r.action,
      r.function ? `${r.function}${r.version ? `@${r.version}` : ''}` : (r.jobId ?? r.target),
      r.outcome === 'ok' ? 'ok' : `${r.outcome} ${r.code ?? ''}`.trim(),
      r.durationMs,
      r.requestId,
    ]),
  );
}

interface QueryOptions {
  actor?: string;
  function?: string;
  action?: string;
  outcome?: string;
  namespace?: string;
  job?: string;
  requestId?: string;
  since?: string;
  until?: string;
  limit: string;
  dir?: string;
}

/** Checks the query flags once, turning ages (`24h`) into times on this machine's clock. */
export function queryFilter(o: QueryOptions, now: Date = new Date()): AuditFilter & { limit: number } {
  const when = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const t = parseAuditTime(v, now);
    if (!t) throw new CliError(`--${flag} takes an ISO 8601 time (2024-05-01T12:00:00Z) or an age (24h, 7d), got ${JSON.stringify(v)}`, EXIT.usage);
    return t;
  };
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) throw new CliError(`--limit takes a whole number from 1 to ${MAX_QUERY_LIMIT}`, EXIT.usage);
  if (o.outcome !== undefined && !['ok', 'error', 'denied'].includes(o.outcome)) throw new CliError('--outcome takes ok, error or denied', EXIT.usage);
  const since = when('since', o.since);
  const until = when('until', o.until);
  return {
    ...(o.actor ? { actor: o.actor } : {}),
    ...(o.function ? { function: o.function } : {}),
    ...(o.action ? { action: o.action } : {}),
    ...(o.outcome ? { outcome: o.outcome as 'ok' | 'error' | 'denied' } : {}),
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.job ? { jobId: o.job } : {}),
    ...(o.requestId ? { requestId: o.requestId } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    limit,
  };
}

/**
 * How long the server may take, on top of the CLI's answer timeout, to verify or scan the audit
 * log: it reads every record (verification ~30,000–55,000 records/s, docs/audit.md), so a log of
 * millions takes minutes, and the answer comes only at the end.
 */
const AUDIT_SCAN_HOLD_MS = 60 * 60_000;

/** The filter as `GET /v1/audit` query parameters. */
function queryString(f: AuditFilter & { limit: number }): string {
  const q = new URLSearchParams();
  for (const k of ['actor', 'function', 'action', 'outcome', 'namespace', 'jobId', 'requestId'] as const) if (f[k]) q.set(k, f[k]!);
  if (f.since) q.set('since', f.since.toISOString());
  if (f.until) q.set('until', f.until.toISOString());
  q.set('limit', String(f.limit));
  return q.toString();
}

/** audit verify | query: through the server (admin token), or on the files with `--dir`. */
export function registerAuditCommands(program: Command, ctx: Ctx): void {
  const audit = program.command('audit').description('verify and search the audit trail (admin)');
  audit
    .command('verify')
    .description(`check every hash chain; exit ${EXIT_AUDIT_FAILED} and name the first bad record when one fails`)
    .option('--dir <path>', 'check the files directly, no server: <state-dir>/audit, or a copy of it')
    .option('--keys <file>', `with --dir: the audit keys (default: ${AUDIT_KEYS_FILE} in the state directory)`)
    .option('--heads <file>', "with --dir: check each chain's end against the heads the audit sink received (its log, or an export of it)")
    .action(async (o: { dir?: string; keys?: string; heads?: string }) => {
      const c = ctx();
      if (o.heads && !o.dir) throw new CliError('--heads checks files: give --dir too (the server checks against Redis)', EXIT.usage);
      const offlineVerify = async (dir: string) => {
        const keys = auditKeysOf(dir, o.keys);
        const heads = o.heads ? await sinkHeadsOf(o.heads) : undefined;
        return verifyAuditDir(dir, { ...(keys ? { keys } : {}), ...(heads ? { anchors: heads, anchorsIn: 'the sink' } : {}) });
      };
      const report: VerifyReport = o.dir ? await offline(() => offlineVerify(auditDirOf(o.dir!))) : (await c.api().request('GET', '/v1/audit/verify', { holdMs: AUDIT_SCAN_HOLD_MS })).body;
      c.out.print(report, () => verifyText(report, o.heads ? 'sink head' : undefined));
      if (!report.ok) throw new CliError(`audit log verification failed at ${whereBad(report.firstBad!)}: ${report.firstBad!.reason}`, EXIT_AUDIT_FAILED);
    });
  audit
    .command('query')
    .description('list audit records, newest first')
    .option('--actor <sub>', "caller's token subject")
    .option('-f, --function <name>', 'function')
    .option('--action <action>', 'e.g. function.deploy, invoke, access.denied')
    .option('--outcome <outcome>', 'ok, error or denied')
    .option('--namespace <ns>', 'namespace')
    .option('--job <id>', "one job's records: its submission and what was done to it")
    .option('--request-id <id>', "one request's record (a response's X-Request-Id)")
    .option('--since <time>', 'at or after: ISO 8601 time or an age (24h, 7d)')
    .option('--until <time>', 'at or before: ISO 8601 time or an age')
    .option('--limit <n>', 'at most this many', '100')
    .option('--dir <path>', 'read the files directly, no server: <state-dir>/audit, or a copy of it')
    .action(async (o: QueryOptions) => {
      const c = ctx();
      const f = queryFilter(o);
      const items: AuditEntry[] = o.dir ? await offline(() => queryAuditDir(auditDirOf(o.dir!), f)) : (await c.api().request('GET', `/v1/audit?${queryString(f)}`, { holdMs: AUDIT_SCAN_HOLD_MS })).body.items;
      c.out.print({ items }, () => entriesTable(items));
    });
}
