import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../functions/sdk/index.ts';
import { AUDIT_KEYS_FILE, AuditLog, newAuditKeySpec, parseAuditKeys } from '../../audit/index.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { EXIT, describeError } from '../cli-error.ts';
import { createOutput } from '../output.ts';
import { EXIT_AUDIT_FAILED, registerAuditCommands } from './audit-commands.ts';

let stateDir: string;
let auditDir: string;

/** Runs `autoglm <args>` as main.ts does: same option, same error handling, output captured. */
async function runCli(args: string[], api?: ApiClient): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  const program = new Command('autoglm').option('--json').exitOverride();
  program.configureOutput({ writeOut: (s) => (stdout += s), writeErr: () => undefined });
  const out = { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WriteStream;
  registerAuditCommands(program, () => ({
    env: { configPath: '/nonexistent' },
    api: () => api ?? (() => { throw new Error('no server in this test'); })(),
    out: createOutput(Boolean(program.opts().json), out, out),
  }));
  for (const c of [...program.commands, ...program.commands.flatMap((c) => c.commands)]) c.exitOverride();
  try {
    await program.parseAsync(['node', 'autoglm', ...args]);
    return { code: EXIT.ok, stdout, stderr: '' };
  } catch (err) {
    if (err instanceof CommanderError) return { code: err.exitCode === 0 ? 0 : EXIT.usage, stdout, stderr: err.message };
    const { line, code } = describeError(err);
    return { code, stdout, stderr: line };
  }
}

beforeEach(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'autoglm-audit-cli-'));
  auditDir = join(stateDir, 'audit');
  // As the router keeps it: the keyring in the state directory, beside audit/.
  writeFileSync(join(stateDir, AUDIT_KEYS_FILE), newAuditKeySpec('k1') + '\n', { mode: 0o600 });
  const keys = parseAuditKeys(readFileSync(join(stateDir, AUDIT_KEYS_FILE), 'utf8').trim());
  const log = await AuditLog.open({ dir: auditDir, keys, chainId: 'c', log: createLogger({}, 'error', () => undefined), pruneIntervalMs: 0 });
  for (const actor of ['alice', 'bob', 'alice', 'carol']) log.append({ actor, roles: ['deployer'], action: 'function.deploy', function: 'echo', outcome: 'ok', durationMs: 5 });
  await log.close();
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const segment = () => join(auditDir, 'c', readdirSync(join(auditDir, 'c')).find((f) => f.endsWith('.jsonl'))!);

describe('autoglm audit verify --dir', () => {
  it('exits 0 on a clean log (audit dir or state dir)', async () => {
    const r = await runCli(['audit', 'verify', '--dir', auditDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('audit log intact: 4 records in 1 chain(s)');
    expect((await runCli(['audit', 'verify', '--dir', stateDir])).code).toBe(0);
  });

  it(`exits ${EXIT_AUDIT_FAILED} and names the first bad record when tampered`, async () => {
    const p = segment();
    writeFileSync(p, readFileSync(p, 'utf8').replace(/"actor":"alice"(?![\s\S]*"actor":"alice")/, '"actor":"mallory"'));
    const r = await runCli(['audit', 'verify', '--dir', auditDir]);
    expect(r.code).toBe(EXIT_AUDIT_FAILED);
    expect(r.stdout).toContain('AUDIT LOG FAILED VERIFICATION');
    expect(r.stdout).toMatch(/first bad record: c\/\d{16}_\d{4}-\d{2}-\d{2}\.jsonl line 3 \(seq 3\)/);
    expect(r.stderr).toMatch(/verification failed at .* line 3 \(seq 3\): hash mismatch/);
    const j = await runCli(['--json', 'audit', 'verify', '--dir', auditDir]);
    expect(j.code).toBe(EXIT_AUDIT_FAILED);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, firstBad: { chain: 'c', line: 3, seq: 3 } });
  });

  it('reads the keys from the state directory, or --keys; without them keyed records fail, unauthenticated', async () => {
    const keysFile = join(stateDir, AUDIT_KEYS_FILE);
    const copy = mkdtempSync(join(tmpdir(), 'autoglm-audit-copy-'));
    try {
      cpSync(auditDir, join(copy, 'audit'), { recursive: true });
      const withoutKeys = await runCli(['audit', 'verify', '--dir', join(copy, 'audit')]);
      expect(withoutKeys.code).toBe(EXIT_AUDIT_FAILED);
      expect(withoutKeys.stderr).toMatch(/\(seq 1\): sealed with audit key 'k1', which this verification does not have/);
      const withKeys = await runCli(['audit', 'verify', '--dir', join(copy, 'audit'), '--keys', keysFile]);
      expect(withKeys.code).toBe(0);
      expect(withKeys.stdout).toContain('Redis anchors not checked (offline)');
      writeFileSync(join(copy, 'bad-keys'), 'k1:short\n');
      expect((await runCli(['audit', 'verify', '--dir', join(copy, 'audit'), '--keys', join(copy, 'bad-keys')])).code).toBe(EXIT.usage);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('checks each chain against the heads an audit sink received (--heads): a cut tail with head.json rewritten fails', async () => {
    const recs = readFileSync(segment(), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number; hash: string; time: string });
    const heads = join(stateDir, 'sink.log');
    // As a syslog server keeps them: its own prefix, then the JSON the router sent; other lines between.
    writeFileSync(heads, [
      `<110>1 2024-05-01T10:00:00Z host autoglm 42 audit-head - {"type":"autoglm.audit.head","chain":"c","seq":2,"hash":"${recs[1]!.hash}","kid":"k1"}`,
      'an unrelated line',
      `<110>1 2024-05-01T10:00:01Z host autoglm 42 audit-head - {"type":"autoglm.audit.head","chain":"c","seq":4,"hash":"${recs[3]!.hash}","kid":"k1"}`,
    ].join('\n'));
    const ok = await runCli(['audit', 'verify', '--dir', auditDir, '--heads', heads]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('sink head match (seq 4)');
    expect(ok.stdout).not.toContain('not checked');
    // Record 4 cut off and head.json moved back to record 3: the files alone still verify.
    writeFileSync(segment(), readFileSync(segment(), 'utf8').split('\n').filter(Boolean).slice(0, 3).map((l) => l + '\n').join(''));
    const head = JSON.parse(readFileSync(join(auditDir, 'c', 'head.json'), 'utf8'));
    writeFileSync(join(auditDir, 'c', 'head.json'), JSON.stringify({ ...head, seq: 3, hash: recs[2]!.hash, time: recs[2]!.time }));
    expect((await runCli(['audit', 'verify', '--dir', auditDir])).code).toBe(0);
    const cut = await runCli(['audit', 'verify', '--dir', auditDir, '--heads', heads]);
    expect(cut.code).toBe(EXIT_AUDIT_FAILED);
    expect(cut.stderr).toContain('records 4..4 are missing from the end: the chain is anchored in the sink at seq 4');
    expect((await runCli(['audit', 'verify', '--heads', heads])).code).toBe(EXIT.usage);
  });

  it('is a usage error for a directory without a log', async () => {
    expect((await runCli(['audit', 'verify', '--dir', join(stateDir, 'nope')])).code).toBe(EXIT.usage);
  });
});

describe('autoglm audit query --dir', () => {
  it('prints a table, newest first, filtered', async () => {
    const r = await runCli(['audit', 'query', '--dir', auditDir, '--actor', 'alice']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^TIME\s+ACTOR\s+ACTION\s+FUNCTION\s+OUTCOME\s+MS\s+REQUEST$/);
    expect(rows.slice(1).map((l) => l.split(/\s+/)[1])).toEqual(['alice', 'alice']);
  });

  it('prints JSON with --json', async () => {
    const r = await runCli(['--json', 'audit', 'query', '--dir', auditDir, '--limit', '2', '--since', '1h']);
    expect(JSON.parse(r.stdout).items.map((i: { actor: string; seq: number }) => `${i.actor}:${i.seq}`)).toEqual(['carol:4', 'alice:3']);
  });

  it('refuses bad flags as usage errors', async () => {
    expect((await runCli(['audit', 'query', '--dir', auditDir, '--since', 'yesterday'])).code).toBe(EXIT.usage);
    expect((await runCli(['audit', 'query', '--dir', auditDir, '--limit', '0'])).code).toBe(EXIT.usage);
    expect((await runCli(['audit', 'query', '--dir', auditDir, '--outcome', 'meh'])).code).toBe(EXIT.usage);
  });
});
