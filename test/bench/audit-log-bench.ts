/**
 * The audit log under bursts of appends: `npx tsx test/bench/audit-log-bench.ts`. Each round
 * appends AUDIT_BURSTS bursts of AUDIT_BURST records, one turn of the event loop between bursts
 * (a busy router's shape: many requests answered per turn), then flushes. It reports the append
 * rate, the rate records reached the disk, and the largest backlog (appended, not yet in head.json)
 * seen between bursts: it levels off while flushing keeps up, and appends throw once it reaches
 * maxPending. These figures were once a test (runtime/audit/audit-log.test.ts keeps the part
 * that does not depend on the disk's speed: records reach the disk while bursts continue).
 *
 * Env: AUDIT_ROUNDS [5], AUDIT_BURSTS [150], AUDIT_BURST [500]. Prints a Markdown table; no pass/fail.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../functions/sdk/index.ts';
import { AuditLog, newAuditKeySpec, parseAuditKeys, type AuditEvent } from '../../runtime/audit/index.ts';
import { markdownTable, num } from './table.ts';

const ROUNDS = Number(process.env.AUDIT_ROUNDS ?? 5);
const BURSTS = Number(process.env.AUDIT_BURSTS ?? 150);
const BURST = Number(process.env.AUDIT_BURST ?? 500);
const EVENT: AuditEvent = { actor: 'alice', roles: ['admin'], action: 'invoke', function: 'echo', version: 'abcdef123456', outcome: 'ok', durationMs: 3 };

interface Round {
  appendsPerS: number;
  writtenPerS: number;
  maxBacklog: number;
  refused: number;
}

async function round(keys: ReturnType<typeof parseAuditKeys>): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'autoglm-audit-bench-'));
  const headFile = join(dir, 'bench', 'head.json');
  const headSeq = () => (existsSync(headFile) ? (JSON.parse(readFileSync(headFile, 'utf8')) as { seq: number }).seq : 0);
  const log = await AuditLog.open({ dir, keys, chainId: 'bench', log: createLogger({}, 'error'), pruneIntervalMs: 0, flushBatch: 500, maxPending: 30_000 });
  let appended = 0;
  let refused = 0;
  let maxBacklog = 0;
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < BURSTS; b++) {
    for (let i = 0; i < BURST; i++) {
      try {
        log.append(EVENT);
        appended++;
      } catch {
        refused++;
      }
    }
    await new Promise((r) => setImmediate(r));
    maxBacklog = Math.max(maxBacklog, appended - headSeq());
  }
  const appendedAt = process.hrtime.bigint();
  await log.close();
  const s = (t: bigint) => Number(t - t0) / 1e9;
  rmSync(dir, { recursive: true, force: true });
  return { appendsPerS: appended / s(appendedAt), writtenPerS: appended / s(process.hrtime.bigint()), maxBacklog, refused };
}

async function main(): Promise<void> {
  const keys = parseAuditKeys(newAuditKeySpec('bench'));
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await round(keys));
  const rows = rounds.map((r, i) => [String(i + 1), num(r.appendsPerS), num(r.writtenPerS), num(r.maxBacklog), String(r.refused)]);
  process.stdout.write(`Audit log: ${BURSTS} bursts of ${BURST} appends, one event-loop turn between them (maxPending 30,000)\n\n`);
  process.stdout.write(markdownTable(['round', 'appends/s', 'written/s (to close)', 'largest backlog', 'refused appends'], rows) + '\n');
}

await main();
