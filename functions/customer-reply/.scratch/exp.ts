import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadExamples, splitExamples, type Example } from '../dataset.ts';
import { INTENTS } from '../intents.ts';
import { Rng } from '../rng.ts';
import { fnv1a, normaliseText } from '../text-features.ts';
await tf.setBackend('wasm'); await tf.ready();
const dir = new URL('..', import.meta.url).pathname;
const all = loadExamples(dir);

type Cfg = { inDrop?: number; dim: number; minN: number; maxN: number; words: boolean; hidden: number; dropout: number; l2: number; epochs: number; lr: number; idf: boolean };
function grams(text: string, c: Cfg): string[] {
  const chars = Array.from(` ${normaliseText(text)} `);
  const g: string[] = [];
  for (let n = c.minN; n <= c.maxN; n++) for (let i = 0; i + n <= chars.length; i++) { const s = chars.slice(i, i + n).join(''); if (s.trim()) g.push(s); }
  if (c.words) for (const w of normaliseText(text).split(/[^a-z0-9']+/)) if (w) g.push('w:' + w);
  return g;
}
async function run(c: Cfg, seed: number) {
  const { train, test } = splitExamples(all, seed, 0.2);
  const df = new Float32Array(c.dim);
  if (c.idf) for (const e of train) for (const h of new Set(grams(e.text, c).map((g) => fnv1a(g) % c.dim))) df[h]!++;
  const feat = (es: Example[]) => { const b = new Float32Array(es.length * c.dim); es.forEach((e, i) => { const v = b.subarray(i * c.dim, (i + 1) * c.dim); for (const g of grams(e.text, c)) v[fnv1a(g) % c.dim]! += 1; let n = 0; for (let j = 0; j < c.dim; j++) if (v[j]) { v[j] = Math.log1p(v[j]!) * (c.idf ? Math.log((1 + train.length) / (1 + df[j]!)) + 1 : 1); n += v[j]! * v[j]!; } const s = 1 / Math.sqrt(n); for (let j = 0; j < c.dim; j++) v[j]! *= s; }); return tf.tensor2d(b, [es.length, c.dim]); };
  const lab = (es: Example[]) => tf.oneHot(es.map((e) => INTENTS.indexOf(e.intent)), 10).toFloat();
  const m = tf.sequential();
  if (c.inDrop) m.add(tf.layers.dropout({ rate: c.inDrop, seed: 9, inputShape: [c.dim] }));
  if (c.hidden > 0) { m.add(tf.layers.dense({ inputShape: [c.dim], units: c.hidden, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), kernelRegularizer: tf.regularizers.l2({ l2: c.l2 }) })); if (c.dropout) m.add(tf.layers.dropout({ rate: c.dropout, seed: 4 })); m.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) })); }
  else m.add(tf.layers.dense({ inputShape: [c.dim], units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), kernelRegularizer: tf.regularizers.l2({ l2: c.l2 }) }));
  m.compile({ optimizer: tf.train.adam(c.lr), loss: 'categoricalCrossentropy' });
  const x = feat(train), y = lab(train), xt = feat(test);
  await m.fit(x, y, { epochs: c.epochs, batchSize: 16, shuffle: true, verbose: 0 });
  const p = (m.predict(xt) as tf.Tensor).argMax(-1).dataSync();
  const acc = test.filter((e, i) => INTENTS[p[i]!] === e.intent).length / test.length;
  tf.dispose([x, y, xt]); m.dispose();
  return acc;
}
const base: Cfg = { dim: 4096, minN: 1, maxN: 3, words: false, hidden: 32, dropout: 0.2, l2: 1e-5, epochs: 40, lr: 0.005, idf: false };
const variants: Partial<Cfg>[] = JSON.parse(process.argv[2] ?? '[{}]');
for (const v of variants) {
  const c = { ...base, ...v };
  const accs = []; for (const s of JSON.parse(process.argv[3] ?? "[42,7,99]") as number[]) accs.push(await run(c, s));
  console.log(JSON.stringify(v), accs.map((a) => a.toFixed(3)).join(' '), 'mean', (accs.reduce((a, b) => a + b) / accs.length).toFixed(3));
}
