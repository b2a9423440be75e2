import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm'); await tf.ready();
console.log(tf.getBackend());
const T=30,F=9;
const m = tf.sequential();
m.add(tf.layers.inputLayer({inputShape:[T,F]}));
m.add(tf.layers.lstm({units:64, kernelInitializer: tf.initializers.glorotUniform({seed:1}), recurrentInitializer: tf.initializers.orthogonal({seed:2})}));
m.add(tf.layers.dense({units:1, activation:'sigmoid', kernelInitializer: tf.initializers.glorotUniform({seed:3})}));
m.compile({optimizer: tf.train.adam(1e-3), loss:'binaryCrossentropy'});
const N=2048;
const x = tf.randomNormal([N,T,F],0,1,'float32',7); const y = tf.randomUniform([N,1],0,1,'float32',8).greater(0.5).toFloat();
let t=Date.now(); await m.fit(x,y,{epochs:1,batchSize:64,shuffle:false,verbose:0}); console.log('fit seq/s', N/((Date.now()-t)/1000));
for (const b of [1,32,256]) { const xb = x.slice([0,0,0],[b,T,F]); m.predict(xb); t=performance.now(); let n=0; while(performance.now()-t<1000){ (m.predict(xb) as tf.Tensor).dataSync(); n++;} console.log('batch',b,'items/s', n*b/((performance.now()-t)/1000)); }
