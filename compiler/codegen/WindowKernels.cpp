//===- WindowKernels.cpp - im2col and col2im (convolution and pooling) -----===//
//
// Convolutions are im2col + a GEMM and pooling is im2col + max_to / sum_to
// (sema/Layers.cpp); their gradients are col2im. Both run per sample on the
// model's threads.
//
//===----------------------------------------------------------------------===//
#include "codegen/Kernels.h"

#include "llvm/IR/Module.h"

namespace nnc {

using llvm::Value;

/// Im2Col gathers each window into a row; Col2Im (its adjoint) adds each
/// row entry back to the pixel it came from. Padding pixels read as
/// `scalar` and are dropped on the way back.
void emitWindow(FunctionEmitter &em, const Node &n, Value *out) {
  llvm::IRBuilder<> &ir = em.builder();
  bool toCols = n.op == OpKind::Im2Col;
  const Node &src = *n.operands[0];
  const TensorType &image = toCols ? src.type : n.type;
  const Window &w = n.window;
  int64_t H = image.dims[0], W = image.dims[1], C = image.dims[2];
  int64_t OH = w.outH(H), OW = w.outW(W);
  int64_t rowLen = w.kh * w.kw * C;
  llvm::Type *t = em.elemType(n.type.dtype);
  // Samples are independent (each writes only its own rows or its own
  // image), so they are split across threads.
  Value *batch = image.batched ? em.batch() : ir.getInt64(1);
  int64_t perSample = OH * OW * rowLen;
  em.parallelLoop(batch, perSample, [&](Value *sample) {
  Value *out = em.buffer(n);
  if (!toCols) {
    Value *first = ir.CreateMul(sample, ir.getInt64(H * W * C));
    em.loop(ir.getInt64(H * W * C), [&](Value *i) {
      em.store(n, out, ir.CreateAdd(first, i), llvm::ConstantFP::get(t, 0.0));
    });
  }
  em.nest({ir.getInt64(OH), ir.getInt64(OW), ir.getInt64(w.kh), ir.getInt64(w.kw)},
       [&](const std::vector<Value *> &inner) {
    std::vector<Value *> i{sample};
    i.insert(i.end(), inner.begin(), inner.end());
    Value *ih = ir.CreateAdd(ir.CreateMul(i[1], ir.getInt64(w.strideH)),
                             ir.CreateSub(ir.CreateMul(i[3], ir.getInt64(w.dilationH)),
                                          ir.getInt64(w.padTop)));
    Value *iw = ir.CreateAdd(ir.CreateMul(i[2], ir.getInt64(w.strideW)),
                             ir.CreateSub(ir.CreateMul(i[4], ir.getInt64(w.dilationW)),
                                          ir.getInt64(w.padLeft)));
    Value *inside = ir.CreateAnd(
        ir.CreateAnd(ir.CreateICmpSGE(ih, ir.getInt64(0)), ir.CreateICmpSLT(ih, ir.getInt64(H))),
        ir.CreateAnd(ir.CreateICmpSGE(iw, ir.getInt64(0)), ir.CreateICmpSLT(iw, ir.getInt64(W))));
    // Pixel (clamped to 0 outside, so the address is always valid).
    Value *pixel = ir.CreateMul(ir.CreateAdd(ir.CreateMul(i[0], ir.getInt64(H)), ih),
                                ir.getInt64(W));
    pixel = ir.CreateMul(ir.CreateAdd(pixel, iw), ir.getInt64(C));
    pixel = ir.CreateSelect(inside, pixel, ir.getInt64(0));
    Value *row = ir.CreateAdd(ir.CreateMul(i[0], ir.getInt64(OH * OW)),
                              ir.CreateAdd(ir.CreateMul(i[1], ir.getInt64(OW)), i[2]));
    Value *col = ir.CreateMul(ir.CreateAdd(ir.CreateMul(i[3], ir.getInt64(w.kw)), i[4]),
                              ir.getInt64(C));
    Value *cell = ir.CreateAdd(ir.CreateMul(row, ir.getInt64(rowLen)), col);
    em.loop(ir.getInt64(C), [&](Value *c) {
      if (toCols) {
        Value *v = ir.CreateSelect(inside, em.load(src, ir.CreateAdd(pixel, c)),
                                   llvm::ConstantFP::get(t, n.scalar));
        em.store(n, out, ir.CreateAdd(cell, c), v);
        return;
      }
      Value *target = ir.CreateAdd(pixel, c);
      Value *sum = ir.CreateFAdd(em.load(n, target), em.load(src, ir.CreateAdd(cell, c)));
      // Outside the image the add is discarded (pixel 0 keeps its value).
      em.store(n, out, target, ir.CreateSelect(inside, sum, em.load(n, target)));
    }, "c");
  });
  });
}

} // namespace nnc
