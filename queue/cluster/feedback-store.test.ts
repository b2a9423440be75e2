import { describe, expect, it } from 'vitest';
import { redisForFile } from '../../test/harness/redis-for-file.ts';
import { keys } from '../keys.ts';
import { feedbackScore } from './feedback-score.ts';
import { FeedbackStore, decodeFeedbackCursor, encodeFeedbackCursor, type FeedbackRecord } from './feedback-store.ts';
import { PayloadCipher, newKeyringSpec, parseKeyring } from './payload-cipher.ts';

const r = redisForFile();
const ring = parseKeyring(newKeyringSpec('t'));
const cipher = new PayloadCipher(ring.ok ? ring.ring : (undefined as never));

const MIN = 60_000;
/** A minute boundary well in the past of any test's `Date.now()` but within the buckets' life. */
const T0 = Math.floor((Date.now() - 3_600_000) / MIN) * MIN;

let n = 0;
/** A fresh store on its own prefix. */
const store = (ttlMs?: number) => new FeedbackStore(r.conn, `fb${++n}`, cipher, ttlMs ? { ttlMs } : {});

const rec = (jobId: string, version: string, score: number, at: number, extra: Partial<FeedbackRecord> = {}): FeedbackRecord => ({
  jobId,
  function: 'reply',
  version,
  namespace: 'team-a',
  input: { message: `m ${jobId}` },
  output: { intent: 'refund_request' },
  failed: false,
  feedback: { correct: score === 1 },
  score,
  by: 'alice',
  at,
  ...extra,
});

describe('FeedbackStore', () => {
  it('keeps the input, output and feedback sealed with the namespace key, and reads them back', async () => {
    const s = store();
    const given = rec('reply.abcdefgh12', 'v1', 1, T0, { feedback: { label: { intent: 'x' }, comment: 'secret words' } });
    expect(await s.record(given)).toEqual({ replaced: false });
    const raw = (await r.conn.get(keys.feedback(`fb${n}`, 'reply', 'reply.abcdefgh12')))!;
    // Nothing of the payloads or the judgement in the clear.
    expect(raw).not.toContain('refund_request');
    expect(raw).not.toContain('secret words');
    expect(raw).not.toContain('m reply.');
    expect(JSON.parse(raw).sealed.n).toBe('team-a');
    expect(await s.get('reply', 'reply.abcdefgh12')).toEqual(given);
    // The record expires with the TTL, however long the job lived.
    expect(await r.conn.pttl(keys.feedback(`fb${n}`, 'reply', 'reply.abcdefgh12'))).toBeGreaterThan(179 * 86_400_000);
  });

  it('counts per version in total and per minute; windowScores sums the minutes overlapping the window', async () => {
    const s = store();
    await s.record(rec('reply.aaaaaaaa01', 'v1', 1, T0 + 1_000));
    await s.record(rec('reply.aaaaaaaa02', 'v1', 0, T0 + 2_000));
    await s.record(rec('reply.aaaaaaaa03', 'v1', 1, T0 + MIN + 5));
    await s.record(rec('reply.aaaaaaaa04', 'v2', 0.25, T0 + 2 * MIN));
    expect(await s.totals('reply')).toEqual(
      new Map([
        ['v1', { count: 3, score: 2 / 3 }],
        ['v2', { count: 1, score: 0.25 }],
      ]),
    );
    // The first minute only; then a window starting inside the first minute and ending inside the second.
    expect(await s.windowScores('reply', T0, T0 + MIN)).toEqual(new Map([['v1', { count: 2, score: 0.5 }]]));
    expect(await s.windowScores('reply', T0 + 30_000, T0 + MIN + 1)).toEqual(new Map([['v1', { count: 3, score: 2 / 3 }]]));
    expect(await s.windowScores('reply', T0 + 2 * MIN, T0 + 3 * MIN)).toEqual(new Map([['v2', { count: 1, score: 0.25 }]]));
    expect(await s.windowScores('reply', T0 + 3 * MIN, T0 + 4 * MIN)).toEqual(new Map());
    expect(await s.windowScores('reply', T0 + MIN, T0 + MIN)).toEqual(new Map());
    expect(await s.totalsOf(['reply', 'other'])).toEqual(new Map([['reply', await s.totals('reply')], ['other', new Map()]]));
  });

  it('replacing a record subtracts the old from its own minute and the totals, and adds the new', async () => {
    const s = store();
    await s.record(rec('reply.bbbbbbbb01', 'v1', 0, T0 + 1_000));
    await s.record(rec('reply.bbbbbbbb02', 'v1', 1, T0 + 2_000));
    // bbbb01 is judged again, two minutes later: correct after all.
    expect(await s.record(rec('reply.bbbbbbbb01', 'v1', 1, T0 + 2 * MIN + 7))).toEqual({ replaced: true });
    expect(await s.totals('reply')).toEqual(new Map([['v1', { count: 2, score: 1 }]]));
    expect(await s.windowScores('reply', T0, T0 + MIN)).toEqual(new Map([['v1', { count: 1, score: 1 }]]));
    expect(await s.windowScores('reply', T0 + 2 * MIN, T0 + 3 * MIN)).toEqual(new Map([['v1', { count: 1, score: 1 }]]));
    expect((await s.get('reply', 'reply.bbbbbbbb01'))?.at).toBe(T0 + 2 * MIN + 7);
    // A fractional score replaced by another: the sums stay exact enough to read back.
    await s.record(rec('reply.bbbbbbbb02', 'v1', 0.3, T0 + 3 * MIN));
    await s.record(rec('reply.bbbbbbbb02', 'v1', 0.8, T0 + 3 * MIN + 1));
    const t = (await s.totals('reply')).get('v1')!;
    expect(t.count).toBe(2);
    expect(t.score).toBeCloseTo(0.9, 12);
  });

  it('concurrent replacements of one record leave the counts of exactly one record', async () => {
    const s = store();
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.record(rec('reply.cccccccc01', 'v1', i % 2, T0 + i * 1000))));
    expect((await s.totals('reply')).get('v1')?.count).toBe(1);
    const w = await s.windowScores('reply', T0, T0 + MIN);
    expect(w.get('v1')?.count).toBe(1);
    expect(w.get('v1')?.score).toBe((await s.get('reply', 'reply.cccccccc01'))!.score);
  });

  it('pages the records oldest first by a cursor, per version, from a time; ties in time are not lost', async () => {
    const s = store();
    for (let i = 0; i < 7; i++) await s.record(rec(`reply.dddddddd0${i}`, i < 5 ? 'v1' : 'v2', 1, T0 + Math.floor(i / 2) * 1000));
    const seen: string[] = [];
    let after;
    let pages = 0;
    do {
      const page = await s.page('reply', { sinceMs: 0, limit: 2, ...(after ? { after } : {}) });
      seen.push(...page.items.map((x) => x.jobId));
      after = page.next && decodeFeedbackCursor(encodeFeedbackCursor(page.next));
      pages++;
    } while (after);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `reply.dddddddd0${i}`));
    expect(pages).toBe(4);
    const v2 = await s.page('reply', { sinceMs: 0, version: 'v2', limit: 10 });
    expect(v2.items.map((x) => x.jobId)).toEqual(['reply.dddddddd05', 'reply.dddddddd06']);
    expect(v2.next).toBeUndefined();
    const late = await s.page('reply', { sinceMs: T0 + 2000, limit: 10 });
    expect(late.items.map((x) => x.jobId)).toEqual(['reply.dddddddd04', 'reply.dddddddd05', 'reply.dddddddd06']);
  });

  it('leaves out of the export what is older than the TTL', async () => {
    const s = store(3_600_000);
    await s.record(rec('reply.eeeeeeee01', 'v1', 1, Date.now() - 2 * 3_600_000));
    await s.record(rec('reply.eeeeeeee02', 'v1', 1, Date.now()));
    expect((await s.page('reply', { sinceMs: 0, limit: 10 })).items.map((x) => x.jobId)).toEqual(['reply.eeeeeeee02']);
  });

  it('refuses text that is not a cursor', () => {
    expect(decodeFeedbackCursor('nope')).toBeUndefined();
    expect(decodeFeedbackCursor(Buffer.from('12/../x').toString('base64url'))).toBeUndefined();
    expect(decodeFeedbackCursor(encodeFeedbackCursor({ at: 12, id: 'reply.abcdefgh12.3' }))).toEqual({ at: 12, id: 'reply.abcdefgh12.3' });
  });
});

describe('feedbackScore', () => {
  const out = { intent: 'refund_request', confidence: 0.9 };
  it('is 1 or 0 for correct, the score itself, and label agreement with the part the pointer names', () => {
    expect(feedbackScore({ correct: true }, out)).toBe(1);
    expect(feedbackScore({ correct: false }, out)).toBe(0);
    expect(feedbackScore({ score: 0.8 }, out)).toBe(0.8);
    expect(feedbackScore({ label: 'refund_request' }, out, '/intent')).toBe(1);
    expect(feedbackScore({ label: 'cancellation' }, out, '/intent')).toBe(0);
    expect(feedbackScore({ label: { confidence: 0.9, intent: 'refund_request' } }, out)).toBe(1);
    expect(feedbackScore({ label: 'refund_request' }, out)).toBe(0);
    expect(feedbackScore({ label: 'x' }, out, '/missing')).toBe(0);
  });
});
