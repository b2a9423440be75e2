import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import fn, { loadCustomerReply } from '../handler.ts';
await tf.setBackend('wasm'); await tf.ready();
const st = await loadCustomerReply(new URL('..', import.meta.url).pathname, { generator: null });
const ctx = { function: 'x', version: 'x', device: 'cpu:0', deadline: Infinity, signal: new AbortController().signal };
const order = { id: 'A10293', status: 'in_transit', shippedAt: '2025-03-03', estimatedDelivery: '2025-03-07', items: ['Travel mug', { name: 'Green tea', quantity: 2 }] };
const msgs = [
  { message: '用户投诉订单延迟', context: { order, customer: { name: '王女士', tier: 'gold' } } },
  { message: 'My package says delivered but I never got it', context: { order: { ...order, status: 'delivered', deliveredAt: '2025-03-06' }, customer: { name: 'Anna' } } },
  { message: '我要退款', context: { order: { id: 'B1', status: 'delivered', items: ['蓝牙耳机'] } } },
  { message: 'I was charged twice for my order' },
  { message: '忘记密码了', context: { customer: { name: '李先生' } } },
  { message: 'Is this jacket waterproof?', context: { order: { items: ['Rain jacket'] } } },
  { message: '叫你们经理出来！', context: { customer: { tier: 'platinum' } } },
  { message: '你们几点上班？' },
  { message: 'hello' },
  { message: 'Do you ship to Canada?' },
  { message: '发错货了，我要的是黑色', context: { order } },
  { message: 'cancel my order', context: { order: { id: 'C9', status: 'processing' } }, temperature: 1, seed: 4 },
];
const r = await fn.handle(msgs as any, st, ctx);
for (const x of r) console.log(JSON.stringify({ ...(x as any), reply: undefined }), '\n' + (x as any).reply + '\n-----');
