//===- ShapeKernels.cpp - broadcasts, reductions, gathers, pads, one-hot ---===//
#include "codegen/Kernels.h"

#include "llvm/IR/Module.h"

namespace nnc {

using llvm::Value;

// Broadcasts, transposes, slices and pads write each output element once:
// a batched one splits its samples across threads (sampleNest), and every
// value inside the body is derived there (it may run in a task).

void emitBroadcast(FunctionEmitter &em, const Node &n, Value *) {
  const Node &src = *n.operands[0];
  em.sampleNest(n.type, [&](const std::vector<Value *> &idx) {
    std::vector<Value *> inStrides = em.stridesWithin(src.type, n.type);
    std::vector<Value *> outStrides = em.stridesWithin(n.type, n.type);
    em.store(n, em.buffer(n), em.linearIndex(idx, outStrides),
             em.load(src, em.linearIndex(idx, inStrides)));
  });
}

/// A reduction over leading axes into a shared output (a bias gradient
/// summed over the batch and positions: [B, T, D] -> [D]). Blocks of
/// consecutive output elements are split across threads; each block folds
/// the input rows in order, so every output element sums its inputs in the
/// order of the whole-tensor loop (same bits), and the inner loop runs
/// along a contiguous row (it vectorises). False when the reduced axes are
/// not the leading ones.
static bool emitReduceLeading(FunctionEmitter &em, const Node &n, Value *init) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &src = *n.operands[0];
  int64_t outCount = n.type.elementsPerSample();
  std::vector<int64_t> full = fullDims(src.type);
  // The trailing dims of src whose product is the output's size must be
  // exactly the kept ones: every output element then owns one element
  // per leading-index row.
  int64_t trailing = 1;
  size_t first = full.size();
  while (first > 0 && trailing < outCount && full[first - 1] != kBatchDim)
    trailing *= full[--first];
  if (trailing != outCount || first == 0)
    return false;
  std::vector<int64_t> kept(full.begin() + first, full.end()), outDims = n.type.dims;
  while (!outDims.empty() && outDims.front() == 1)
    outDims.erase(outDims.begin());
  while (!kept.empty() && kept.front() == 1)
    kept.erase(kept.begin());
  if (kept != outDims || n.type.batched)
    return false;
  constexpr int64_t kBlock = 64;
  int64_t blocks = (outCount + kBlock - 1) / kBlock;
  int64_t rowsPerSample = src.type.elementsPerSample() / outCount;
  bool isMax = n.op == OpKind::MaxTo;
  em.parallelLoop(ir.getInt64(blocks), rowsPerSample * kBlock, [&](Value *block) {
    Value *out = em.buffer(n);
    Value *begin = ir.CreateMul(block, ir.getInt64(kBlock));
    Value *end = ir.CreateSelect(ir.CreateICmpSLT(ir.CreateAdd(begin, ir.getInt64(kBlock)), ir.getInt64(outCount)),
                                 ir.CreateAdd(begin, ir.getInt64(kBlock)), ir.getInt64(outCount));
    em.loopRange(begin, end, [&](Value *o) { em.store(n, out, o, init); }, "o");
    Value *rows = ir.getInt64(rowsPerSample);
    if (src.type.batched)
      rows = ir.CreateMul(rows, em.batch());
    em.loop(rows, [&](Value *r) {
      Value *row = ir.CreateMul(r, ir.getInt64(outCount));
      em.loopRange(begin, end, [&](Value *o) {
        Value *x = em.load(src, ir.CreateAdd(row, o)), *a = em.load(n, o);
        em.store(n, out, o, isMax ? ir.CreateSelect(ir.CreateFCmpOGT(x, a), x, a) : ir.CreateFAdd(a, x));
      }, "o");
    }, "r");
  });
  return true;
}

/// SumTo and MaxTo: initialise, then fold every input element into the
/// output element it maps to (in row-major input order: deterministic).
void emitReduceTo(FunctionEmitter &em, const Node &n, Value *out) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &src = *n.operands[0];
  llvm::Type *t = em.elemType(n.type.dtype);
  bool isMax = n.op == OpKind::MaxTo;
  if (em.isInlineScalar(src)) {
    // A broadcast scalar: its max is itself, its sum value times copies.
    Value *v = em.scalarValue(src);
    if (!isMax) {
      Value *copies = ir.CreateUDiv(em.elementCount(src), em.elementCount(n));
      v = ir.CreateFMul(v, ir.CreateSIToFP(copies, t));
    }
    em.loop(em.elementCount(n), [&](Value *i) { em.store(n, out, i, v); });
    return;
  }
  Value *init = isMax ? llvm::ConstantFP::getInfinity(t, true) : llvm::ConstantFP::get(t, 0.0);
  auto fold = [&](Value *dest, const std::vector<Value *> &idx) {
    std::vector<Value *> outStrides = em.stridesWithin(n.type, src.type);
    std::vector<Value *> inStrides = em.stridesWithin(src.type, src.type);
    Value *o = em.linearIndex(idx, outStrides);
    Value *acc = em.load(n, o), *x = em.load(src, em.linearIndex(idx, inStrides));
    Value *next = isMax ? ir.CreateSelect(ir.CreateFCmpOGT(x, acc), x, acc)
                        : ir.CreateFAdd(acc, x);
    em.store(n, dest, o, next);
  };
  if (n.type.batched && src.type.batched) {
    // Each sample reduces into its own outputs (pooling's max_to, a
    // per-sample sum): samples are split across threads, each summed in
    // the same order as before.
    int64_t perSampleOut = n.type.elementsPerSample();
    em.parallelLoop(em.batch(), src.type.elementsPerSample(), [&](Value *sample) {
      Value *dest = em.buffer(n);
      Value *first = ir.CreateMul(sample, ir.getInt64(perSampleOut));
      em.loop(ir.getInt64(perSampleOut), [&](Value *i) { em.store(n, dest, ir.CreateAdd(first, i), init); });
      std::vector<Value *> extents;
      for (int64_t d : src.type.dims)
        extents.push_back(ir.getInt64(d));
      em.nest(extents, [&](const std::vector<Value *> &idx) {
        std::vector<Value *> full{sample};
        full.insert(full.end(), idx.begin(), idx.end());
        fold(dest, full);
      });
    });
    return;
  }
  if ((src.type.batched || src.type.elementsPerSample() >= FunctionEmitter::kParallelMinWork) &&
      emitReduceLeading(em, n, init))
    return;
  em.loop(em.elementCount(n), [&](Value *i) { em.store(n, out, i, init); });
  em.nest(em.extentsOf(src.type), [&](const std::vector<Value *> &idx) { fold(out, idx); });
}

/// Transpose and Slice read one input element per output element.
void emitGather(FunctionEmitter &em, const Node &n, Value *) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &src = *n.operands[0];
  size_t lead = n.type.batched ? 1 : 0;
  em.sampleNest(n.type, [&](const std::vector<Value *> &idx) {
    std::vector<Value *> inStrides = em.rowMajorStrides(src.type);
    std::vector<Value *> outStrides = em.rowMajorStrides(n.type);
    Value *in = ir.getInt64(0);
    if (lead)
      in = ir.CreateMul(idx[0], inStrides[0]);
    for (size_t i = 0; i < n.type.dims.size(); ++i) {
      size_t axis = n.op == OpKind::Transpose ? n.ints[i] : i;
      Value *coord = idx[lead + i];
      if (n.op == OpKind::Slice)
        coord = ir.CreateAdd(coord, ir.getInt64(n.ints[i]));
      in = ir.CreateAdd(in, ir.CreateMul(coord, inStrides[lead + axis]));
    }
    em.store(n, em.buffer(n), em.linearIndex(idx, outStrides), em.load(src, in));
  });
}

/// Pad: zeros, then the operand copied in at its offset.
void emitPad(FunctionEmitter &em, const Node &n, Value *) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &src = *n.operands[0];
  llvm::Type *t = em.elemType(n.type.dtype);
  em.parallelLoop(em.elementCount(n), 1, [&](Value *i) {
    em.store(n, em.buffer(n), i, llvm::ConstantFP::get(t, 0.0));
  });
  size_t lead = n.type.batched ? 1 : 0;
  em.sampleNest(src.type, [&](const std::vector<Value *> &idx) {
    std::vector<Value *> inStrides = em.rowMajorStrides(src.type);
    std::vector<Value *> outStrides = em.rowMajorStrides(n.type);
    Value *o = lead ? ir.CreateMul(idx[0], outStrides[0]) : ir.getInt64(0);
    for (size_t i = 0; i < src.type.dims.size(); ++i)
      o = ir.CreateAdd(o, ir.CreateMul(ir.CreateAdd(idx[lead + i], ir.getInt64(n.ints[i])),
                                       outStrides[lead + i]));
    em.store(n, em.buffer(n), o, em.load(src, em.linearIndex(idx, inStrides)));
  });
}

void emitOneHot(FunctionEmitter &em, const Node &n, Value *out) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &labels = *n.operands[0];
  int64_t classes = n.type.dims.back();
  llvm::Type *t = em.elemType(n.type.dtype);
  em.loop(em.elementCount(labels), [&](Value *i) {
    Value *label = ir.CreateSExt(em.load(labels, i), ir.getInt64Ty());
    em.loop(ir.getInt64(classes), [&](Value *k) {
      Value *hit = ir.CreateICmpEQ(label, k);
      em.store(n, out, ir.CreateAdd(ir.CreateMul(i, ir.getInt64(classes)), k),
            ir.CreateSelect(hit, llvm::ConstantFP::get(t, 1.0), llvm::ConstantFP::get(t, 0.0)));
    }, "k");
  });
}

/// One pass over the axis per output element, keeping the first best: a
/// later element wins only when strictly better or the first NaN.
void emitArgReduce(FunctionEmitter &em, const Node &n, Value *out) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &x = *n.operands[0];
  int64_t axis = n.ints[0], size = x.type.dims[axis], inner = 1;
  for (size_t i = axis + 1; i < x.type.dims.size(); ++i)
    inner *= x.type.dims[i];
  llvm::Type *t = em.elemType(x.type.dtype);
  em.parallelLoop(em.elementCount(n), size, [&](Value *o) {
    Value *dest = em.buffer(n);
    // Output element o = (outer, j): x element (outer * size + k) * inner + j.
    Value *outer = ir.CreateUDiv(o, ir.getInt64(inner)), *j = ir.CreateURem(o, ir.getInt64(inner));
    Value *base = ir.CreateAdd(ir.CreateMul(outer, ir.getInt64(size * inner)), j);
    Value *bestSlot = em.entryAlloca(t), *indexSlot = em.entryAlloca(ir.getInt64Ty());
    ir.CreateStore(em.load(x, base), bestSlot);
    ir.CreateStore(ir.getInt64(0), indexSlot);
    em.loopRange(ir.getInt64(1), ir.getInt64(size), [&](Value *k) {
      Value *v = em.load(x, ir.CreateAdd(base, ir.CreateMul(k, ir.getInt64(inner))));
      Value *best = ir.CreateLoad(t, bestSlot);
      Value *better = n.op == OpKind::ArgMax ? ir.CreateFCmpOGT(v, best) : ir.CreateFCmpOLT(v, best);
      Value *firstNaN = ir.CreateAnd(ir.CreateFCmpUNO(v, v), ir.CreateFCmpORD(best, best));
      Value *take = ir.CreateOr(better, firstNaN);
      ir.CreateStore(ir.CreateSelect(take, v, best), bestSlot);
      ir.CreateStore(ir.CreateSelect(take, k, ir.CreateLoad(ir.getInt64Ty(), indexSlot)), indexSlot);
    }, "k");
    em.store(n, dest, o, ir.CreateTrunc(ir.CreateLoad(ir.getInt64Ty(), indexSlot), ir.getInt32Ty()));
  });
}

} // namespace nnc
