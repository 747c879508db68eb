//===- Gemm.cpp - the packed, register-blocked matrix kernel --------------===//
//
// C = A * B for one chunk of C's rows or columns, in the GotoBLAS/BLIS
// order:
//
//   for jc in columns, step NC            B block kc x nc  (L3)
//     for pc in 0..K, step KC             packed once per (jc, pc)
//       for ic in rows, step MC           A block mc x kc  (L2)
//         for jr in 0..nc, step NR        B micro-panel    (L1)
//           for ir in 0..mc, step MR      MR x NR of C in registers
//
// Packing copies each block into MR-row / NR-column panels, zero-padded at
// the edges, so the micro-kernel reads both operands contiguously whatever
// the operands' strides (transposes cost nothing here). C[i][j] is summed
// over k in ascending order within a KC block and block after block, which
// is the same for every row/column split: the thread count cannot change a
// bit of the result.
//
// The window task is the same kernel with A an im2col matrix that was never
// written (implicit GEMM): each A block is packed from the image instead.
//
//===----------------------------------------------------------------------===//
#include "codegen/Gemm.h"

#include <stdexcept>

#include "codegen/Loops.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"

#include <functional>

namespace nnc {

GemmShape gemmShape(DType t, int vectorBits) {
  int elemBits = t == DType::F64 ? 64 : 32;
  GemmShape s;
  s.vectorWidth = std::max(1, vectorBits / elemBits);
  // Two vectors per row; with 32 vector registers (AVX-512) 12 rows fit
  // (24 accumulators), with 16 (AVX2, SSE) 6 rows (12 accumulators).
  s.nr = 2 * s.vectorWidth;
  s.mr = vectorBits >= 512 ? 12 : 6;
  s.kc = 256;
  s.mc = s.mr * (t == DType::F64 ? 8 : 16);
  s.nc = 1024;
  return s;
}

llvm::StructType *gemmArgsType(llvm::LLVMContext &ctx) {
  if (auto *t = llvm::StructType::getTypeByName(ctx, "nnc.gemm.args"))
    return t;
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  return llvm::StructType::create(
      ctx, {ptr, ptr, ptr, i64, i64, i64, i64, i64, i64, i64, i64, ptr, i64}, "nnc.gemm.args");
}

namespace {

using llvm::Value;

class GemmEmitter {
public:
  GemmEmitter(llvm::Module &module, DType t, int vectorBits, bool windowA = false)
      : m_(module), ctx_(module.getContext()), b_(ctx_), shape_(gemmShape(t, vectorBits)),
        windowA_(windowA) {
    elt_ = t == DType::F64 ? b_.getDoubleTy() : b_.getFloatTy();
    eltBytes_ = t == DType::F64 ? 8 : 4;
    vec_ = llvm::FixedVectorType::get(elt_, shape_.vectorWidth);
    suffix_ = (t == DType::F64 ? "f64." : "f32.") + std::to_string(vectorBits);
  }

  llvm::Function *task() {
    std::string name = (windowA_ ? "nnc.gemm.window.task." : "nnc.gemm.task.") + suffix_;
    if (auto *f = m_.getFunction(name))
      return f;
    // Short variants for a block's last rows (a batch of 50 leaves 2 of
    // 12): the full tile would compute the missing rows and drop them.
    for (int rows : shortTileRows())
      shortMicro_.push_back({rows, emitMicroKernel(rows)});
    micro_ = emitMicroKernel(shape_.mr);
    auto *ptr = b_.getPtrTy();
    auto *fnTy = llvm::FunctionType::get(b_.getVoidTy(), {ptr, b_.getInt64Ty(), b_.getInt64Ty(), ptr}, false);
    fn_ = llvm::Function::Create(fnTy, llvm::Function::InternalLinkage, name, m_);
    fn_->addFnAttr(llvm::Attribute::NoUnwind);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn_));
    Value *args = fn_->getArg(0), *begin = fn_->getArg(1), *end = fn_->getArg(2);
    Value *scratch = fn_->getArg(3);
    auto *argsTy = gemmArgsType(ctx_);
    auto field = [&](GemmArg k) {
      llvm::Type *t = k <= GA_C || k == GA_BIAS ? static_cast<llvm::Type *>(b_.getPtrTy())
                                                : b_.getInt64Ty();
      return b_.CreateLoad(t, b_.CreateStructGEP(argsTy, args, k));
    };
    A_ = field(GA_A), B_ = field(GA_B), C_ = field(GA_C);
    M_ = field(GA_M), N_ = field(GA_N), K_ = field(GA_K);
    rsA_ = field(GA_RSA), csA_ = field(GA_CSA), rsB_ = field(GA_RSB), csB_ = field(GA_CSB);
    if (windowA_)
      loadWindow(args);
    Value *splitN = b_.CreateICmpNE(field(GA_SPLIT), b_.getInt64(0));
    bias_ = field(GA_BIAS);
    Value *hasBias = b_.CreateICmpNE(bias_, llvm::ConstantPointerNull::get(b_.getPtrTy()));
    Value *relu = b_.CreateICmpNE(field(GA_RELU), b_.getInt64(0));
    // Chunk c is MR rows (split 0) or NR columns (split 1).
    Value *m0 = b_.CreateSelect(splitN, b_.getInt64(0), b_.CreateMul(begin, b_.getInt64(shape_.mr)));
    Value *m1 = b_.CreateSelect(splitN, M_, min(b_.CreateMul(end, b_.getInt64(shape_.mr)), M_));
    Value *n0 = b_.CreateSelect(splitN, b_.CreateMul(begin, b_.getInt64(shape_.nr)), b_.getInt64(0));
    Value *n1 = b_.CreateSelect(splitN, min(b_.CreateMul(end, b_.getInt64(shape_.nr)), N_), N_);
    packA_ = scratch;
    int64_t aBytes = (int64_t)shape_.mc * shape_.kc * eltBytes_;
    packB_ = b_.CreateInBoundsGEP(b_.getInt8Ty(), scratch, b_.getInt64((aBytes + 63) / 64 * 64));

    // K == 0: nothing to sum, C is zero (then the epilogue).
    ifThen(b_.CreateICmpEQ(K_, b_.getInt64(0)), [&] {
      loop(m0, m1, 1, [&](Value *i) {
        loop(n0, n1, 1, [&](Value *j) {
          b_.CreateStore(llvm::ConstantFP::get(elt_, 0.0), cAddr(i, j));
          ifThen(hasBias, [&] {
            Value *x = b_.CreateFAdd(b_.CreateLoad(elt_, cAddr(i, j)),
                                     b_.CreateLoad(elt_, elemPtr(bias_, j)));
            b_.CreateStore(reluIf(relu, x), cAddr(i, j));
          });
        });
      });
    });
    loop(n0, n1, shape_.nc, [&](Value *jc) {
      Value *nc = min(b_.getInt64(shape_.nc), b_.CreateSub(n1, jc));
      loop(b_.getInt64(0), K_, shape_.kc, [&](Value *pc) {
        Value *kc = min(b_.getInt64(shape_.kc), b_.CreateSub(K_, pc));
        Value *first = b_.CreateICmpEQ(pc, b_.getInt64(0));
        // The epilogue goes with the last KC block, once C holds the sum.
        Value *epilogue = b_.CreateAnd(hasBias, b_.CreateICmpEQ(b_.CreateAdd(pc, kc), K_));
        // B read where it is when it already is one packed panel: rows of
        // exactly NR contiguous elements (N = 32 with AVX-512, as the
        // output gradient of a 32-filter convolution), so packing would
        // only copy it. Wider rows are packed: read in place, a panel's
        // rows spread over twice the cache lines (measured slower at N = 64).
        Value *inPlaceB = b_.CreateAnd(
            b_.CreateAnd(b_.CreateICmpEQ(csB_, b_.getInt64(1)),
                         b_.CreateICmpEQ(rsB_, b_.getInt64(shape_.nr))),
            b_.CreateICmpEQ(nc, b_.getInt64(shape_.nr)));
        ifThen(b_.CreateNot(inPlaceB), [&] { emitPackB(jc, nc, pc, kc); });
        loop(m0, m1, shape_.mc, [&](Value *ic) {
          Value *mc = min(b_.getInt64(shape_.mc), b_.CreateSub(m1, ic));
          // A is packed only when it pays: with many column panels to
          // reuse it and rows far apart; otherwise the micro-kernel reads
          // it where it is.
          Value *pack = b_.CreateAnd(b_.CreateICmpSGT(nc, b_.getInt64(kPackAMinCols)),
                                     b_.CreateICmpNE(rsA_, b_.getInt64(1)));
          if (windowA_) {
            emitPackWindows(ic, mc, pc, kc);
            pack = b_.getFalse();
          } else if (kPackAMinCols >= 0) {
            ifThen(pack, [&] { emitPackA(ic, mc, pc, kc); });
          } else {
            pack = b_.getFalse();
          }
          loop(b_.getInt64(0), nc, shape_.nr, [&](Value *jr) {
            loop(b_.getInt64(0), mc, shape_.mr, [&](Value *ir) {
              Value *direct = elemPtr(A_, b_.CreateAdd(b_.CreateMul(b_.CreateAdd(ic, ir), rsA_),
                                                       b_.CreateMul(pc, csA_)));
              Value *aRow = b_.CreateSelect(pack, b_.getInt64(1), rsA_);
              Value *aCol = b_.CreateSelect(pack, b_.getInt64(shape_.mr), csA_);
              if (windowA_) { // the block packed from the image, rows or columns contiguous
                direct = elemPtr(packA_, b_.CreateSelect(window_.transposed, ir, b_.CreateMul(ir, kc)));
                aRow = b_.CreateSelect(window_.transposed, b_.getInt64(1), kc);
                aCol = b_.CreateSelect(window_.transposed, mc, b_.getInt64(1));
              }
              Value *a = b_.CreateSelect(pack, elemPtr(packA_, b_.CreateMul(ir, kc)), direct);
              // (Reading B in place instead was measured slower: rows a
              // power of two apart alias in L1.)
              Value *bp = b_.CreateSelect(
                  inPlaceB, elemPtr(B_, b_.CreateAdd(b_.CreateMul(pc, rsB_), b_.CreateAdd(jc, jr))),
                  elemPtr(packB_, b_.CreateMul(jr, kc)));
              Value *bRow = b_.CreateSelect(inPlaceB, rsB_, b_.getInt64(shape_.nr));
              Value *c = cAddr(b_.CreateAdd(ic, ir), b_.CreateAdd(jc, jr));
              Value *rows = min(b_.getInt64(shape_.mr), b_.CreateSub(mc, ir));
              Value *cols = min(b_.getInt64(shape_.nr), b_.CreateSub(nc, jr));
              // The kernel of fewest rows that covers the tile's.
              Value *micro = micro_;
              for (auto it = shortMicro_.rbegin(); it != shortMicro_.rend(); ++it)
                micro = b_.CreateSelect(b_.CreateICmpSLE(rows, b_.getInt64(it->first)), it->second, micro);
              b_.CreateCall(micro_->getFunctionType(), micro,
                            {kc, a, aRow, aCol, bp, bRow, c, N_, rows, cols, first});
              // The epilogue on the tile just stored (still in L1), kept out
              // of the micro-kernel, whose K loop needs every register.
              ifThen(epilogue, [&] {
                Value *bias = elemPtr(bias_, b_.CreateAdd(jc, jr));
                loop(b_.getInt64(0), rows, 1, [&](Value *r) {
                  loop(b_.getInt64(0), cols, 1, [&](Value *j) {
                    Value *dst = elemPtr(c, b_.CreateAdd(b_.CreateMul(r, N_), j));
                    Value *x = b_.CreateFAdd(b_.CreateLoad(elt_, dst), b_.CreateLoad(elt_, elemPtr(bias, j)));
                    b_.CreateStore(reluIf(relu, x), dst);
                  }, "ej");
                }, "er");
              });
            }, "ir");
          }, "jr");
        }, "ic");
      }, "pc");
    }, "jc");
    b_.CreateRetVoid();
    return fn_;
  }

private:
  Value *min(Value *a, Value *b) { return b_.CreateSelect(b_.CreateICmpSLT(a, b), a, b); }
  Value *elemPtr(Value *base, Value *index) { return b_.CreateInBoundsGEP(elt_, base, index); }

  /// x, or max(x, 0) as the elementwise relu computes it (select on x > 0
  /// or NaN), when `relu` (an i1) is set; x may be a vector.
  Value *reluIf(Value *relu, Value *x) {
    Value *zero = llvm::ConstantFP::get(x->getType(), 0.0);
    Value *positive = b_.CreateSelect(b_.CreateFCmpUGT(x, zero), x, zero);
    return b_.CreateSelect(relu, positive, x);
  }
  Value *cAddr(Value *i, Value *j) { return elemPtr(C_, b_.CreateAdd(b_.CreateMul(i, N_), j)); }

  void loop(Value *start, Value *end, int64_t step, const std::function<void(Value *)> &body,
            const char *name = "i") {
    emitLoop(b_, fn_, start, end, step, body, name);
  }

  /// Keeps the loop of `latch` from the loop vectoriser (width 1; the
  /// SLP vectoriser may still join its body's stores).
  void keepScalar(llvm::BranchInst *latch) {
    llvm::Metadata *width[] = {llvm::MDString::get(ctx_, "llvm.loop.vectorize.width"),
                               llvm::ConstantAsMetadata::get(b_.getInt32(1))};
    llvm::Metadata *ops[] = {nullptr, llvm::MDNode::get(ctx_, width)};
    llvm::MDNode *id = llvm::MDNode::getDistinct(ctx_, ops);
    id->replaceOperandWith(0, id);
    latch->setMetadata(llvm::LLVMContext::MD_loop, id);
  }

  void ifThen(Value *cond, const std::function<void()> &then) {
    auto *thenBB = llvm::BasicBlock::Create(ctx_, "then", fn_);
    auto *join = llvm::BasicBlock::Create(ctx_, "join", fn_);
    b_.CreateCondBr(cond, thenBB, join);
    b_.SetInsertPoint(thenBB);
    then();
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
  }

  void ifThenElse(Value *cond, const std::function<void()> &then,
                  const std::function<void()> &otherwise) {
    auto *thenBB = llvm::BasicBlock::Create(ctx_, "then", fn_);
    auto *elseBB = llvm::BasicBlock::Create(ctx_, "else", fn_);
    auto *join = llvm::BasicBlock::Create(ctx_, "join", fn_);
    b_.CreateCondBr(cond, thenBB, elseBB);
    b_.SetInsertPoint(thenBB);
    then();
    b_.CreateBr(join);
    b_.SetInsertPoint(elseBB);
    otherwise();
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
  }

  /// A[ic.., pc..] (mc x kc) into MR-row panels: panel ir holds, for each
  /// p, the MR values of column p (zeros below the last row). The loop
  /// order follows A's contiguous direction, so reads stream.
  void emitPackA(Value *ic, Value *mc, Value *pc, Value *kc) {
    Value *zero = llvm::ConstantFP::get(elt_, 0.0);
    loop(b_.getInt64(0), mc, shape_.mr, [&](Value *ir) {
      Value *rows = min(b_.getInt64(shape_.mr), b_.CreateSub(mc, ir));
      Value *panel = elemPtr(packA_, b_.CreateMul(ir, kc));
      Value *row0 = b_.CreateAdd(ic, ir);
      auto src = [&](Value *r, Value *p) {
        return elemPtr(A_, b_.CreateAdd(b_.CreateMul(b_.CreateAdd(row0, r), rsA_),
                                        b_.CreateMul(b_.CreateAdd(pc, p), csA_)));
      };
      auto dst = [&](Value *r, Value *p) {
        return elemPtr(panel, b_.CreateAdd(b_.CreateMul(p, b_.getInt64(shape_.mr)), r));
      };
      ifThenElse(b_.CreateICmpEQ(rsA_, b_.getInt64(1)), [&] {
        // Columns of A contiguous (A transposed): MR neighbours per p.
        loop(b_.getInt64(0), kc, 1, [&](Value *p) {
          loop(b_.getInt64(0), rows, 1, [&](Value *r) {
            b_.CreateStore(b_.CreateLoad(elt_, src(r, p)), dst(r, p));
          }, "r");
        }, "p");
      }, [&] {
        // Rows contiguous. A full panel goes p by p, its MR rows unrolled:
        // MR streams read, one contiguous write. (Row by row, LLVM
        // vectorised the MR-strided stores as scatters: half the packing
        // time of a 512x3136x1024 product on Zen 5.)
        ifThenElse(b_.CreateICmpEQ(rows, b_.getInt64(shape_.mr)), [&] {
          llvm::BranchInst *latch = emitLoop(b_, fn_, b_.getInt64(0), kc, 1, [&](Value *p) {
            for (int r = 0; r < shape_.mr; ++r)
              b_.CreateStore(b_.CreateLoad(elt_, src(b_.getInt64(r), p)), dst(b_.getInt64(r), p));
          }, "p");
          keepScalar(latch); // vectorised along p, it is gathers and scatters again
        }, [&] {
          loop(b_.getInt64(0), rows, 1, [&](Value *r) {
            loop(b_.getInt64(0), kc, 1, [&](Value *p) {
              b_.CreateStore(b_.CreateLoad(elt_, src(r, p)), dst(r, p));
            }, "p");
          }, "r");
        });
      });
      loop(rows, b_.getInt64(shape_.mr), 1, [&](Value *r) {
        loop(b_.getInt64(0), kc, 1, [&](Value *p) { b_.CreateStore(zero, dst(r, p)); }, "pz");
      }, "rz");
    }, "ir");
  }

  /// The window fields of the argument block.
  void loadWindow(Value *args) {
    auto *ty = windowGemmArgsType(ctx_);
    auto field = [&](WindowGemmArg k) { return b_.CreateLoad(b_.getInt64Ty(), b_.CreateStructGEP(ty, args, k)); };
    window_ = {field(WGA_H), field(WGA_W), field(WGA_C), field(WGA_OH), field(WGA_OW), field(WGA_KW),
               field(WGA_STRIDE_H), field(WGA_STRIDE_W), field(WGA_DILATION_H), field(WGA_DILATION_W),
               field(WGA_PAD_TOP), field(WGA_PAD_LEFT),
               b_.CreateICmpNE(field(WGA_TRANSPOSED), b_.getInt64(0)),
               b_.CreateLoad(b_.getDoubleTy(), b_.CreateStructGEP(ty, args, WGA_PAD_VALUE))};
    if (elt_ != window_.padValue->getType())
      window_.padValue = b_.CreateFPTrunc(window_.padValue, elt_);
  }

  /// The A block [ic.., pc..] (mc x kc) of the im2col matrix, or of its
  /// transpose, packed from the image: each output pixel's entries
  /// [k0, k0 + count) go to one contiguous run of the block (rows of kc when
  /// A's rows are pixels, columns of mc when A is transposed). Entry k is
  /// channel k mod C of tap k / C, so a tap inside the image is a copy of C
  /// contiguous elements and one outside is C padding values.
  void emitPackWindows(Value *ic, Value *mc, Value *pc, Value *kc) {
    const WindowArgs &w = window_;
    Value *t = w.transposed;
    Value *pixel0 = b_.CreateSelect(t, pc, ic), *pixels = b_.CreateSelect(t, kc, mc);
    Value *k0 = b_.CreateSelect(t, ic, pc), *count = b_.CreateSelect(t, mc, kc);
    Value *kEnd = b_.CreateAdd(k0, count);
    Value *tap0 = b_.CreateUDiv(k0, w.C);
    Value *taps = b_.CreateSub(b_.CreateUDiv(b_.CreateSub(kEnd, b_.getInt64(1)), w.C), tap0);
    Value *outPixels = b_.CreateMul(w.OH, w.OW), *imageSize = b_.CreateMul(b_.CreateMul(w.H, w.W), w.C);
    // (kh, kw) of the current tap, stepped instead of divided per tap.
    Value *khSlot = entryAlloca(b_.getInt64Ty()), *kwSlot = entryAlloca(b_.getInt64Ty());
    loop(b_.getInt64(0), pixels, 1, [&](Value *q) {
      Value *pixel = b_.CreateAdd(pixel0, q);
      Value *sample = b_.CreateUDiv(pixel, outPixels), *rest = b_.CreateURem(pixel, outPixels);
      Value *ih0 = b_.CreateSub(b_.CreateMul(b_.CreateUDiv(rest, w.OW), w.strideH), w.padTop);
      Value *iw0 = b_.CreateSub(b_.CreateMul(b_.CreateURem(rest, w.OW), w.strideW), w.padLeft);
      Value *image = elemPtr(A_, b_.CreateMul(sample, imageSize));
      Value *run0 = elemPtr(packA_, b_.CreateMul(q, count));
      b_.CreateStore(b_.CreateUDiv(tap0, w.KW), khSlot);
      b_.CreateStore(b_.CreateURem(tap0, w.KW), kwSlot);
      loop(b_.getInt64(0), b_.CreateAdd(taps, b_.getInt64(1)), 1, [&](Value *i) {
        Value *tapStart = b_.CreateMul(b_.CreateAdd(tap0, i), w.C);
        Value *lo = max(tapStart, k0), *hi = min(b_.CreateAdd(tapStart, w.C), kEnd);
        Value *kh = b_.CreateLoad(b_.getInt64Ty(), khSlot), *kw = b_.CreateLoad(b_.getInt64Ty(), kwSlot);
        Value *ih = b_.CreateAdd(ih0, b_.CreateMul(kh, w.dilationH));
        Value *iw = b_.CreateAdd(iw0, b_.CreateMul(kw, w.dilationW));
        Value *inside = b_.CreateAnd(
            b_.CreateAnd(b_.CreateICmpSGE(ih, b_.getInt64(0)), b_.CreateICmpSLT(ih, w.H)),
            b_.CreateAnd(b_.CreateICmpSGE(iw, b_.getInt64(0)), b_.CreateICmpSLT(iw, w.W)));
        Value *dst = elemPtr(run0, b_.CreateSub(lo, k0));
        Value *n = b_.CreateSub(hi, lo);
        ifThenElse(inside, [&] {
          Value *offset = b_.CreateAdd(b_.CreateMul(b_.CreateAdd(b_.CreateMul(ih, w.W), iw), w.C),
                                       b_.CreateSub(lo, tapStart));
          copyRun(elemPtr(image, offset), dst, n);
        }, [&] { copyRun(nullptr, dst, n); });
        Value *nextKw = b_.CreateAdd(kw, b_.getInt64(1));
        Value *wrap = b_.CreateICmpEQ(nextKw, w.KW);
        b_.CreateStore(b_.CreateSelect(wrap, b_.getInt64(0), nextKw), kwSlot);
        b_.CreateStore(b_.CreateSelect(wrap, b_.CreateAdd(kh, b_.getInt64(1)), kh), khSlot);
      }, "tap");
    }, "px");
  }

  /// n elements from src to dst (the padding value when src is null), a
  /// vector at a time, then one at a time.
  void copyRun(Value *src, Value *dst, Value *n) {
    const int VW = shape_.vectorWidth;
    Value *vectors = b_.CreateMul(b_.CreateUDiv(n, b_.getInt64(VW)), b_.getInt64(VW));
    llvm::Align align(eltBytes_);
    loop(b_.getInt64(0), vectors, VW, [&](Value *j) {
      Value *x = src ? b_.CreateAlignedLoad(vec_, elemPtr(src, j), align)
                     : b_.CreateVectorSplat(VW, window_.padValue);
      b_.CreateAlignedStore(x, elemPtr(dst, j), align);
    }, "cv");
    loop(vectors, n, 1, [&](Value *j) {
      Value *x = src ? b_.CreateAlignedLoad(elt_, elemPtr(src, j), align) : window_.padValue;
      b_.CreateAlignedStore(x, elemPtr(dst, j), align);
    }, "cs");
  }

  Value *max(Value *a, Value *b) { return b_.CreateSelect(b_.CreateICmpSGT(a, b), a, b); }

  Value *entryAlloca(llvm::Type *t) {
    llvm::IRBuilder<> entry(&fn_->getEntryBlock(), fn_->getEntryBlock().begin());
    return entry.CreateAlloca(t);
  }

  /// B[pc.., jc..] (kc x nc) into NR-column panels: panel jr holds, for
  /// each p, the NR values of row p (zeros right of the last column). Full
  /// panels of a row-major B are copied a vector at a time.
  void emitPackB(Value *jc, Value *nc, Value *pc, Value *kc) {
    const int VW = shape_.vectorWidth, NV = shape_.nr / VW;
    loop(b_.getInt64(0), nc, shape_.nr, [&](Value *jr) {
      Value *cols = min(b_.getInt64(shape_.nr), b_.CreateSub(nc, jr));
      Value *panel = elemPtr(packB_, b_.CreateMul(jr, kc));
      Value *col0 = b_.CreateAdd(jc, jr);
      auto src = [&](Value *p, Value *j) {
        return elemPtr(B_, b_.CreateAdd(b_.CreateMul(b_.CreateAdd(pc, p), rsB_),
                                        b_.CreateMul(b_.CreateAdd(col0, j), csB_)));
      };
      auto dst = [&](Value *p, Value *j) {
        return elemPtr(panel, b_.CreateAdd(b_.CreateMul(p, b_.getInt64(shape_.nr)), j));
      };
      Value *fullRows = b_.CreateAnd(b_.CreateICmpEQ(csB_, b_.getInt64(1)),
                                     b_.CreateICmpEQ(cols, b_.getInt64(shape_.nr)));
      ifThenElse(fullRows, [&] {
        loop(b_.getInt64(0), kc, 1, [&](Value *p) {
          // The rows are N elements apart (a page for a 1024-wide weight),
          // too far for the hardware to prefetch: ask for a row 16 ahead.
          // (A prefetch past B's end is only a hint: it cannot fault.)
          Value *ahead = b_.CreateGEP(elt_, B_, b_.CreateAdd(b_.CreateMul(b_.CreateAdd(b_.CreateAdd(pc, p), b_.getInt64(16)), rsB_), col0));
          for (int v = 0; v < NV; ++v)
            b_.CreateIntrinsic(llvm::Intrinsic::prefetch, {b_.getPtrTy()},
                               {b_.CreateGEP(elt_, ahead, b_.getInt64(v * VW)), b_.getInt32(0), b_.getInt32(3), b_.getInt32(1)});
          for (int v = 0; v < NV; ++v) {
            Value *x = b_.CreateAlignedLoad(vec_, src(p, b_.getInt64(v * VW)), llvm::Align(eltBytes_));
            b_.CreateAlignedStore(x, dst(p, b_.getInt64(v * VW)), llvm::Align(eltBytes_));
          }
        }, "p");
      }, [&] {
        Value *transposedFull = b_.CreateAnd(b_.CreateICmpEQ(rsB_, b_.getInt64(1)),
                                             b_.CreateICmpEQ(cols, b_.getInt64(shape_.nr)));
        ifThenElse(transposedFull, [&] { emitPackBTransposed(panel, col0, pc, kc); },
                   [&] { emitPackBColumns(panel, col0, pc, kc, cols); });
      });
    }, "jr");
  }

  /// A full panel of a B whose columns are contiguous (B transposed, as in
  /// a dense layer's weight): VW x VW blocks are loaded a column at a time
  /// and transposed in registers, then stored as rows of the panel.
  void emitPackBTransposed(Value *panel, Value *col0, Value *pc, Value *kc) {
    const int VW = shape_.vectorWidth, NV = shape_.nr / VW;
    Value *blocks = b_.CreateMul(b_.CreateUDiv(kc, b_.getInt64(VW)), b_.getInt64(VW));
    loop(b_.getInt64(0), blocks, VW, [&](Value *p0) {
      for (int v = 0; v < NV; ++v) {
        std::vector<Value *> rows;
        for (int j = 0; j < VW; ++j) {
          Value *col = b_.CreateAdd(col0, b_.getInt64(v * VW + j));
          Value *src = elemPtr(B_, b_.CreateAdd(b_.CreateMul(col, csB_), b_.CreateAdd(pc, p0)));
          rows.push_back(b_.CreateAlignedLoad(vec_, src, llvm::Align(eltBytes_)));
        }
        // Swap the off-diagonal s x s blocks of every 2s x 2s block, for
        // s = VW/2 .. 1: afterwards rows[p] holds element p of every column.
        for (int step = VW / 2; step >= 1; step /= 2)
          for (int i = 0; i < VW; ++i) {
            if (i & step)
              continue;
            int j = i + step;
            llvm::SmallVector<int, 16> lo, hi;
            for (int k = 0; k < VW; ++k) {
              bool even = (k / step) % 2 == 0;
              lo.push_back(even ? k : VW + k - step);
              hi.push_back(even ? k + step : VW + k);
            }
            Value *ri = rows[i], *rj = rows[j];
            rows[i] = b_.CreateShuffleVector(ri, rj, lo);
            rows[j] = b_.CreateShuffleVector(ri, rj, hi);
          }
        for (int p = 0; p < VW; ++p) {
          Value *dst = elemPtr(panel, b_.CreateAdd(b_.CreateMul(b_.CreateAdd(p0, b_.getInt64(p)),
                                                                b_.getInt64(shape_.nr)),
                                                   b_.getInt64(v * VW)));
          b_.CreateAlignedStore(rows[p], dst, llvm::Align(eltBytes_));
        }
      }
    }, "pb");
    // The last kc % VW rows one element at a time.
    loop(blocks, kc, 1, [&](Value *p) {
      loop(b_.getInt64(0), b_.getInt64(shape_.nr), 1, [&](Value *j) {
        Value *src = elemPtr(B_, b_.CreateAdd(b_.CreateMul(b_.CreateAdd(col0, j), csB_),
                                              b_.CreateAdd(pc, p)));
        Value *dst = elemPtr(panel, b_.CreateAdd(b_.CreateMul(p, b_.getInt64(shape_.nr)), j));
        b_.CreateStore(b_.CreateLoad(elt_, src), dst);
      }, "j");
    }, "pr");
  }

  /// Edge panels and other layouts: column by column, each streaming along
  /// p when B's columns are contiguous; zeros right of the last column.
  void emitPackBColumns(Value *panel, Value *col0, Value *pc, Value *kc, Value *cols) {
    Value *zero = llvm::ConstantFP::get(elt_, 0.0);
    auto src = [&](Value *p, Value *j) {
      return elemPtr(B_, b_.CreateAdd(b_.CreateMul(b_.CreateAdd(pc, p), rsB_),
                                      b_.CreateMul(b_.CreateAdd(col0, j), csB_)));
    };
    auto dst = [&](Value *p, Value *j) {
      return elemPtr(panel, b_.CreateAdd(b_.CreateMul(p, b_.getInt64(shape_.nr)), j));
    };
    loop(b_.getInt64(0), cols, 1, [&](Value *j) {
      loop(b_.getInt64(0), kc, 1, [&](Value *p) {
        b_.CreateStore(b_.CreateLoad(elt_, src(p, j)), dst(p, j));
      }, "p");
    }, "j");
    loop(cols, b_.getInt64(shape_.nr), 1, [&](Value *j) {
      loop(b_.getInt64(0), kc, 1, [&](Value *p) { b_.CreateStore(zero, dst(p, j)); }, "pz");
    }, "jz");
  }

  /// Row counts of the short micro-kernels, ascending: a third and two
  /// thirds of MR (4 and 8 of 12 with AVX-512, 2 and 4 of 6 with AVX2).
  std::vector<int> shortTileRows() const {
    std::vector<int> rows;
    for (int r : {shape_.mr / 3, 2 * shape_.mr / 3})
      if (r > 0 && (rows.empty() || r > rows.back()))
        rows.push_back(r);
    return rows;
  }

  /// micro(kc, a, b, c, ldc, mr, nr, first): the MR x NR tile at c gets
  /// (first ? 0 : c) + sum_p a[p][r] * b[p][j], only its top-left mr x nr
  /// written (mr <= MR). The accumulators are SSA values: they stay in
  /// registers. Each row's sum runs in the same order whatever MR is.
  llvm::Function *emitMicroKernel(int MR) {
    std::string name = "nnc.gemm.micro." + suffix_ + (MR == shape_.mr ? "" : ".r" + std::to_string(MR));
    if (auto *f = m_.getFunction(name)) // the plain and window tasks share it
      return f;
    auto *ptr = b_.getPtrTy();
    auto *i64 = b_.getInt64Ty();
    auto *fnTy = llvm::FunctionType::get(
        b_.getVoidTy(), {i64, ptr, i64, i64, ptr, i64, ptr, i64, i64, i64, b_.getInt1Ty()}, false);
    fn_ = llvm::Function::Create(fnTy, llvm::Function::InternalLinkage, name, m_);
    fn_->addFnAttr(llvm::Attribute::NoUnwind);
    for (unsigned i : {1u, 4u, 6u})
      fn_->addParamAttr(i, llvm::Attribute::NoAlias);
    Value *kc = fn_->getArg(0), *a = fn_->getArg(1), *aRow = fn_->getArg(2), *aCol = fn_->getArg(3);
    Value *bp = fn_->getArg(4), *bRowStride = fn_->getArg(5), *c = fn_->getArg(6);
    Value *ldc = fn_->getArg(7), *mr = fn_->getArg(8), *nr = fn_->getArg(9), *first = fn_->getArg(10);
    const int NV = shape_.nr / shape_.vectorWidth, VW = shape_.vectorWidth;

    auto *entry = llvm::BasicBlock::Create(ctx_, "entry", fn_);
    auto *header = llvm::BasicBlock::Create(ctx_, "k.loop", fn_);
    auto *body = llvm::BasicBlock::Create(ctx_, "k.body", fn_);
    auto *done = llvm::BasicBlock::Create(ctx_, "k.exit", fn_);
    b_.SetInsertPoint(entry);
    // Row r of the tile; rows past mr repeat the last one (their sums are
    // discarded), so reads never leave A.
    std::vector<Value *> rowPtr;
    for (int r = 0; r < MR; ++r)
      rowPtr.push_back(elemPtr(a, b_.CreateMul(min(b_.getInt64(r), b_.CreateSub(mr, b_.getInt64(1))), aRow)));
    b_.CreateBr(header);
    b_.SetInsertPoint(header);
    llvm::PHINode *p = b_.CreatePHI(i64, 2, "p");
    p->addIncoming(b_.getInt64(0), entry);
    std::vector<llvm::PHINode *> acc;
    for (int i = 0; i < MR * NV; ++i) {
      acc.push_back(b_.CreatePHI(vec_, 2, "acc"));
      acc.back()->addIncoming(llvm::ConstantFP::get(vec_, 0.0), entry);
    }
    b_.CreateCondBr(b_.CreateICmpSLT(p, kc), body, done);
    b_.SetInsertPoint(body);
    std::vector<Value *> bv;
    Value *bRow = elemPtr(bp, b_.CreateMul(p, bRowStride));
    for (int v = 0; v < NV; ++v)
      bv.push_back(b_.CreateAlignedLoad(vec_, elemPtr(bRow, b_.getInt64(v * VW)),
                                        llvm::Align(eltBytes_)));
    Value *aOffset = b_.CreateMul(p, aCol);
    for (int r = 0; r < MR; ++r) {
      Value *ar = b_.CreateVectorSplat(
          VW, b_.CreateAlignedLoad(elt_, elemPtr(rowPtr[r], aOffset), llvm::Align(eltBytes_)));
      for (int v = 0; v < NV; ++v) {
        Value *next = b_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {vec_},
                                         {ar, bv[v], acc[r * NV + v]});
        acc[r * NV + v]->addIncoming(next, body);
      }
    }
    p->addIncoming(b_.CreateAdd(p, b_.getInt64(1), "", true, true), body);
    b_.CreateBr(header);

    b_.SetInsertPoint(done);
    Value *full = b_.CreateAnd(b_.CreateICmpEQ(mr, b_.getInt64(MR)),
                               b_.CreateICmpEQ(nr, b_.getInt64(shape_.nr)));
    auto storeTile = [&](bool accumulate) {
      for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v) {
          Value *dst = elemPtr(c, b_.CreateAdd(b_.CreateMul(b_.getInt64(r), ldc), b_.getInt64(v * VW)));
          Value *x = acc[r * NV + v];
          if (accumulate)
            x = b_.CreateFAdd(b_.CreateAlignedLoad(vec_, dst, llvm::Align(eltBytes_)), x);
          b_.CreateAlignedStore(x, dst, llvm::Align(eltBytes_));
        }
    };
    ifThenElse(full, [&] {
      ifThenElse(first, [&] { storeTile(false); }, [&] { storeTile(true); });
    }, [&] {
      // Edge tile: spill to a local MR x NR buffer, copy the valid part.
      llvm::IRBuilder<> entryBuilder(entry, entry->begin());
      Value *tile = entryBuilder.CreateAlloca(llvm::ArrayType::get(elt_, MR * shape_.nr));
      for (int i = 0; i < MR * NV; ++i)
        b_.CreateAlignedStore(acc[i], elemPtr(tile, b_.getInt64(i * VW)), llvm::Align(eltBytes_));
      loop(b_.getInt64(0), mr, 1, [&](Value *r) {
        loop(b_.getInt64(0), nr, 1, [&](Value *j) {
          Value *x = b_.CreateLoad(elt_, elemPtr(tile, b_.CreateAdd(b_.CreateMul(r, b_.getInt64(shape_.nr)), j)));
          Value *dst = elemPtr(c, b_.CreateAdd(b_.CreateMul(r, ldc), j));
          Value *sum = b_.CreateFAdd(b_.CreateLoad(elt_, dst), x);
          b_.CreateStore(b_.CreateSelect(first, x, sum), dst);
        }, "ej");
      }, "er");
    });
    b_.CreateRetVoid();
    return fn_;
  }

  llvm::Module &m_;
  llvm::LLVMContext &ctx_;
  llvm::IRBuilder<> b_;
  GemmShape shape_;
  llvm::Type *elt_ = nullptr;
  llvm::FixedVectorType *vec_ = nullptr;
  int eltBytes_ = 4;
  std::string suffix_;
  llvm::Function *fn_ = nullptr, *micro_ = nullptr;
  std::vector<std::pair<int, llvm::Function *>> shortMicro_; // (rows, kernel), ascending
  Value *A_ = nullptr, *B_ = nullptr, *C_ = nullptr, *M_ = nullptr, *N_ = nullptr, *K_ = nullptr;
  Value *rsA_ = nullptr, *csA_ = nullptr, *rsB_ = nullptr, *csB_ = nullptr;
  Value *packA_ = nullptr, *packB_ = nullptr, *bias_ = nullptr;
  /// The window of an implicit im2col A (windowA_), loaded in the task's entry.
  struct WindowArgs {
    Value *H, *W, *C, *OH, *OW, *KW, *strideH, *strideW, *dilationH, *dilationW, *padTop, *padLeft;
    Value *transposed, *padValue;
  };
  bool windowA_ = false;
  WindowArgs window_{};
  /// Column count above which an A block is packed (-1: never).
  static constexpr int64_t kPackAMinCols = 256;
};

} // namespace

llvm::Function *getGemmTask(llvm::Module &module, DType t, int vectorBits) {
  return GemmEmitter(module, t, vectorBits).task();
}

llvm::StructType *windowGemmArgsType(llvm::LLVMContext &ctx) {
  if (auto *t = llvm::StructType::getTypeByName(ctx, "nnc.gemm.window.args"))
    return t;
  std::vector<llvm::Type *> fields(WGA_PAD_VALUE, llvm::Type::getInt64Ty(ctx));
  fields[WGA_GEMM] = gemmArgsType(ctx);
  fields.push_back(llvm::Type::getDoubleTy(ctx));
  return llvm::StructType::create(ctx, fields, "nnc.gemm.window.args");
}

llvm::Function *getWindowGemmTask(llvm::Module &module, DType t, int vectorBits) {
  return GemmEmitter(module, t, vectorBits, /*windowA=*/true).task();
}

std::unique_ptr<llvm::Module> splitGemmKernels(const std::vector<llvm::Module *> &modules,
                                               llvm::LLVMContext &ctx) {
  auto kernels = std::make_unique<llvm::Module>("nnc.gemm.kernels", ctx);
  bool any = false;
  for (llvm::Module *m : modules)
    for (llvm::Function &f : *m) {
      if (f.isDeclaration())
        continue;
      // Names are nnc.gemm[.window].task.DTYPE.BITS (getGemmTask, getWindowGemmTask).
      llvm::StringRef rest = f.getName();
      bool window = rest.consume_front("nnc.gemm.window.task.");
      if (!window && !rest.consume_front("nnc.gemm.task."))
        continue;
      auto [dtype, bits] = rest.split('.');
      if (dtype != dtypeName(DType::F32) && dtype != dtypeName(DType::F64))
        throw std::logic_error("GEMM kernel of unknown element type: " + f.getName().str());
      DType t = dtype == dtypeName(DType::F64) ? DType::F64 : DType::F32;
      int vectorBits = std::stoi(bits.str());
      llvm::Function *kernel = window ? getWindowGemmTask(*kernels, t, vectorBits)
                                      : getGemmTask(*kernels, t, vectorBits);
      kernel->setLinkage(llvm::Function::ExternalLinkage);
      f.deleteBody();
      f.setLinkage(llvm::Function::ExternalLinkage);
      any = true;
    }
  return any ? std::move(kernels) : nullptr;
}

llvm::StructType *batchedGemmArgsType(llvm::LLVMContext &ctx) {
  if (auto *t = llvm::StructType::getTypeByName(ctx, "nnc.gemm.batched.args"))
    return t;
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  return llvm::StructType::create(
      ctx, {gemmArgsType(ctx), i64, i64, i64, i64, i64, i64, i64}, "nnc.gemm.batched.args");
}

llvm::Function *getBatchedGemmTask(llvm::Module &module, DType t, int vectorBits) {
  std::string name = std::string("nnc.gemm.batched.") + dtypeName(t) + "." +
                     std::to_string(vectorBits);
  if (auto *f = module.getFunction(name))
    return f;
  llvm::Function *gemm = getGemmTask(module, t, vectorBits);
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto *ptr = b.getPtrTy();
  auto *i64 = b.getInt64Ty();
  auto *fn = llvm::Function::Create(llvm::FunctionType::get(b.getVoidTy(), {ptr, i64, i64, ptr}, false),
                                    llvm::Function::InternalLinkage, name, module);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", fn));
  auto *argsTy = batchedGemmArgsType(ctx);
  auto *gemmTy = gemmArgsType(ctx);
  Value *args = fn->getArg(0);
  Value *local = b.CreateAlloca(gemmTy, nullptr, "gemm.args");
  auto field = [&](unsigned k) { return b.CreateLoad(i64, b.CreateStructGEP(argsTy, args, k)); };
  Value *base = b.CreateStructGEP(argsTy, args, BGA_GEMM);
  Value *stack = field(BGA_STACK), *chunks = field(BGA_CHUNKS);
  llvm::Type *elt = t == DType::F64 ? b.getDoubleTy() : b.getFloatTy();
  // The matrix `index` of operand `k` (GA_A, GA_B, GA_C) of item i.
  auto matrix = [&](GemmArg k, Value *index, unsigned strideField) {
    Value *start = b.CreateLoad(ptr, b.CreateStructGEP(gemmTy, base, k));
    return b.CreateInBoundsGEP(elt, start, b.CreateMul(index, field(strideField)));
  };
  emitLoop(b, fn, fn->getArg(1), fn->getArg(2), 1, [&](Value *i) {
    b.CreateMemCpy(local, llvm::Align(8), base, llvm::Align(8),
                   module.getDataLayout().getTypeAllocSize(gemmTy));
    Value *inStack = b.CreateURem(i, stack);
    auto itemOf = [&](unsigned sharedField) {
      return b.CreateSelect(b.CreateICmpNE(field(sharedField), b.getInt64(0)), inStack, i);
    };
    b.CreateStore(matrix(GA_A, itemOf(BGA_SHARED_A), BGA_STRIDE_A), b.CreateStructGEP(gemmTy, local, GA_A));
    b.CreateStore(matrix(GA_B, itemOf(BGA_SHARED_B), BGA_STRIDE_B), b.CreateStructGEP(gemmTy, local, GA_B));
    b.CreateStore(matrix(GA_C, i, BGA_STRIDE_C), b.CreateStructGEP(gemmTy, local, GA_C));
    b.CreateCall(gemm, {local, b.getInt64(0), chunks, fn->getArg(3)});
  }, "item");
  b.CreateRetVoid();
  return fn;
}

} // namespace nnc
