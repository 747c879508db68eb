// Runs an ONNX model with onnxruntime-node (scripts/fetch_onnxruntime.sh
// prints the NODE_PATH it needs) on .npy inputs and writes each output as
// OUTDIR/NAME.npy. The checker of `nnc export` (test/export) and of
// bench/'s inference peer.
//
//   node scripts/ort_run.js MODEL.onnx OUTDIR NAME=IN.npy... [--threads N]
//        [--optimization disabled|basic|extended|all]
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const npyTypes = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '<i4': ['int32', Int32Array], '<i8': ['int64', BigInt64Array],
  '|u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',')
    .map((s) => s.trim()).filter((s) => s.length).map(Number);
  const kind = npyTypes[descr];
  if (!kind) throw new Error(`${file}: dtype ${descr} is not supported`);
  const data = buf.subarray(start + headerLen);
  const copy = new Uint8Array(data).buffer; // aligned
  return new ort.Tensor(kind[0], new kind[1](copy), shape);
}

function writeNpy(file, tensor) {
  const descr = Object.keys(npyTypes).find((k) => npyTypes[k][0] === tensor.type);
  if (!descr) throw new Error(`output type ${tensor.type} is not supported`);
  const dims = tensor.dims.join(', ') + (tensor.dims.length === 1 ? ',' : '');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const data = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), data]));
}

async function main() {
  const args = process.argv.slice(2);
  let threads = 1;
  const t = args.indexOf('--threads');
  if (t >= 0) { threads = Number(args[t + 1]); args.splice(t, 2); }
  let level = 'all';
  const o = args.indexOf('--optimization');
  if (o >= 0) { level = args[o + 1]; args.splice(o, 2); }
  const [model, outDir, ...bindings] = args;
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: level,
  });
  const feeds = {};
  for (const b of bindings) {
    const eq = b.indexOf('=');
    feeds[b.slice(0, eq)] = readNpy(b.slice(eq + 1));
  }
  const results = await session.run(feeds);
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of session.outputNames) writeNpy(path.join(outDir, `${name}.npy`), results[name]);
}

main().catch((e) => { console.error(`ort_run: ${e.message}`); process.exit(1); });
