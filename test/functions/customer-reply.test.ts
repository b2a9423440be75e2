import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createLogger, InvalidInputError, parseManifest, type InvocationContext } from '../../functions/sdk/index.ts';
import { compareEvaluations, dataChanges, evaluateFolder, loadSplits, readCommittedEvaluation } from '../../functions/customer-reply/evaluate.ts';
import { parseGeneratorConfig, readGeneratorConfig } from '../../functions/customer-reply/generator.ts';
import customerReply, { loadCustomerReply, type ReplyOutput, type ReplyState } from '../../functions/customer-reply/handler.ts';
import { DATASET_FILES, TEST_SPLIT_FILE, loadExamples, loadTestSplit } from '../../functions/customer-reply/dataset.ts';
import type { IntentModelMeta } from '../../functions/customer-reply/intent-model.ts';
import { loadKnowledgeBase } from '../../functions/customer-reply/knowledge-base.ts';
import { INTENTS } from '../../functions/customer-reply/intents.ts';
import { TS_EXEC_ARGV } from '../../gpu-pool/supervisor.ts';
import { schemaAjv } from '../../runtime/registry/manifest-schemas.ts';

const DIR = fileURLToPath(new URL('../../functions/customer-reply/', import.meta.url));
/** The policies as the folder ships them (the `store-policies` collection's files). */
const KB = await loadKnowledgeBase(DIR);
const ctx = (over: Partial<InvocationContext> = {}): InvocationContext => ({
  function: 'customer-reply',
  version: 'test',
  device: 'cpu:0',
  deadline: Infinity,
  signal: new AbortController().signal,
  log: createLogger({}, 'error'),
  env: {},
  secrets: {},
  knowledge: {},
  emit: () => undefined, wantsChunks: () => false,
  ...over,
});
let state: ReplyState;

const handle = async (inputs: unknown[], s: ReplyState = state, c = ctx()) => customerReply.handle(inputs as never[], s, c);
const ok = (r: ReplyOutput | Error | undefined): ReplyOutput => {
  if (!r || r instanceof Error) throw r ?? new Error('no result');
  return r;
};
const reply = async (input: unknown, s?: ReplyState) => ok((await handle([input], s))[0]);

const ORDER = { id: 'A10293', status: 'in_transit', shippedAt: '2025-03-03', estimatedDelivery: '2025-03-07', items: ['Travel mug', { name: 'Green tea', quantity: 2 }] };

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  // No generator here, whatever generator.json an operator may have dropped in the folder.
  state = await loadCustomerReply(DIR, { generator: null });
});
afterAll(() => customerReply.unload?.(state));

describe('customer-reply: understanding (committed model, messages not in the dataset)', () => {
  // Golden cases: the intent a support agent would file each message under.
  const golden: [string, string][] = [
    ['用户投诉订单延迟，说等了十多天还没收到货', 'delivery_delay'],
    ['快递到现在还没送到，已经超过预计时间三天了', 'delivery_delay'],
    ["My parcel was supposed to arrive last Monday and it's still not here.", 'delivery_delay'],
    ['我想退货退款，这双鞋不合脚', 'refund_request'],
    ['I sent the blender back last week, when do I get my money?', 'refund_request'],
    ['打开箱子发现杯子摔碎了', 'damaged_item'],
    ['The lamp arrived with a cracked base.', 'damaged_item'],
    ['我订的是黑色的，你们寄来的是白色的', 'wrong_item'],
    ['I ordered a size 9 and you sent a size 7.', 'wrong_item'],
    ['麻烦帮我把昨天下的订单取消掉', 'cancellation'],
    ['Please cancel my order, I bought it by mistake.', 'cancellation'],
    ['同一笔订单被扣了两次钱', 'payment_problem'],
    ['My card was charged but the order still says awaiting payment.', 'payment_problem'],
    ['收不到验证码，登录不了账号', 'account_login'],
    ["I reset my password but still can't sign in.", 'account_login'],
    ['这款电水壶的容量是多少？', 'product_question'],
    ['Is this backpack big enough for a 16-inch laptop?', 'product_question'],
    ['我已经打了三次电话都没人处理，让你们主管给我回电话', 'complaint_escalation'],
    ['This is the fourth time I am writing. I want to speak to a manager.', 'complaint_escalation'],
    ['你们周六有客服吗？', 'other'],
    ['Thanks, that is all I needed!', 'other'],
  ];
  it.each(golden)('%s → %s', async (message, intent) => {
    const r = await reply({ message });
    expect(r.intent).toBe(intent);
    expect(r.confidence).toBeGreaterThan(0);
    expect(r.confidence).toBeLessThanOrEqual(1);
  });

  it('answers in the language of the message, or of the locale when given', async () => {
    const zh = await reply({ message: '我的包裹一直没到' });
    expect(zh.language).toBe('zh');
    expect(zh.reply).toMatch(/\p{Script=Han}/u);
    const en = await reply({ message: 'My package never arrived' });
    expect(en.language).toBe('en');
    expect(en.reply).not.toMatch(/\p{Script=Han}/u);
    expect((await reply({ message: 'My package never arrived', locale: 'zh-CN' })).language).toBe('zh');
  });
});

describe('customer-reply: grounded, context-filled replies', () => {
  const kb = KB;

  it('fills the order and customer into the reply and cites the delay policy', async () => {
    const r = await reply({ message: '用户投诉订单延迟，说等了十多天还没收到货', context: { order: ORDER, customer: { name: '王女士', tier: 'gold' } } });
    expect(r.intent).toBe('delivery_delay');
    expect(r.reply).toContain('A10293');
    expect(r.reply).toContain('王女士');
    expect(r.reply).toContain('2025年3月3日');
    expect(r.reply).toContain('金卡');
    expect(r.sources.length).toBeGreaterThan(0);
    const delayPolicies = kb.passages.filter((p) => p.intents.includes('delivery_delay')).map((p) => p.id);
    expect(delayPolicies).toContain(r.sources[0]!.id);
    // The cited policy text is in the reply, so the reply says what the policy says.
    const cited = kb.passages.find((p) => p.id === r.sources[0]!.id)!;
    expect(r.reply).toContain(cited.cite.zh);
    expect(r.generator).toEqual({ used: false, fallbackReason: 'no generator configured' });
  });

  it('writes a sensible reply with no context at all', async () => {
    const r = await reply({ message: 'The vase I ordered arrived in pieces.' });
    expect(r.intent).toBe('damaged_item');
    expect(r.reply).toMatch(/order number/i);
    expect(r.reply).not.toMatch(/\{\w+\}/);
    // A damage report is a policy question: it is grounded on a damage policy.
    expect(r.sources.length).toBeGreaterThan(0);
    expect(kb.passages.filter((p) => p.intents.includes('damaged_item')).map((p) => p.id)).toContain(r.sources[0]!.id);
    for (const s of r.sources) expect(kb.passages.map((p) => p.id)).toContain(s.id);
  });

  it('follows the order status: a shipped order cannot be cancelled', async () => {
    const shipped = await reply({ message: 'Please cancel my order, I bought it by mistake.', context: { order: { id: 'B77', status: 'shipped', shippedAt: '2025-05-02' } } });
    expect(shipped.intent).toBe('cancellation');
    expect(shipped.reply).toContain('2 May 2025');
    expect(shipped.reply).toMatch(/can no longer be cancelled/);
    const pending = await reply({ message: 'Please cancel my order, I bought it by mistake.', context: { order: { id: 'B78', status: 'processing' } } });
    expect(pending.reply).toMatch(/has not shipped yet/);
  });

  it('is deterministic at temperature 0 and varies, reproducibly by seed, above it', async () => {
    const base = { message: 'Where is my parcel? It is a week late.', context: { order: ORDER, customer: { name: 'Sam' } } };
    const a = await reply(base);
    expect((await reply(base)).reply).toBe(a.reply);
    const warm = await Promise.all(Array.from({ length: 12 }, (_, seed) => reply({ ...base, temperature: 1.5, seed })));
    expect(new Set(warm.map((r) => r.reply)).size).toBeGreaterThan(1);
    expect((await reply({ ...base, temperature: 1.5, seed: 3 })).reply).toBe(warm[3]!.reply);
    for (const r of warm) expect(r.intent).toBe(a.intent);
  });
});

describe('customer-reply: input validation', () => {
  const cases: [string, unknown, string][] = [
    ['not an object', 42, 'input'],
    ['no message', {}, 'message'],
    ['blank message', { message: '   ' }, 'message'],
    ['message too long', { message: 'x'.repeat(2001) }, 'message'],
    ['temperature NaN', { message: 'hi', temperature: Number.NaN }, 'temperature'],
    ['temperature too high', { message: 'hi', temperature: 3 }, 'temperature'],
    ['bad seed', { message: 'hi', seed: -1 }, 'seed'],
    ['bad locale', { message: 'hi', locale: 'chinese please' }, 'locale'],
    ['bad status', { message: 'hi', context: { order: { status: 'lost' } } }, 'context.order.status'],
    ['bad date', { message: 'hi', context: { order: { estimatedDelivery: 'next week' } } }, 'context.order.estimatedDelivery'],
    ['a day past the month', { message: 'hi', context: { order: { estimatedDelivery: '2025-02-30' } } }, 'context.order.estimatedDelivery'],
    ['29 February of a common year', { message: 'hi', context: { order: { shippedAt: '2025-02-29T10:00:00Z' } } }, 'context.order.shippedAt'],
    ['an hour that does not exist', { message: 'hi', context: { order: { deliveredAt: '2025-03-01T25:00:00Z' } } }, 'context.order.deliveredAt'],
    ['bad item quantity', { message: 'hi', context: { order: { items: ['a', { name: 'b', quantity: 0 }] } } }, 'context.order.items[1].quantity'],
    ['bad tier', { message: 'hi', context: { customer: { tier: 'diamond' } } }, 'context.customer.tier'],
    ['bad useGenerator', { message: 'hi', useGenerator: 'no' }, 'useGenerator'],
  ];
  it('does not ask for the order number the message already gives; an order in the context wins', async () => {
    const [r] = await handle([{ message: 'I want a refund for order 77, the mug arrived broken', locale: 'en' }]);
    const reply = (r as { reply: string }).reply;
    expect(reply).toContain('order 77');
    expect(reply).not.toMatch(/order number/i);
    const [given] = await handle([{ message: 'refund for order 77 please', locale: 'en', context: { order: { id: 'A10293', status: 'delivered' } } }]);
    expect((given as { reply: string }).reply).toContain('A10293');
    expect((given as { reply: string }).reply).not.toContain('order 77');
  });

  it('takes dates that exist: a leap day, a date-time with an offset', async () => {
    const [r] = await handle([{ message: 'where is my order?', context: { order: { shippedAt: '2024-02-29', estimatedDelivery: '2025-03-01T10:00+08:00' } } }]);
    expect(r).not.toBeInstanceOf(Error);
  });

  it.each(cases)('%s → InvalidInputError naming %s', async (_name, input, field) => {
    const [r] = await handle([input]);
    expect(r).toBeInstanceOf(InvalidInputError);
    expect((r as InvalidInputError).field).toBe(field);
  });

  it('fails only the bad item of a batch', async () => {
    const out = await handle([{ message: '我要退款' }, { message: '' }, { message: 'cancel my order please' }]);
    expect(ok(out[0]).intent).toBe('refund_request');
    expect((out[1] as InvalidInputError).field).toBe('message');
    expect(ok(out[2]).intent).toBe('cancellation');
  });

  it('leaves the tensor count where it was', async () => {
    await handle([{ message: 'warm up' }]);
    const before = tf.memory().numTensors;
    await handle([{ message: '我要退款' }, { message: 'where is my order' }, { message: 'x', temperature: 5 }]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('customer-reply: manifest, dataset, evaluation', () => {
  it('has a manifest the platform accepts, whose schema matches the handler', () => {
    const m = parseManifest(parseYaml(readFileSync(join(DIR, 'manifest.yaml'), 'utf8')));
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    for (const a of m.manifest.artifacts) expect(() => readFileSync(join(DIR, a))).not.toThrow();
    const validate = schemaAjv().compile(m.manifest.input);
    expect(validate({ message: '我要退款', context: { order: ORDER, customer: { name: 'A', tier: 'gold' } }, temperature: 0.7, seed: 3, locale: 'zh-CN' })).toBe(true);
    expect(validate({ message: '   ' })).toBe(false);
    expect(validate({ message: '\u3000\u3000' })).toBe(false); // ideographic spaces: blank too, as in JavaScript's \S
    expect(validate({ message: 'hi', temperature: 3 })).toBe(false);
    expect(validate({ message: 'hi', context: { order: { status: 'lost' } } })).toBe(false);
  });

  it('ships at least 60 examples per intent, in both languages', () => {
    const all = loadExamples(DIR);
    for (const intent of INTENTS) {
      const mine = all.filter((e) => e.intent === intent);
      expect(mine.length).toBeGreaterThanOrEqual(60);
      expect(mine.filter((e) => e.lang === 'zh').length).toBeGreaterThanOrEqual(30);
      expect(mine.filter((e) => e.lang === 'en').length).toBeGreaterThanOrEqual(30);
    }
    expect(new Set(all.map((e) => e.text)).size).toBe(all.length);
  });

  it('reproduces the committed accuracy of both splits from the committed artifacts, on the data they were trained on', async () => {
    expect(await dataChanges(DIR)).toEqual([]);
    const [committed, now] = await Promise.all([readCommittedEvaluation(DIR), evaluateFolder(DIR)]);
    expect(compareEvaluations(committed, now)).toEqual([]);
    expect(now.heldOut.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(now.test.examples).toBe(loadTestSplit(DIR).length);
    expect(now.test.accuracy).toBeGreaterThanOrEqual(0.85);
  });

  it('records the held-out ids and keeps the test split apart from the dataset', () => {
    const meta = JSON.parse(readFileSync(join(DIR, 'artifacts/model-meta.json'), 'utf8')) as IntentModelMeta;
    const { train, heldOut, test } = loadSplits(DIR);
    // train.ts records the committed data with the model it trains on it.
    expect(meta.data?.heldOutIds).toEqual(heldOut.map((e) => e.id));
    expect(meta.data!.heldOutIds.length).toBeGreaterThan(400);
    expect(Object.keys(meta.data!.files).sort()).toEqual([...DATASET_FILES].sort());
    const trained = new Set(train.map((e) => e.text));
    expect(heldOut.filter((e) => trained.has(e.text))).toEqual([]);
    const dataset = new Set(loadExamples(DIR).map((e) => e.text));
    expect(test.filter((e) => dataset.has(e.text))).toEqual([]);
    for (const intent of INTENTS) for (const lang of ['zh', 'en']) expect(test.filter((e) => e.intent === intent && e.lang === lang).length).toBeGreaterThanOrEqual(3);
  });

  describe('refuses data that changed since training', () => {
    let copy: string;
    beforeAll(() => {
      copy = mkdtempSync(join(tmpdir(), 'reply-data-'));
    });
    afterAll(() => rmSync(copy, { recursive: true, force: true }));
    const fresh = () => {
      rmSync(copy, { recursive: true, force: true });
      for (const d of ['data', 'artifacts']) cpSync(join(DIR, d), join(copy, d), { recursive: true });
    };
    const evaluateCli = (dir: string) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        const script = join(DIR, 'evaluate.ts');
        execFile(process.execPath, [...TS_EXEC_ARGV, script, dir], (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
      });

    it('a dataset message added without retraining: the evaluation exits 1 naming the file', async () => {
      fresh();
      expect(await dataChanges(copy)).toEqual([]);
      const file = join(copy, 'data/intents/other.json');
      const data = JSON.parse(readFileSync(file, 'utf8')) as { en: string[] };
      data.en.push('A message someone added after training.');
      writeFileSync(file, JSON.stringify(data, null, 2));
      const changes = await dataChanges(copy);
      expect(changes).toHaveLength(2); // the hash, and the split it reshuffles
      expect(changes[0]).toMatch(/^dataset changed since training .*data\/intents\/other\.json\): retrain/);
      expect(changes[1]).toMatch(/held-out ids differ/);
      const run = await evaluateCli(copy);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('evaluation refused');
      expect(run.stderr).toContain('data/intents/other.json');
    });

    it('an edited test split, and a model that recorded no data', async () => {
      fresh();
      appendFileSync(join(copy, TEST_SPLIT_FILE), ' ');
      expect(await dataChanges(copy)).toEqual([expect.stringMatching(/^test split changed since training/)]);
      fresh();
      const metaFile = join(copy, 'artifacts/model-meta.json');
      const { data: _data, ...meta } = JSON.parse(readFileSync(metaFile, 'utf8')) as IntentModelMeta;
      writeFileSync(metaFile, JSON.stringify(meta));
      expect(await dataChanges(copy)).toEqual([expect.stringMatching(/records no dataset hash/)]);
    });
  });
});

describe('customer-reply: a policy only where one applies', () => {
  const kb = KB;
  // Written for this test, none in the dataset: thanks, greetings, weather, jokes, chatter.
  const smallTalk = [
    "Thanks, that's all I needed!",
    'Hi!',
    'Good afternoon',
    'Cheers, have a good weekend',
    "Lovely weather today, isn't it?",
    'Is it going to rain tomorrow?',
    'Tell me a joke',
    'Why did the chicken cross the road?',
    'lol',
    "What's your favourite colour?",
    "I'm just bored",
    'Who won the football last night?',
    "Thank you so much, you've been very helpful.",
    'See you later!',
    '谢谢，没别的事了',
    '你好呀，客服小姐姐',
    '今天天气真好',
    '明天会下雨吗？',
    '讲个笑话吧',
    '哈哈哈',
    '你吃饭了吗？',
    '晚安',
    '你喜欢什么颜色？',
    '无聊，随便聊聊',
  ];
  // Greeting, thanks, one question and the sign-off come to 177 (English) and 60 (Chinese)
  // characters; a quoted policy adds 100 or more.
  const SHORT = { en: 200, zh: 80 } as const;

  it('the small talk is not in the dataset', () => {
    const dataset = new Set(loadExamples(DIR).map((e) => e.text));
    expect(smallTalk.filter((m) => dataset.has(m))).toEqual([]);
  });

  it.each(smallTalk)('%s → no sources, a short reply quoting no policy', async (message) => {
    const r = await reply({ message });
    expect(r.sources).toEqual([]);
    expect(r.reply.length).toBeLessThanOrEqual(SHORT[r.language]);
    for (const p of kb.passages) expect(r.reply).not.toContain(p.cite[r.language]);
  });

  // Policy questions, none in the dataset, and the passage each must be grounded on.
  const onTopic: [string, string][] = [
    ['My parcel is two weeks late, where is it?', 'delivery-delays'],
    ['我被重复扣款了两次', 'payment-issues'],
    ['I forgot my password and the reset link has expired.', 'account-access'],
    ['我想退货，怎么操作？', 'returns-process'],
    ['The mug arrived chipped.', 'damaged-items'],
    ['Please cancel the order I placed this morning.', 'cancellation'],
    ['我要投诉，叫你们经理来', 'complaints-escalation'],
    ['这件衣服是什么面料？', 'product-warranty'],
    ['What are your opening hours for customer service?', 'contact-hours'],
    ['积分可以抵扣现金吗？', 'membership'],
  ];
  it.each(onTopic)('%s → grounded on %s, quoted in the reply', async (message, id) => {
    expect(loadExamples(DIR).some((e) => e.text === message)).toBe(false);
    const r = await reply({ message });
    expect(r.sources.length).toBeGreaterThan(0);
    expect(r.sources[0]!.id).toBe(id);
    expect(r.reply).toContain(kb.passages.find((p) => p.id === id)!.cite[r.language]);
  });
});

describe('customer-reply: OpenAI-compatible generator (real local HTTP server)', () => {
  /**
   * `held`: the server answers only when the test calls `release()`, so "too slow" needs no clock.
   * `stream`: it answers a `stream: true` request with Server-Sent Events as an OpenAI-compatible
   * server does: the first piece, then the rest only once the test calls `release()`.
   */
  type Mode = 'ok' | 'held' | 'error' | 'empty' | 'stream';
  let server: Server;
  let url: string;
  let mode: Mode = 'ok';
  const requests: { path: string; headers: IncomingMessage['headers']; body: any }[] = [];
  let held: (() => void)[] = [];
  const release = () => {
    for (const answer of held) answer();
    held = [];
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        requests.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(raw) });
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (mode === 'error') return send(500, { error: { message: 'model crashed' } });
        if (mode === 'stream' && JSON.parse(raw).stream === true) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const piece = (content: string) => res.write(`data: ${JSON.stringify({ id: 'cmpl-2', model: 'glm-stream', choices: [{ index: 0, delta: { content } }] })}\n\n`);
          piece('您好，');
          held.push(() => {
            piece('我们已为您');
            piece('加急查询包裹。');
            res.end('data: [DONE]\n\n');
          });
          return;
        }
        if (mode === 'empty') return send(200, { choices: [] });
        const answer = () => send(200, { id: 'cmpl-1', model: 'glm-test', choices: [{ index: 0, message: { role: 'assistant', content: '您好，我们已为您加急查询包裹。' }, finish_reason: 'stop' }] });
        if (mode === 'held') held.push(answer);
        else answer();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    release();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const withGenerator = (timeoutMs: number) => loadCustomerReply(DIR, { generator: { baseUrl: url, model: 'glm-4-9b-chat', timeoutMs, maxTokens: 256 } });
  const input = { message: '用户投诉订单延迟，说等了十多天还没收到货', context: { order: ORDER, customer: { name: '王女士' } } };

  it('returns the generated reply and sends a task-aware prompt', async () => {
    mode = 'ok';
    requests.length = 0;
    const s = await withGenerator(2000);
    const r = await reply(input, s);
    expect(r.generator).toEqual({ used: true, model: 'glm-test' });
    expect(r.reply).toBe('您好，我们已为您加急查询包裹。');
    expect(requests).toHaveLength(1);
    const req = requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body.model).toBe('glm-4-9b-chat');
    expect(req.body.stream).toBe(false);
    const [system, user] = req.body.messages;
    expect(system.role).toBe('system');
    expect(user).toEqual({ role: 'user', content: input.message });
    expect(system.content).toContain('delivery delay');
    expect(system.content).toContain('Simplified Chinese');
    expect(system.content).toContain('A10293');
    // A delay complaint is on-topic: the prompt carries the policies it is grounded on.
    expect(r.sources.length).toBeGreaterThan(0);
    for (const src of r.sources) expect(system.content).toContain(`[${src.id}]`);
    await customerReply.unload?.(s);
  });

  /** A context whose caller streams: the chunks land in `chunks`, and `onChunk` sees each as it comes. */
  const streamingCtx = (chunks: unknown[], onChunk: () => void = () => undefined) =>
    ctx({ wantsChunks: () => true, emit: (chunk: unknown, item = 0) => (expect(item).toBe(0), chunks.push(chunk), onChunk()) });

  it('streams the generator\'s text as it arrives (stream: true) to a caller that streams', async () => {
    mode = 'stream';
    requests.length = 0;
    const s = await withGenerator(5000);
    const chunks: unknown[] = [];
    // The server sends the rest only after the first piece reached the caller: pieces pass as they come.
    const [r] = await handle([input], s, streamingCtx(chunks, () => chunks.length === 1 && release()));
    expect(requests[0]!.body.stream).toBe(true);
    expect(chunks).toEqual(['您好，', '我们已为您', '加急查询包裹。']);
    expect(ok(r).reply).toBe('您好，我们已为您加急查询包裹。');
    expect(ok(r).generator).toEqual({ used: true, model: 'glm-stream' });
    await customerReply.unload?.(s);
  });

  it('gives a streaming caller a one-piece answer sentence by sentence, and the template the same way', async () => {
    mode = 'ok';
    const s = await withGenerator(2000);
    const chunks: unknown[] = [];
    const [r] = await handle([input], s, streamingCtx(chunks));
    expect(ok(r).generator.used).toBe(true);
    expect(chunks).toEqual(['您好，我们已为您加急查询包裹。']);
    const templated: unknown[] = [];
    const [t] = await handle([{ ...input, useGenerator: false }], s, streamingCtx(templated));
    expect(templated.length).toBeGreaterThan(1);
    expect(templated.join('')).toBe(ok(t).reply);
    await customerReply.unload?.(s);
  });

  it('falls back to the template on a timeout and says so', async () => {
    mode = 'held';
    const s = await withGenerator(200);
    // The server never answers on its own: only the generator's timeout can end this call.
    const r = await reply(input, s);
    release();
    expect(r.generator.used).toBe(false);
    expect(r.generator.fallbackReason).toMatch(/timed out after 200 ms/);
    expect(r.reply).toBe((await reply({ ...input, useGenerator: false }, s)).reply);
    expect(r.reply).toContain('A10293');
    await customerReply.unload?.(s);
  });

  it('gives up in time for the platform deadline', async () => {
    mode = 'held';
    const s = await withGenerator(5000);
    const [r] = await handle([input], s, ctx({ deadline: Date.now() + 400 }));
    release();
    expect(ok(r).generator.used).toBe(false);
    // The wait was cut to what the deadline left (400 ms less its 100 ms margin, at most), not the configured 5 s.
    const waited = Number(/timed out after (\d+) ms/.exec(ok(r).generator.fallbackReason ?? '')?.[1]);
    expect(waited).toBeGreaterThanOrEqual(1);
    expect(waited).toBeLessThanOrEqual(300);
    await customerReply.unload?.(s);
  });

  it('falls back on HTTP 500 and on an empty answer', async () => {
    const s = await withGenerator(2000);
    mode = 'error';
    const failed = await reply(input, s);
    expect(failed.generator).toEqual({ used: false, fallbackReason: 'generator answered HTTP 500' });
    expect(failed.reply).toContain('A10293');
    mode = 'empty';
    expect((await reply(input, s)).generator.fallbackReason).toBe('generator returned no reply text');
    await customerReply.unload?.(s);
  });

  it('falls back when nothing listens at the address', async () => {
    const s = await loadCustomerReply(DIR, { generator: { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', timeoutMs: 1000, maxTokens: 64 } });
    const r = await reply(input, s);
    expect(r.generator.used).toBe(false);
    expect(r.generator.fallbackReason).toMatch(/unreachable|timed out/);
    await customerReply.unload?.(s);
  });

  it('reads generator.json, names every bad key, and sends the key from apiKeyFile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reply-gen-'));
    try {
      expect(await readGeneratorConfig(dir)).toBeUndefined();
      writeFileSync(join(dir, 'key'), 'sk-local-123\n');
      writeFileSync(join(dir, 'generator.json'), JSON.stringify({ baseUrl: url, model: 'glm', timeoutMs: 1500, apiKeyFile: join(dir, 'key') }));
      const config = await readGeneratorConfig(dir);
      expect(config).toEqual({ baseUrl: url, model: 'glm', timeoutMs: 1500, maxTokens: 512, apiKey: 'sk-local-123' });
      mode = 'ok';
      requests.length = 0;
      const s = await loadCustomerReply(DIR, { generator: config! });
      expect((await reply(input, s)).generator.used).toBe(true);
      expect(requests[0]!.headers.authorization).toBe('Bearer sk-local-123');
      await customerReply.unload?.(s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const bad = parseGeneratorConfig({ baseUrl: 'ftp://x', timeoutMs: 0, extra: 1 });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors.map((e) => e.split(':')[0])).toEqual(expect.arrayContaining(['baseUrl', 'model', 'timeoutMs', 'extra']));
  });
});
