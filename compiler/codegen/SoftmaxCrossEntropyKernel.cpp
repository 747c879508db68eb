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

/// Softmax over the last axis, a row at a time (rows split across threads):
///   forward:  m = max x, e = exp(x - m), y = e / sum(e)
///   backward: y * (g - sum(g * y))
/// One read of the row per reduction and one write, instead of the seven
/// kernels and their [.., T, T] buffers the primitive graph takes.
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
    auto fold = [&](Value *init, const std::function<Value *(Value *, Value *)> &step) {
      return foldRow(em, t, width, init, step);
    };
    if (grad) {
      const Node &g = *n.operands[1];
      Value *dot = fold(llvm::ConstantFP::get(t, 0.0), [&](Value *acc, Value *k) {
        return ir.CreateFAdd(acc, ir.CreateFMul(at(g, k), at(x, k)));
      });
      em.loop(ir.getInt64(width), [&](Value *k) {
        em.store(n, out, ir.CreateAdd(first, k), ir.CreateFMul(at(x, k), ir.CreateFSub(at(g, k), dot)));
      }, "k");
      return;
    }
    Value *m = fold(llvm::ConstantFP::getInfinity(t, true), [&](Value *acc, Value *k) {
      Value *v = at(x, k);
      return ir.CreateSelect(ir.CreateFCmpOGT(v, acc), v, acc);
    });
    Value *s = fold(llvm::ConstantFP::get(t, 0.0), [&](Value *acc, Value *k) {
      Value *e = expOf(em, ir.CreateFSub(at(x, k), m), n.type.dtype);
      em.store(n, out, ir.CreateAdd(first, k), e);
      return ir.CreateFAdd(acc, e);
    });
    em.loop(ir.getInt64(width), [&](Value *k) {
      Value *i = ir.CreateAdd(first, k);
      em.store(n, out, i, ir.CreateFDiv(em.load(n, i), s));
    }, "k");
  });
}

} // namespace nnc
