import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type InvocationContext, type LoadContext } from '../../functions/sdk/index.ts';
import customerReply from '../../functions/customer-reply/handler.ts';
import riskScoring from '../../functions/risk-scoring/handler.ts';
import { launchFor, probeLaunch } from '../../gpu-pool/sandbox-launch.ts';
import { fraudInput, normalInput } from '../functions/risk-fixtures.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const SET = fileURLToPath(new URL('../fixtures/pool-sets/ai-functions/', import.meta.url));
const dirOf = (name: string) => fileURLToPath(new URL(`../../functions/${name}/`, import.meta.url));
const ctx = { function: 'x', version: 'direct', device: 'cpu:0', deadline: Infinity, signal: new AbortController().signal, log: createLogger({}, 'error'), env: {}, secrets: {}, knowledge: {}, emit: () => undefined, wantsChunks: () => false } as InvocationContext;

// bubblewrap must run here for the `sandbox` level (.ci/run installs it); without it, only that level is skipped.
const bwrapMissing = await probeLaunch(launchFor('sandbox'));
if (bwrapMissing) console.warn(`builtin-functions: the sandbox level is SKIPPED: bubblewrap cannot run here (${bwrapMissing})`);

let redis: TestRedis;
beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

/** Calls a handler in this process, as its own tests do. */
async function direct<I>(def: { load?: (c: LoadContext) => unknown; handle: (i: I[], s: never, c: InvocationContext) => unknown; unload?: (s: never) => unknown }, dir: string, inputs: I[]) {
  const state = (await def.load?.({ dir, device: 'cpu:0', log: ctx.log, env: {}, secrets: {}, knowledge: {} })) as never;
  try {
    return (await def.handle(inputs, state, ctx)) as unknown[];
  } finally {
    await def.unload?.(state);
  }
}

describe.each([
  { level: 'thread', skip: false },
  { level: 'sandbox', skip: bwrapMissing !== undefined },
])('built-in AI functions through the platform, isolation $level', ({ level, skip }) => {
  let p: TestPlatform;
  beforeAll(async () => {
    if (skip) return;
    // The built-in AI functions, deployed through the same bundle path as at platform start.
    p = await startPlatform(redis.url, { env: { AUTOGLM_FUNCTIONS_DIR: SET, AUTOGLM_ISOLATION: level } });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it.skipIf(skip)('risk-scoring answers over HTTP exactly as its handler does in-process', async () => {
    const inputs = [normalInput(), fraudInput()];
    const expected = await direct(riskScoring, dirOf('risk-scoring'), inputs);
    for (const [i, input] of inputs.entries()) {
      const r = await p.call('POST', '/v1/functions/risk-scoring/invoke', { input });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.output).toEqual(expected[i]);
    }
    expect((await p.call('POST', '/v1/functions/risk-scoring/invoke', { input: normalInput() })).json.output.level).toBe('low');
    expect((await p.call('POST', '/v1/functions/risk-scoring/invoke', { input: fraudInput() })).json.output.level).toBe('high');
  });

  it.skipIf(skip)('customer-reply answers over HTTP exactly as its handler does in-process, in Chinese and English', async () => {
    const inputs = [
      { message: '我的订单已经一个星期了还没到，怎么回事？', context: { order: { id: 'A1001', status: 'shipped' }, customer: { name: '王女士' } }, temperature: 0 },
      { message: 'I want a refund for order 77, the blender arrived broken.', context: { order: { id: '77' } }, temperature: 0 },
    ];
    const expected = await direct(customerReply, dirOf('customer-reply'), inputs as never[]);
    for (const [i, input] of inputs.entries()) {
      const r = await p.call('POST', '/v1/functions/customer-reply/invoke', { input });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.output).toEqual(expected[i]);
    }
  });

  it.skipIf(skip)('customer-reply streams its template reply sentence by sentence to a caller that asks for events', async () => {
    const input = { message: 'I want a refund for order 77, the blender arrived broken.', context: { order: { id: '77' } }, temperature: 0 };
    const res = await fetch(`${p.url}/v1/functions/customer-reply/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ input }),
    });
    expect(res.status).toBe(200);
    // Whole events, each `event: <name>` then `data: <json>`.
    const events = (await res.text())
      .split('\n\n')
      .filter((block) => block !== '')
      .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) }));
    const final = events.at(-1)!;
    expect(final.event).toBe('result');
    const chunks = events.slice(0, -1);
    expect(chunks.every((e) => e.event === 'chunk')).toBe(true);
    // Sentences, in order, that make up the reply the final event carries: from the thread or the sandbox through Redis.
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((e) => e.data).join('')).toBe(final.data.output.reply);
    const plain = await p.call('POST', '/v1/functions/customer-reply/invoke', { input });
    expect(final.data.output).toEqual(plain.json.output);
  });

  // A sandbox has no network: the generator is reached from an inference thread only.
  it.skipIf(skip || level !== 'thread')('customer-reply streams the tokens of an OpenAI-compatible LLM that streams, as they come', async () => {
    // A fake on-prem LLM: the first piece at once, the rest only once the test has received that piece as an event.
    let rest: (() => void) | undefined;
    const requests: any[] = [];
    const llm = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c));
      req.on('end', () => {
        requests.push(JSON.parse(raw));
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const piece = (content: string) => res.write(`data: ${JSON.stringify({ model: 'glm-fake', choices: [{ index: 0, delta: { content } }] })}\n\n`);
        piece('Hello! ');
        rest = () => (piece('Your refund '), piece('is on its way.'), res.end('data: [DONE]\n\n'));
      });
    });
    await new Promise<void>((r) => llm.listen(0, '127.0.0.1', r));
    try {
      const generator = { baseUrl: `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`, model: 'glm-4-9b-chat', timeoutMs: 20_000 };
      const b = (await bundleMaker(dirOf('customer-reply')))('customer-reply-llm', undefined, undefined, [{ path: 'generator.json', data: Buffer.from(JSON.stringify(generator)) }]);
      expect((await p.api.deploy(b.archive, b.hash)).status).toBe(201);
      const chunks: unknown[] = [];
      const out = await p.api.invokeStream('/v1/functions/customer-reply-llm/invoke', { input: { message: 'I want a refund for order 77.' } }, (chunk) => {
        chunks.push(chunk);
        if (chunks.length === 1) rest!();
      });
      expect(requests[0].stream).toBe(true);
      expect(chunks).toEqual(['Hello! ', 'Your refund ', 'is on its way.']);
      expect(out.body.output.reply).toBe('Hello! Your refund is on its way.');
      expect(out.body.output.generator).toEqual({ used: true, model: 'glm-fake' });
    } finally {
      llm.closeAllConnections();
      await new Promise((r) => llm.close(r));
    }
  });

  it.skipIf(skip || level !== 'thread')('a policy changed with a knowledge put reaches the next reply without a deploy, which names the new collection version', async () => {
    const input = { message: 'How long does shipping take to Hong Kong?', temperature: 0 };
    const before = await p.call('POST', '/v1/functions/customer-reply/invoke', { input });
    expect(before.json.output.sources.map((s: { id: string }) => s.id)).toContain('shipping-times');
    const v1 = before.json.knowledge['store-policies'] as string;
    expect(v1).toMatch(/^[0-9a-f]{12}$/);
    const deployedVersion = before.json.version;
    // As an operator edits a policy: the collection's files, one passage's cited sentence changed.
    const files = (await p.call('GET', '/v1/knowledge/store-policies/files')).json.files as { path: string; text: string }[];
    const cite = 'Parcels to Hong Kong now arrive in 2 business days.';
    const edited = files.map((f) => (f.path === 'shipping-times.en.md' ? { ...f, text: f.text.replace(/^cite: .*$/m, `cite: "${cite}"`) } : f));
    const put = await p.call('PUT', '/v1/knowledge/store-policies', { files: edited });
    expect(put.json).toMatchObject({ changed: true });
    const v2 = put.json.version as string;
    expect(v2).not.toBe(v1);
    const after = await eventually(async () => {
      const r = await p.call('POST', '/v1/functions/customer-reply/invoke', { input });
      return r.json.knowledge?.['store-policies'] === v2 && r;
    }, 'a reply grounded on the new version');
    expect(after.json.output.reply).toContain(cite);
    expect(after.json.version).toBe(deployedVersion);
  });

  it.skipIf(skip)('bad inputs are 400 naming the field, before any worker sees them', async () => {
    const bad = { ...normalInput(), transactions: [] };
    const r = await p.call('POST', '/v1/functions/risk-scoring/invoke', { input: bad });
    expect(r.status).toBe(400);
    expect(r.json.field).toMatch(/^input\.transactions/);
    const m = await p.call('POST', '/v1/functions/customer-reply/invoke', { input: { message: 42 } });
    expect(m.status).toBe(400);
    expect(m.json.field).toBe('input.message');
    // Checks the schema cannot express run in the handler; its errors name the field the same way.
    const unordered = { ...normalInput(), transactions: [...normalInput().transactions].reverse() };
    const h = await p.call('POST', '/v1/functions/risk-scoring/invoke', { input: unordered });
    expect(h.status).toBe(400);
    expect(h.json).toMatchObject({ code: 'INVALID_INPUT', field: 'input.transactions[1].timestamp', in: 'body' });
  });
});
