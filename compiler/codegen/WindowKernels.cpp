//===- WindowKernels.cpp - im2col and col2im (convolution and pooling) -----===//
//
// Convolutions are im2col + a GEMM, their gradients col2im (an im2col read
// only by GEMMs is not written: they pack it from the image, Gemm.cpp's
// window task); average pooling
// is im2col + sum_to, max pooling a kernel of its own each way
// (sema/Convolution.cpp). All run per sample on the model's threads.
//
//===----------------------------------------------------------------------===//
#include "codegen/Kernels.h"

#include "llvm/IR/Module.h"

namespace nnc {

using llvm::Value;

namespace {

/// Where tap (ki, kj) of output pixel (oh, ow) of `sample` reads: the flat
/// index of its first channel and whether it is inside the image. Outside,
/// the index is the sample's first pixel, so a masked access stays in
/// memory that only this sample's iteration (this thread) touches.
struct Tap {
  Value *pixel, *inside;
};

Tap windowTap(llvm::IRBuilder<> &ir, const Window &w, int64_t H, int64_t W, int64_t C,
              Value *sample, Value *oh, Value *ow, Value *ki, Value *kj) {
  auto i64 = [&](int64_t v) { return ir.getInt64(v); };
  Value *ih = ir.CreateAdd(ir.CreateMul(oh, i64(w.strideH)),
                           ir.CreateSub(ir.CreateMul(ki, i64(w.dilationH)), i64(w.padTop)));
  Value *iw = ir.CreateAdd(ir.CreateMul(ow, i64(w.strideW)),
                           ir.CreateSub(ir.CreateMul(kj, i64(w.dilationW)), i64(w.padLeft)));
  Value *inside = ir.CreateAnd(
      ir.CreateAnd(ir.CreateICmpSGE(ih, i64(0)), ir.CreateICmpSLT(ih, i64(H))),
      ir.CreateAnd(ir.CreateICmpSGE(iw, i64(0)), ir.CreateICmpSLT(iw, i64(W))));
  Value *first = ir.CreateMul(sample, i64(H * W * C));
  Value *pixel = ir.CreateMul(ir.CreateAdd(ir.CreateMul(ih, i64(W)), iw), i64(C));
  return {ir.CreateAdd(first, ir.CreateSelect(inside, pixel, i64(0))), inside};
}

/// Largest padded input row (bytes, on the stack) and the longest tap row
/// whose copy is unrolled, for emitIm2ColRows.
constexpr int64_t kMaxPaddedRowBytes = 16 << 10;
constexpr int64_t kMaxUnrolledRun = 32;

/// Im2Col of one sample when a window row's taps are adjacent pixels (no
/// dilation along W) and the image has few channels: each input row the
/// windows read is first copied with its padding into a stack buffer, then
/// every window's tap row is kw x C contiguous elements of that buffer,
/// copied without tests. Tap by tap and channel by channel, a one-channel
/// image (an MNIST model's first convolution) ran a loop of one iteration
/// per element and a bounds test per tap.
void emitIm2ColRows(FunctionEmitter &em, const Node &n, Value *sample) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &src = *n.operands[0];
  const Window &w = n.window;
  int64_t H = src.type.dims[0], W = src.type.dims[1], C = src.type.dims[2];
  int64_t OH = w.outH(H), OW = w.outW(W), run = w.kw * C;
  int64_t padded = ((OW - 1) * w.strideW + w.kw) * C; // from column -padLeft on
  auto i64 = [&](int64_t v) { return ir.getInt64(v); };
  llvm::Type *t = em.elemType(n.type.dtype);
  auto *rowTy = llvm::ArrayType::get(t, padded);
  Value *rowBuffer = em.entryAlloca(rowTy, "im2col.row");
  auto rowSlot = [&](Value *q) { return ir.CreateInBoundsGEP(rowTy, rowBuffer, {i64(0), q}); };
  Value *pad = llvm::ConstantFP::get(t, n.scalar);
  Value *out = em.buffer(n);
  Value *sampleFirst = ir.CreateMul(sample, i64(H * W * C));
  em.nest({i64(OH), i64(w.kh)}, [&](const std::vector<Value *> &i) {
    Value *ih = ir.CreateAdd(ir.CreateMul(i[0], i64(w.strideH)),
                             ir.CreateSub(ir.CreateMul(i[1], i64(w.dilationH)), i64(w.padTop)));
    Value *rowInside = ir.CreateAnd(ir.CreateICmpSGE(ih, i64(0)), ir.CreateICmpSLT(ih, i64(H)));
    Value *rowFirst = ir.CreateAdd(sampleFirst, ir.CreateMul(ih, i64(W * C)));
    em.loop(i64(padded), [&](Value *q) {
      Value *iw = ir.CreateSub(ir.CreateUDiv(q, i64(C)), i64(w.padLeft));
      Value *inside = ir.CreateAnd(rowInside, ir.CreateAnd(ir.CreateICmpSGE(iw, i64(0)),
                                                           ir.CreateICmpSLT(iw, i64(W))));
      // Outside, the index is the sample's first element: loaded, not used.
      Value *at = ir.CreateSelect(inside, ir.CreateAdd(rowFirst, ir.CreateSub(q, i64(w.padLeft * C))),
                                  sampleFirst);
      ir.CreateStore(ir.CreateSelect(inside, em.load(src, at), pad), rowSlot(q));
    }, "q");
    em.loop(i64(OW), [&](Value *ow) {
      Value *from = ir.CreateMul(ow, i64(w.strideW * C));
      Value *row = ir.CreateAdd(ir.CreateMul(ir.CreateAdd(ir.CreateMul(sample, i64(OH)), i[0]), i64(OW)), ow);
      Value *to = ir.CreateAdd(ir.CreateMul(row, i64(w.kh * run)), ir.CreateMul(i[1], i64(run)));
      auto copy = [&](Value *j) {
        em.store(n, out, ir.CreateAdd(to, j), ir.CreateLoad(t, rowSlot(ir.CreateAdd(from, j))));
      };
      if (run <= kMaxUnrolledRun)
        for (int64_t j = 0; j < run; ++j)
          copy(i64(j));
      else
        em.loop(i64(run), copy, "j");
    }, "ow");
  });
}

} // namespace

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
  if (toCols && w.dilationW == 1 &&
      ((OW - 1) * w.strideW + w.kw) * C * (n.type.dtype == DType::F64 ? 8 : 4) <= kMaxPaddedRowBytes) {
    emitIm2ColRows(em, n, sample);
    return;
  }
  Value *out = em.buffer(n);
  if (!toCols) {
    Value *first = ir.CreateMul(sample, ir.getInt64(H * W * C));
    em.loop(ir.getInt64(H * W * C), [&](Value *i) {
      em.store(n, out, ir.CreateAdd(first, i), llvm::ConstantFP::get(t, 0.0));
    });
  }
  em.nest({ir.getInt64(OH), ir.getInt64(OW), ir.getInt64(w.kh), ir.getInt64(w.kw)},
       [&](const std::vector<Value *> &i) {
    Tap tap = windowTap(ir, w, H, W, C, sample, i[0], i[1], i[2], i[3]);
    Value *row = ir.CreateAdd(ir.CreateMul(sample, ir.getInt64(OH * OW)),
                              ir.CreateAdd(ir.CreateMul(i[0], ir.getInt64(OW)), i[1]));
    Value *col = ir.CreateMul(ir.CreateAdd(ir.CreateMul(i[2], ir.getInt64(w.kw)), i[3]),
                              ir.getInt64(C));
    Value *cell = ir.CreateAdd(ir.CreateMul(row, ir.getInt64(rowLen)), col);
    em.loop(ir.getInt64(C), [&](Value *c) {
      if (toCols) {
        Value *v = ir.CreateSelect(tap.inside, em.load(src, ir.CreateAdd(tap.pixel, c)),
                                   llvm::ConstantFP::get(t, n.scalar));
        em.store(n, out, ir.CreateAdd(cell, c), v);
        return;
      }
      Value *target = ir.CreateAdd(tap.pixel, c);
      Value *sum = ir.CreateFAdd(em.load(n, target), em.load(src, ir.CreateAdd(cell, c)));
      // Outside the image the add is discarded (the pixel keeps its value).
      em.store(n, out, target, ir.CreateSelect(tap.inside, sum, em.load(n, target)));
    }, "c");
  });
  });
}

/// A pooling node's image (H x W x C, the input's) and output (OH x OW).
struct PoolShape {
  int64_t H, W, C, OH, OW;
  explicit PoolShape(const Node &n)
      : H(n.operands[0]->type.dims[0]), W(n.operands[0]->type.dims[1]),
        C(n.operands[0]->type.dims[2]), OH(n.window.outH(H)), OW(n.window.outW(W)) {}
  /// The first element of output pixel (oh, ow) of `sample`.
  Value *cell(llvm::IRBuilder<> &ir, Value *sample, Value *oh, Value *ow) const {
    Value *row = ir.CreateAdd(ir.CreateMul(sample, ir.getInt64(OH)), oh);
    return ir.CreateMul(ir.CreateAdd(ir.CreateMul(row, ir.getInt64(OW)), ow), ir.getInt64(C));
  }
};

/// Taps unrolled into the channel loop by emitTiledMaxPool (2x2 and 3x3
/// pools are the common ones).
constexpr int64_t kMaxUnrolledTaps = 16;

/// MaxPool or MaxPoolGrad of one sample when the windows tile the image
/// (stride = size, no padding or dilation): every tap is inside and every
/// pixel in one window. The taps are unrolled, so for each output pixel a
/// channel's best value and its tap stay in registers and the channel loop
/// vectorises; the gradient writes each pixel once (0 + g on the picked
/// tap, 0 elsewhere), in the same pass. The picks are the general walk's.
static void emitTiledMaxPool(FunctionEmitter &em, const Node &n, Value *sample) {
  llvm::IRBuilder<> &ir = em.builder();
  bool grad = n.op == OpKind::MaxPoolGrad;
  const Node &x = *n.operands[0];
  const Window &w = n.window;
  const PoolShape shape(n);
  const int64_t H = shape.H, W = shape.W, C = shape.C;
  Value *zero = llvm::ConstantFP::get(em.elemType(n.type.dtype), 0.0);
  Value *out = em.buffer(n);
  em.nest({ir.getInt64(shape.OH), ir.getInt64(shape.OW)}, [&](const std::vector<Value *> &o) {
    std::vector<Value *> pixels; // each tap's first channel
    for (int64_t ki = 0; ki < w.kh; ++ki)
      for (int64_t kj = 0; kj < w.kw; ++kj)
        pixels.push_back(windowTap(ir, w, H, W, C, sample, o[0], o[1], ir.getInt64(ki),
                                   ir.getInt64(kj)).pixel);
    Value *cell = shape.cell(ir, sample, o[0], o[1]);
    em.loop(ir.getInt64(C), [&](Value *c) {
      Value *best = em.load(x, ir.CreateAdd(pixels[0], c));
      Value *picked = ir.getInt32(0);
      for (size_t t = 1; t < pixels.size(); ++t) {
        Value *v = em.load(x, ir.CreateAdd(pixels[t], c));
        Value *wins = ir.CreateOr(ir.CreateFCmpOGT(v, best), ir.CreateFCmpUNO(v, v));
        best = ir.CreateSelect(wins, v, best);
        picked = ir.CreateSelect(wins, ir.getInt32(t), picked);
      }
      if (!grad) {
        em.store(n, out, ir.CreateAdd(cell, c), best);
        return;
      }
      Value *g = em.load(*n.operands[1], ir.CreateAdd(cell, c));
      for (size_t t = 0; t < pixels.size(); ++t) {
        Value *give = ir.CreateSelect(ir.CreateICmpEQ(picked, ir.getInt32(t)), g, zero);
        em.store(n, out, ir.CreateAdd(pixels[t], c), ir.CreateFAdd(zero, give));
      }
    }, "c");
  });
}

/// Both walk each window's taps in row-major order keeping, per channel,
/// the best value so far and its tap, as torch's max_pool2d does: the first
/// tap inside the image starts it, a later one replaces it when greater or
/// NaN. MaxPool writes the best values; MaxPoolGrad adds g to the picked
/// taps in a second walk. Channels are the inner loop (contiguous,
/// vectorised); samples are split across threads.
void emitMaxPool(FunctionEmitter &em, const Node &n, Value *out) {
  llvm::IRBuilder<> &ir = em.builder();
  bool grad = n.op == OpKind::MaxPoolGrad;
  const Node &x = *n.operands[0];
  const Window &w = n.window;
  const PoolShape shape(n);
  const int64_t H = shape.H, W = shape.W, C = shape.C, OH = shape.OH, OW = shape.OW;
  llvm::Type *t = em.elemType(n.type.dtype);
  llvm::Type *i64 = ir.getInt64Ty();
  Value *zero = llvm::ConstantFP::get(t, 0.0);
  Value *batch = x.type.batched ? em.batch() : ir.getInt64(1);
  // Windows that tile the image (stride = size, no padding or dilation,
  // as maxpool(x, 2) on an even image) touch each pixel once: the
  // gradient is stored, not added to zeros (the same values: 0 + v).
  bool tiles = w.strideH == w.kh && w.strideW == w.kw && w.dilationH == 1 &&
               w.dilationW == 1 && w.padTop == 0 && w.padBottom == 0 && w.padLeft == 0 &&
               w.padRight == 0 && OH * w.kh == H && OW * w.kw == W;
  em.parallelLoop(batch, OH * OW * w.kh * w.kw * C, [&](Value *sample) {
    if (tiles && w.kh * w.kw <= kMaxUnrolledTaps) {
      emitTiledMaxPool(em, n, sample);
      return;
    }
    Value *out = em.buffer(n);
    llvm::ArrayType *bestTy = llvm::ArrayType::get(t, C), *tapTy = llvm::ArrayType::get(i64, C);
    Value *bestSlots = em.entryAlloca(bestTy, "best");
    Value *tapSlots = em.entryAlloca(tapTy, "picked");
    auto slot = [&](llvm::ArrayType *ty, Value *base, Value *c) {
      return ir.CreateInBoundsGEP(ty, base, {ir.getInt64(0), c});
    };
    if (grad && !tiles) {
      Value *first = ir.CreateMul(sample, ir.getInt64(H * W * C));
      em.loop(ir.getInt64(H * W * C),
              [&](Value *i) { em.store(n, out, ir.CreateAdd(first, i), zero); });
    }
    auto eachTap = [&](const std::function<void(Value *tap, const Tap &, Value *c)> &body,
                       Value *oh, Value *ow) {
      em.nest({ir.getInt64(w.kh), ir.getInt64(w.kw)}, [&](const std::vector<Value *> &k) {
        Tap at = windowTap(ir, w, H, W, C, sample, oh, ow, k[0], k[1]);
        Value *tap = ir.CreateAdd(ir.CreateMul(k[0], ir.getInt64(w.kw)), k[1]);
        em.loop(ir.getInt64(C), [&](Value *c) { body(tap, at, c); }, "c");
      });
    };
    em.nest({ir.getInt64(OH), ir.getInt64(OW)}, [&](const std::vector<Value *> &o) {
      em.loop(ir.getInt64(C), [&](Value *c) {
        ir.CreateStore(llvm::ConstantFP::getInfinity(t, true), slot(bestTy, bestSlots, c));
        ir.CreateStore(ir.getInt64(-1), slot(tapTy, tapSlots, c));
      }, "c");
      eachTap([&](Value *tap, const Tap &at, Value *c) {
        Value *v = em.load(x, ir.CreateAdd(at.pixel, c));
        Value *best = ir.CreateLoad(t, slot(bestTy, bestSlots, c));
        Value *picked = ir.CreateLoad(i64, slot(tapTy, tapSlots, c));
        Value *wins = ir.CreateOr(ir.CreateOr(ir.CreateICmpSLT(picked, ir.getInt64(0)),
                                              ir.CreateFCmpOGT(v, best)),
                                  ir.CreateFCmpUNO(v, v));
        wins = ir.CreateAnd(at.inside, wins);
        ir.CreateStore(ir.CreateSelect(wins, v, best), slot(bestTy, bestSlots, c));
        ir.CreateStore(ir.CreateSelect(wins, tap, picked), slot(tapTy, tapSlots, c));
      }, o[0], o[1]);
      Value *cell = shape.cell(ir, sample, o[0], o[1]);
      if (!grad) {
        em.loop(ir.getInt64(C), [&](Value *c) {
          em.store(n, out, ir.CreateAdd(cell, c), ir.CreateLoad(t, slot(bestTy, bestSlots, c)));
        }, "c");
        return;
      }
      const Node &g = *n.operands[1];
      eachTap([&](Value *tap, const Tap &at, Value *c) {
        Value *hit = ir.CreateICmpEQ(ir.CreateLoad(i64, slot(tapTy, tapSlots, c)), tap);
        Value *target = ir.CreateAdd(at.pixel, c);
        // A tap outside the image is never picked: it adds 0 to the
        // sample's first pixel.
        Value *give = ir.CreateSelect(hit, em.load(g, ir.CreateAdd(cell, c)), zero);
        Value *before = tiles ? zero : em.load(n, target);
        em.store(n, out, target, ir.CreateFAdd(before, give));
      }, o[0], o[1]);
    });
  });
}

} // namespace nnc
