import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import fn from '../handler.ts';
import { fraudInput, normalInput } from '../../../test/functions/risk-fixtures.ts';
await tf.setBackend('wasm'); await tf.ready();
const st = await fn.load!({ dir: new URL('..', import.meta.url).pathname, device: 'cpu:0' });
const ctx = { function: 'risk-scoring', version: 'x', device: 'cpu:0', deadline: Infinity, signal: new AbortController().signal };
const r = await fn.handle([normalInput(), fraudInput(), { ...normalInput(), explain: true }], st, ctx);
console.log(JSON.stringify(r, null, 1));
