import { describe, expect, it } from 'vitest';
import { functionSet, poolSuite, workers } from './pool-helpers.ts';

// where-inline (isolation: inline) and where-thread (the default) answer whether their handler
// ran on the worker's main thread.
const suite = poolSuite('isolation');

describe('manifest isolation', () => {
  it('runs inline versions on the worker main thread and the others on the inference thread', async () => {
    // Manifest `isolation: inline` chooses between the worker's threads: function code runs on them.
    const p = await suite.start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('isolation'), AUTOGLM_ISOLATION: 'thread' } });
    const inline = await p.call('POST', '/v1/functions/where-inline/invoke', { input: {} });
    const thread = await p.call('POST', '/v1/functions/where-thread/invoke', { input: {} });
    expect(inline.status).toBe(200);
    expect(thread.status).toBe(200);
    expect(inline.json.output).toEqual({ mainThread: true });
    expect(thread.json.output).toEqual({ mainThread: false });
    // Both report the worker's backend, and both count in its heartbeat.
    expect(inline.json.backend).toBe(thread.json.backend);
    const done = async () => (await workers(p)).reduce((a, w) => a + w.jobsDone, 0);
    await expect.poll(done, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  });

  it('runs every version on the main thread when the operator sets AUTOGLM_INFERENCE=inline', async () => {
    // AUTOGLM_INFERENCE applies at the thread level only.
    const p = await suite.start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('isolation'), AUTOGLM_INFERENCE: 'inline', AUTOGLM_ISOLATION: 'thread' } });
    const thread = await p.call('POST', '/v1/functions/where-thread/invoke', { input: {} });
    expect(thread.status).toBe(200);
    expect(thread.json.output).toEqual({ mainThread: true });
  });
});
