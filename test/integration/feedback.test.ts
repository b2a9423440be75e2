import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli-runner.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { functionSet, poolSuite } from './pool-helpers.ts';

/**
 * Feedback on outputs, on a real platform (router, pool, Redis): judged calls make a version's
 * score in describe (API and CLI) and `/metrics`; the records, with the input and output, outlive
 * their jobs (a short AUTOGLM_RESULT_TTL here) and come back in the export; what is refused says
 * why. `labelled` answers the intent its input names; its manifest points labels at `/intent`.
 */
const suite = poolSuite('feedback');
const ENV = { AUTOGLM_FUNCTIONS_DIR: functionSet('feedback'), AUTOGLM_RESULT_TTL: '1h', AUTOGLM_FAILED_TTL: '1h' };
/**
 * Jobs kept 5 s: each call is judged right after it answers (the one CLI judgement spawns a
 * process, 1-2 s on a busy machine), and the router sweeps every 5 s, so the jobs are gone within
 * about 10 s of the last call.
 */
const SHORT = { ...ENV, AUTOGLM_RESULT_TTL: '5s' };

/** Runs the real `autoglm` executable against the platform. */
/** The real `autoglm` against `p`, with no saved configuration. */
const cli = (p: TestPlatform, args: string[]) => runCli({ url: p.url, token: p.adminToken }, args);

const feedback = (p: TestPlatform, id: string, body: unknown) => p.call('POST', `/v1/jobs/${id}/feedback`, body);

describe('feedback on outputs', () => {
  it('100 calls, 30 judged wrong: describe (API, CLI) and /metrics show 70% for the version; the export has all 100 with input, output and label after the jobs expired', async () => {
    const p = await suite.start({ env: SHORT });
    const ids: string[] = [];
    let version = '';
    for (let i = 0; i < 100; i++) {
      const input = { message: `message ${i}`, intent: 'refund' };
      const r = await p.call('POST', '/v1/functions/labelled/invoke', { input });
      expect(r.status).toBe(200);
      const id = r.headers.get('x-job-id')!;
      version = r.headers.get('x-function-version')!;
      ids.push(id);
      // Judged at once, while the job is kept (AUTOGLM_RESULT_TTL 5s): 30 labels say another intent.
      if (i === 0) {
        const viaCli = await cli(p, ['feedback', id, '--label', '"cancellation"', '--comment', 'judged 0']);
        expect(viaCli.code, viaCli.stderr).toBe(0);
        expect(viaCli.stdout).toContain(`recorded feedback on ${id}`);
        continue;
      }
      const f = await feedback(p, id, { label: i < 30 ? 'cancellation' : 'refund', comment: `judged ${i}` });
      expect(f.status, JSON.stringify(f.json)).toBe(200);
      expect(f.json).toMatchObject({ jobId: id, function: 'labelled', version, score: i < 30 ? 0 : 1, replaced: false });
    }

    const described = await p.call('GET', '/v1/functions/labelled');
    expect(described.json.versions.find((v: any) => v.version === version).feedback).toEqual({ count: 100, score: 0.7 });
    const text = await cli(p, ['functions', 'describe', 'labelled']);
    expect(text.code, text.stderr).toBe(0);
    const row = text.stdout.split('\n').find((l) => l.startsWith(version))!;
    expect(row.trim().split(/\s+/).slice(-2)).toEqual(['100', '70%']);
    const metrics = await p.call('GET', '/metrics');
    expect(metrics.json).toContain(`autoglm_feedback_total{function="labelled",version="${version}"} 100`);
    expect(metrics.json).toContain(`autoglm_feedback_score{function="labelled",version="${version}"} 0.7`);

    // The jobs go with their retention; the feedback stays.
    for (const id of ids) await eventually(async () => (await p.call('GET', `/v1/jobs/${id}`)).status === 404, `job ${id} to expire`, 90_000);
    const late = await feedback(p, ids[5]!, { correct: true });
    expect(late.status).toBe(410);
    expect(late.json).toMatchObject({ code: 'JOB_EXPIRED' });

    const exported = await cli(p, ['feedback', 'export', 'labelled', '--since', '1d']);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(100);
    expect(new Set(lines.map((l) => l.jobId))).toEqual(new Set(ids));
    for (const l of lines) {
      const i = ids.indexOf(l.jobId);
      expect(l).toMatchObject({
        function: 'labelled',
        version,
        input: { message: `message ${i}`, intent: 'refund' },
        output: { intent: 'refund', text: `re: message ${i}` },
        failed: false,
        feedback: { label: i < 30 ? 'cancellation' : 'refund', comment: `judged ${i}` },
        score: i < 30 ? 0 : 1,
        by: 'test-admin',
      });
      expect(Date.parse(l.at)).toBeGreaterThan(0);
    }

    // The API pages with X-Next-Cursor; following it gives each record once, and a version filter.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await p.call('GET', `/v1/functions/labelled/feedback?limit=30&version=${version}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('application/x-ndjson');
      const text = typeof r.json === 'string' ? r.json : `${JSON.stringify(r.json)}\n`;
      seen.push(...text.trim().split('\n').map((l) => JSON.parse(l).jobId as string));
      cursor = r.headers.get('x-next-cursor');
    } while (cursor);
    expect(seen).toHaveLength(100);
    expect(new Set(seen).size).toBe(100);
    const other = await p.call('GET', '/v1/functions/labelled/feedback?version=000000000000');
    expect(other.json).toBeUndefined();
  }, 240_000);

  it('items by their own id, failed jobs, one record per job (replaced, audited); refuses bad bodies (400), unknown jobs (404), unfinished ones (409), others\' jobs', async () => {
    const p = await suite.start({ env: ENV });
    // A bulk job: each item is judged on its own input and output.
    const bulk = await p.call('POST', '/v1/functions/labelled/jobs', { inputs: [{ message: 'a', intent: 'x' }, { message: 'b', intent: 'y' }] });
    expect(bulk.status).toBe(202);
    const job = bulk.json.id as string;
    await suite.succeeded(job);
    const item = await feedback(p, `${job}.1`, { label: 'y' });
    expect(item.status, JSON.stringify(item.json)).toBe(200);
    expect(item.json).toMatchObject({ jobId: `${job}.1`, score: 1 });
    const whole = await feedback(p, job, { correct: true });
    expect(whole.status).toBe(400);
    expect(whole.json).toMatchObject({ code: 'INVALID_REQUEST', field: 'id', in: 'path' });
    const missingItem = await feedback(p, `${job}.7`, { correct: true });
    expect(missingItem.json.code).toBe('JOB_NOT_FOUND');

    // Judged again: replaced, counted once, audited as such.
    const again = await feedback(p, `${job}.1`, { score: 0.25 });
    expect(again.json).toMatchObject({ replaced: true, score: 0.25 });
    const fig = (await p.call('GET', '/v1/functions/labelled')).json.versions[0].feedback;
    expect(fig).toEqual({ count: 1, score: 0.25 });
    const audit = await eventually(async () => {
      // The refused ones above are audited too, as errors.
      const items = ((await p.call('GET', '/v1/audit?action=job.feedback')).json.items as any[]).filter((a) => a.outcome === 'ok');
      return items.length === 2 && items;
    }, 'both recorded feedbacks in the audit trail');
    expect(audit.map((a) => a.detail?.replaced).sort()).toEqual([false, true]);
    expect(audit.every((a) => a.jobId === `${job}.1` && a.function === 'labelled')).toBe(true);

    // The CLI wants exactly one judgement, before it asks anything.
    const two = await cli(p, ['feedback', `${job}.0`, '--correct', '--wrong']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('exactly one of --correct, --wrong');

    // A failed call: its output is its error.
    const failed = await p.call('POST', '/v1/functions/labelled/invoke', { input: { fail: true } });
    expect(failed.status).toBe(500);
    const failedId = failed.json.jobId as string;
    expect((await feedback(p, failedId, { correct: false, comment: 'should not fail' })).status).toBe(200);

    // Exactly one judgement, of the right type and range, and nothing else: 400 naming the field.
    const bad: [unknown, string][] = [
      [{}, 'correct'],
      [{ comment: 'no judgement' }, 'correct'],
      [{ correct: true, score: 0.5 }, 'score'],
      [{ score: 1.5 }, 'score'],
      [{ correct: 'yes' }, 'correct'],
      [{ correct: true, comment: 'x'.repeat(2001) }, 'comment'],
      [{ correct: true, rating: 5 }, 'rating'],
    ];
    for (const [body, field] of bad) {
      const r = await feedback(p, `${job}.0`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.json, JSON.stringify(body)).toMatchObject({ code: 'INVALID_REQUEST', field });
    }

    // Unknown: a fresh id of a deployed function, another function, not an id at all.
    for (const id of [`labelled.${Date.now().toString(36)}00112233`, 'nosuch.abcdefgh00112233', 'garbage']) {
      const r = await feedback(p, id, { correct: true });
      expect(r.status, id).toBe(404);
      expect(r.json.code).toBe('JOB_NOT_FOUND');
    }

    // Running: nothing to judge yet.
    const slow = await p.call('POST', '/v1/functions/labelled/jobs', { input: { sleepMs: 20_000 } });
    await eventually(async () => (await p.call('GET', `/v1/jobs/${slow.json.id}`)).json.status === 'running', 'the slow job to run');
    const running = await feedback(p, slow.json.id, { correct: true });
    expect(running.status).toBe(409);
    expect(running.json).toMatchObject({ code: 'JOB_NOT_FINISHED', jobStatus: 'running' });
    await p.call('DELETE', `/v1/jobs/${slow.json.id}`);

    // Another caller's job is not an invoker's to judge (as it is not to read); a viewer may, and may export.
    const invoker = await p.token(['invoker'], 'mallory');
    const asInvoker = await fetch(`${p.url}/v1/jobs/${job}.0/feedback`, { method: 'POST', headers: { authorization: `Bearer ${invoker}`, 'content-type': 'application/json' }, body: '{"correct":false}' });
    expect(asInvoker.status).toBe(403);
    const exportAsInvoker = await fetch(`${p.url}/v1/functions/labelled/feedback`, { headers: { authorization: `Bearer ${invoker}` } });
    expect(exportAsInvoker.status).toBe(403);
    const viewer = await p.token(['viewer'], 'vera');
    const exportAsViewer = await fetch(`${p.url}/v1/functions/labelled/feedback`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(exportAsViewer.status).toBe(200);
    const rows = (await exportAsViewer.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.jobId)).toEqual([`${job}.1`, failedId]);
    expect(rows[0]).toMatchObject({ input: { message: 'b', intent: 'y' }, output: { intent: 'y', text: 're: b' }, feedback: { score: 0.25 } });
    expect(rows[1]).toMatchObject({ input: { fail: true }, failed: true, output: { code: 'LABELLED_FAILED' }, feedback: { correct: false, comment: 'should not fail' }, score: 0 });
    // Both routes are in the OpenAPI document, with their schemas.
    const doc = await (await fetch(`${p.url}/openapi.json`)).json();
    expect(doc.paths['/v1/jobs/{id}/feedback'].post.responses['410']).toBeDefined();
    expect(doc.paths['/v1/functions/{name}/feedback'].get.responses['200'].content['application/x-ndjson']).toBeDefined();
    expect(doc.components.schemas.FeedbackRequest.properties.label).toBeDefined();
    expect(doc.components.schemas.FeedbackExportLine.properties.input).toBeDefined();
    const badSince = await p.call('GET', '/v1/functions/labelled/feedback?since=yesterday-ish');
    expect(badSince.json).toMatchObject({ code: 'INVALID_REQUEST', field: 'since' });
  }, 120_000);
});
