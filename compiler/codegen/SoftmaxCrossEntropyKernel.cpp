//===- SoftmaxCrossEntropyKernel.cpp - the fused loss, one row kernel each way ===//
#include "codegen/Kernels.h"

#include "llvm/IR/Module.h"

namespace nnc {

using llvm::Value;

/// acc = step(acc, k) for k in [0, width), from `init`: one pass over a row.
static Value *foldRow(FunctionEmitter &em, llvm::Type *t, int64_t width, Value *init,
                      const std::function<Value *(Value *, Value *)> &step) {
  llvm::IRBuilder<> &ir = em.builder();
  Value *slot = em.entryAlloca(t);
  ir.CreateStore(init, slot);
  em.loop(ir.getInt64(width), [&](Value *k) { ir.CreateStore(step(ir.CreateLoad(t, slot), k), slot); }, "k");
  return ir.CreateLoad(t, slot);
}

/// One pass per row of logits (a sample's C classes) for the loss, one for
/// its gradient, each recomputing the row's max m and s = sum exp(x - m):
///   loss = -((x[label] - m) - log s)
///   grad = -g * one_hot(label) + (g / s) * exp(x - m)
/// the same operations, in the same order, as the unfused log-softmax
/// graph, so the results are the same bits. A label outside 0..C-1 (only
/// possible through the C API) gives a NaN loss, never a read outside x.
void emitSoftmaxCrossEntropy(FunctionEmitter &em, const Node &n) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &x = *n.operands[0], &labels = *n.operands[1];
  bool grad = n.op == OpKind::SoftmaxCrossEntropyGrad;
  int64_t classes = x.type.dims.back();
  llvm::Type *t = em.elemType(n.type.dtype);
  em.parallelLoop(em.elementCount(labels), 3 * classes, [&](Value *row) {
    // Buffers are derived on first use: here, before the inner loops.
    for (const Node *o : n.operands)
      if (!em.isInlineScalar(*o))
        em.buffer(em.canonical(*o));
    Value *first = ir.CreateMul(row, ir.getInt64(classes));
    auto xAt = [&](Value *k) { return em.load(x, ir.CreateAdd(first, k)); };
    auto fold = [&](Value *init, const std::function<Value *(Value *, Value *)> &step) {
      return foldRow(em, t, classes, init, step);
    };
    Value *m = fold(llvm::ConstantFP::getInfinity(t, true), [&](Value *acc, Value *k) {
      Value *v = xAt(k);
      return ir.CreateSelect(ir.CreateFCmpOGT(v, acc), v, acc);
    });
    Value *s = fold(llvm::ConstantFP::get(t, 0.0), [&](Value *acc, Value *k) {
      return ir.CreateFAdd(acc, expOf(em, ir.CreateFSub(xAt(k), m), n.type.dtype));
    });
    Value *label = ir.CreateSExt(em.load(labels, row), ir.getInt64Ty());
    Value *valid = ir.CreateAnd(ir.CreateICmpSGE(label, ir.getInt64(0)),
                                ir.CreateICmpSLT(label, ir.getInt64(classes)));
    if (!grad) {
      Value *xl = xAt(ir.CreateSelect(valid, label, ir.getInt64(0)));
      Value *loss = ir.CreateFNeg(ir.CreateFSub(ir.CreateFSub(xl, m), em.call(llvm::Intrinsic::log, s)));
      em.store(n, em.buffer(n), row, ir.CreateSelect(valid, loss, llvm::ConstantFP::getNaN(t)));
      return;
    }
    Value *g = em.load(*n.operands[2], row);
    Value *scale = ir.CreateFDiv(g, s), *minusG = ir.CreateFNeg(g);
    em.loop(ir.getInt64(classes), [&](Value *k) {
      Value *hot = ir.CreateSelect(ir.CreateICmpEQ(k, label), llvm::ConstantFP::get(t, 1.0),
                                   llvm::ConstantFP::get(t, 0.0));
      Value *e = expOf(em, ir.CreateFSub(xAt(k), m), n.type.dtype);
      em.store(n, em.buffer(n), ir.CreateAdd(first, k),
            ir.CreateFAdd(ir.CreateFMul(minusG, hot), ir.CreateFMul(scale, e)));
    }, "k");
  });
}

/// A fold over the `width` elements of a row at base[first..]: in 8 lanes,
/// lane j folding elements j, j + 8, ... in order; the lanes combined by
/// halves (j with j + 4, then j + 2, then j + 1); then the last width % 8
/// elements one at a time. The same order on every target (8 lanes
/// whatever its vector width) and at every thread count, and vector
/// instructions where one running value would wait on every add.
/// `step(acc, v)` must work on scalars and vectors alike.
static Value *foldLanes(FunctionEmitter &em, llvm::Type *t, Value *base, Value *first, int64_t width,
                        Value *init, const std::function<Value *(Value *, Value *)> &step) {
  llvm::IRBuilder<> &ir = em.builder();
  constexpr unsigned lanes = 8;
  int64_t chunks = width / lanes;
  auto at = [&](Value *k) { return ir.CreateInBoundsGEP(t, base, ir.CreateAdd(first, k)); };
  llvm::Align align(t->getPrimitiveSizeInBits() / 8);
  Value *acc = init;
  if (chunks > 0) {
    auto *vt = llvm::FixedVectorType::get(t, lanes);
    Value *slot = em.entryAlloca(vt);
    ir.CreateStore(ir.CreateVectorSplat(lanes, init), slot);
    em.loop(ir.getInt64(chunks), [&](Value *c) {
      Value *v = ir.CreateAlignedLoad(vt, at(ir.CreateMul(c, ir.getInt64(lanes))), align);
      ir.CreateStore(step(ir.CreateLoad(vt, slot), v), slot);
    }, "c");
    Value *v = ir.CreateLoad(vt, slot);
    for (unsigned half = lanes / 2; half >= 1; half /= 2) {
      llvm::SmallVector<int, lanes> lo, hi;
      for (unsigned j = 0; j < half; ++j) {
        lo.push_back(j);
        hi.push_back(j + half);
      }
      v = step(ir.CreateShuffleVector(v, lo), ir.CreateShuffleVector(v, hi));
    }
    acc = ir.CreateExtractElement(v, uint64_t(0));
  }
  for (int64_t k = chunks * lanes; k < width; ++k) // the tail: fewer than 8, unrolled
    acc = step(acc, ir.CreateAlignedLoad(t, at(ir.getInt64(k)), align));
  return acc;
}

/// Softmax over the last axis, a row at a time (rows split across threads):
///   forward:  m = max x, e = exp(x - m), y = e / sum(e)
///   backward: y * (g - sum(g * y))
/// One kernel each way instead of the seven kernels and their [.., T, T]
/// buffers the primitive graph takes. The row (x, fused chain and all, or
/// g * y) is first written to the output, which never shares memory with
/// an operand (MemoryPlan: both are alive at this node), so the max and the
/// sums fold it in 8 lanes (foldLanes) and every other pass is a plain loop
/// that LLVM vectorises, exp included.
void emitSoftmaxRows(FunctionEmitter &em, const Node &n) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &x = *n.operands[0];
  bool grad = n.op == OpKind::SoftmaxGrad;
  int64_t width = n.type.dims.back();
  llvm::Type *t = em.elemType(n.type.dtype);
  Value *rows = ir.CreateUDiv(em.elementCount(n), ir.getInt64(width));
  em.parallelLoop(rows, 3 * width, [&](Value *row) {
    for (const Node *o : n.operands)
      if (!em.isInlineScalar(*o))
        em.buffer(em.canonical(*o));
    Value *out = em.buffer(n);
    Value *first = ir.CreateMul(row, ir.getInt64(width));
    auto at = [&](const Node &v, Value *k) { return em.load(v, ir.CreateAdd(first, k)); };
    auto each = [&](const std::function<Value *(Value *)> &value) { // out[k] = value(k)
      em.loop(ir.getInt64(width), [&](Value *k) { em.store(n, out, ir.CreateAdd(first, k), value(k)); }, "k");
    };
    auto sum = [&](Value *acc, Value *v) { return ir.CreateFAdd(acc, v); };
    if (grad) {
      const Node &g = *n.operands[1];
      each([&](Value *k) { return ir.CreateFMul(at(g, k), at(x, k)); });
      Value *dot = foldLanes(em, t, out, first, width, llvm::ConstantFP::get(t, 0.0), sum);
      each([&](Value *k) { return ir.CreateFMul(at(x, k), ir.CreateFSub(at(g, k), dot)); });
      return;
    }
    each([&](Value *k) { return at(x, k); });
    Value *m = foldLanes(em, t, out, first, width, llvm::ConstantFP::getInfinity(t, true),
                         [&](Value *acc, Value *v) { return ir.CreateSelect(ir.CreateFCmpOGT(v, acc), v, acc); });
    each([&](Value *k) { return expOf(em, ir.CreateFSub(at(n, k), m), n.type.dtype); });
    Value *s = foldLanes(em, t, out, first, width, llvm::ConstantFP::get(t, 0.0), sum);
    each([&](Value *k) { return ir.CreateFDiv(at(n, k), s); });
  });
}

} // namespace nnc
