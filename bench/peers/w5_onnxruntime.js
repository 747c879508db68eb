// W5 peer: batch-1 inference latency of the W3 MLP and the W4 CNN in
// onnxruntime (onnxruntime-node 1.30.0, CPU; NODE_PATH from
// scripts/fetch_onnxruntime.sh), on the ONNX files w5_onnx_models.py writes.
// Calls the binding's synchronous run, so no promise or thread hop of the
// JavaScript wrapper is timed; intra-op threads = --threads, sequential
// execution, all graph optimisations. Prints the peers' JSON records
// (microseconds per call, one value per repetition).
//
//   node w5_onnxruntime.js --threads T --reps R --seconds S MLP.onnx CNN.onnx
'use strict';
const ort = require('onnxruntime-node');
const { binding, initOrt } = require('onnxruntime-node/dist/binding');

function option(args, name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
}

const args = process.argv.slice(2);
const threads = option(args, '--threads', 1);
const reps = option(args, '--reps', 5);
const seconds = option(args, '--seconds', 0.5);
const [mlp, cnn] = args;
initOrt();
for (const [workload, file] of [['W5-mlp', mlp], ['W5-cnn', cnn]]) {
  const session = new binding.InferenceSession();
  session.loadModel(file, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const input = session.inputMetadata[0].name;
  const output = session.outputMetadata[0].name;
  const data = new Float32Array(784);
  for (let i = 0; i < data.length; ++i) data[i] = (i % 97) / 97;
  const feeds = { [input]: new ort.Tensor('float32', data, [1, 1, 28, 28]) };
  const fetches = { [output]: null };
  for (let i = 0; i < 20; ++i) session.run(feeds, fetches, {});
  const values = [];
  for (let r = 0; r < reps; ++r) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    for (;;) {
      session.run(feeds, fetches, {});
      calls += 1;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
      if (elapsed >= seconds && calls >= 10) break;
    }
    values.push((elapsed / calls) * 1e6);
  }
  console.log(JSON.stringify({ workload, threads, unit: 'us', values }));
}
