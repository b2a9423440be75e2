import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { AuditHeadStore } from '../../queue/cluster/index.ts';
import { keys as redisKeys } from '../../queue/keys.ts';
import { AuditLog, HeadSink, anchorsWithSink, newAuditKeySpec, openTransport, parseAuditKeys, parseSinkedHeads, sinkedHeadsFile, verifyAuditDir, type AuditRecord } from '../../runtime/audit/index.ts';
import { eventually, startPlatform } from '../harness/platform.ts';
import { redisForFile } from '../harness/redis-for-file.ts';
import { startSinkReceiver, type SinkReceiver } from '../harness/sink-receivers.ts';

/**
 * The append-only sink of issue 20: each chain's head copied to a syslog server or an HTTP intake,
 * out of reach of whoever holds the router host and Redis (who can rewrite the files and the
 * Redis anchor alike).
 */
const redis = redisForFile();
const quiet = createLogger({}, 'error', () => undefined);
const keys = parseAuditKeys(newAuditKeySpec('k1'));
let n = 0;
let dir: string;
let store: AuditHeadStore;
let rx: SinkReceiver | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-audit-sink-'));
  store = new AuditHeadStore(redis.conn, `sink${++n}`);
});
afterEach(async () => {
  await rx?.close();
  rx = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Chain `c` of `count` records written with the sink, the log and the sink closed. */
async function writeChain(sink: HeadSink, count: number): Promise<AuditRecord[]> {
  const log = await AuditLog.open({ dir, keys, anchors: anchorsWithSink(store, sink), chainId: 'c', log: quiet, pruneIntervalMs: 0 });
  const recs: AuditRecord[] = [];
  for (let i = 0; i < count; i++) recs.push(log.append({ actor: `user${i}`, roles: ['deployer'], action: 'function.deploy', function: 'echo', outcome: 'ok' }));
  await log.close();
  return recs;
}

const received = () => parseSinkedHeads(rx!.lines.join('\n'));
const segment = () => join(dir, 'c', readdirSync(join(dir, 'c')).find((f) => f.endsWith('.jsonl'))!);

describe('the audit sink', () => {
  it.each(['udp', 'tcp', 'http'] as const)('over %s, receives each chain head Redis anchors, the newest last', async (kind) => {
    rx = await startSinkReceiver(kind);
    const sink = new HeadSink(openTransport(rx.url, kind === 'http' ? 'sink-token' : undefined), quiet);
    const recs = await writeChain(sink, 10);
    await eventually(async () => received().get('c')?.seq === 10, 'the sink to receive the last head');
    await sink.close();
    expect(received().get('c')).toMatchObject({ seq: 10, hash: recs[9]!.hash, kid: 'k1' });
    expect(await store.get('c')).toMatchObject({ seq: 10, hash: recs[9]!.hash });
    if (kind === 'http') expect(rx.lines.every((l) => l.startsWith('Bearer sink-token {'))).toBe(true);
    else expect(rx.lines[0]).toMatch(/^<110>1 \S+Z \S+ autoglm \d+ audit-head - \{"type":"autoglm\.audit\.head","chain":"c"/);
  });

  it('the host and Redis rewritten together (tail cut, head.json and the Redis anchor moved back): verify against Redis passes, against the sink fails at the cut', async () => {
    rx = await startSinkReceiver('udp');
    const sink = new HeadSink(openTransport(rx.url), quiet);
    const recs = await writeChain(sink, 10);
    await eventually(async () => received().get('c')?.seq === 10, 'the sink to receive the last head');
    await sink.close();
    // The attacker's edit: records 8..10 gone, head.json and the Redis anchor at record 7.
    const lines = readFileSync(segment(), 'utf8').split('\n').filter(Boolean);
    writeFileSync(segment(), lines.slice(0, 7).map((l) => l + '\n').join(''));
    writeFileSync(join(dir, 'c', 'head.json'), JSON.stringify({ chain: 'c', seq: 7, hash: recs[6]!.hash, time: recs[6]!.time, segment: segment().split('/').at(-1) }) + '\n');
    await redis.conn.hset(redisKeys.auditHeads(`sink${n}`), 'c', JSON.stringify({ seq: 7, hash: recs[6]!.hash, kid: 'k1' }));

    expect((await verifyAuditDir(dir, { keys, anchors: store })).ok).toBe(true);
    const file = join(dir, 'sink.log');
    writeFileSync(file, rx.lines.join('\n') + '\n');
    const r = await verifyAuditDir(dir, { keys, anchors: await sinkedHeadsFile(file), anchorsIn: 'the sink' });
    expect(r.ok).toBe(false);
    expect(r.chains[0]!.headAnchor).toEqual({ status: 'ahead', seq: 10 });
    expect(r.firstBad).toMatchObject({ chain: 'c', seq: 8, reason: 'records 8..10 are missing from the end: the chain is anchored in the sink at seq 10' });
  });

  it('a sink that is down gets the newest head once it is back; records are written and anchored in Redis meanwhile', async () => {
    rx = await startSinkReceiver('http');
    rx.down = true;
    const sink = new HeadSink(openTransport(rx.url), quiet);
    const log = await AuditLog.open({ dir, keys, anchors: anchorsWithSink(store, sink), chainId: 'c', log: quiet, pruneIntervalMs: 0 });
    for (let i = 0; i < 5; i++) log.append({ actor: 'a', roles: [], action: 'invoke', outcome: 'ok' });
    await log.flush();
    expect((await store.get('c'))?.seq).toBe(5);
    expect(rx.lines).toEqual([]);
    for (let i = 0; i < 5; i++) log.append({ actor: 'b', roles: [], action: 'invoke', outcome: 'ok' });
    await log.close();
    rx.down = false;
    await eventually(async () => received().get('c')?.seq === 10, 'the sink, back, to receive the newest head', 20_000);
    await sink.close();
    expect(received().get('c')!.hash).toBe((await store.get('c'))!.hash);
  });

  it('a router with AUTOGLM_AUDIT_SINK sends its chain head to the sink as it anchors it in Redis', async () => {
    rx = await startSinkReceiver('udp');
    const p = await startPlatform(redis.server.url, { pool: false, deploy: false, env: { AUTOGLM_AUDIT_SINK: rx.url } });
    try {
      // A refused call and an audit read: both recorded.
      expect((await fetch(`${p.url}/v1/functions`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
      expect((await p.call('GET', '/v1/audit?limit=1')).status).toBe(200);
      const anchored = await eventually(async () => {
        const all = await new AuditHeadStore(p.redis, p.prefix).all();
        const [chain, head] = [...all][0] ?? [];
        return chain !== undefined && head !== undefined && head.seq >= 2 && received().get(chain)?.seq === head.seq ? { chain, head } : undefined;
      }, 'the sink to receive the head Redis anchors');
      expect(received().get(anchored.chain)!.hash).toBe(anchored.head.hash);
    } finally {
      await p.stop();
    }
  });
});
