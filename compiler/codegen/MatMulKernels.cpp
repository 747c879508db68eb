//===- MatMulKernels.cpp - matmul: the GEMM driver, loops, epilogues ------===//
//
// Large products call the packed GEMM kernel (Gemm.cpp) through the thread
// pool; small ones (and few-row ones) are loop nests. Either writes a fused
// bias (+ ReLU) epilogue with the same bits as the separate loops.
//
//===----------------------------------------------------------------------===//
#include "codegen/Kernels.h"

#include "codegen/Gemm.h"

#include "llvm/IR/Module.h"

namespace nnc {

using llvm::Value;

// kGemmMinWork and kGemmMinRows (opt/Fusion.h): below them a matmul stays a
// loop nest (the implicit-GEMM plan reads them too).
/// Multiply-adds below which a GEMM runs on the calling thread alone.
static constexpr int64_t kGemmParallelMinWork = 1 << 21;
/// Columns whose dot products share one pass over A's row (loops, B transposed).
static constexpr int kColumnBlock = 4;
/// Multiply-adds from which those dot products are split across threads:
/// an eighth of the GEMM's threshold, since they only stream B. A batch-1
/// 784x512 layer (400k) took 18 us on one thread and 8.5-10 on two (the
/// halves of its 1.6 MB of weights stay in each core's L2).
static constexpr int64_t kDotsParallelMinWork = 1 << 18;

/// `out` is dest's buffer (n's, or the node n's epilogue writes).
static void emitProductLoops(FunctionEmitter &em, const Node &n, const Node &dest, Value *out, Value *M, Value *N, Value *K,
                      Value *aCols, Value *bCols) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &a = *n.operands[0], &b = *n.operands[1];
  llvm::Type *t = em.elemType(n.type.dtype);
  llvm::IRBuilder<>::FastMathFlagGuard fmfGuard(ir);
  llvm::FastMathFlags fmf;
  fmf.setAllowContract(true); // fused multiply-add where the target has it
  ir.setFastMathFlags(fmf);
  auto A = [&](Value *i, Value *k) {
    return em.load(a, n.transA ? ir.CreateAdd(ir.CreateMul(k, aCols), i)
                            : ir.CreateAdd(ir.CreateMul(i, aCols), k));
  };
  auto Bv = [&](Value *k, Value *j) {
    return em.load(b, n.transB ? ir.CreateAdd(ir.CreateMul(j, bCols), k)
                            : ir.CreateAdd(ir.CreateMul(k, bCols), j));
  };
  auto cIndex = [&](Value *i, Value *j) { return ir.CreateAdd(ir.CreateMul(i, N), j); };
  auto loadC = [&](Value *c) { // from `out`: n itself may have no buffer (epilogue)
    return ir.CreateAlignedLoad(t, ir.CreateInBoundsGEP(t, out, c), llvm::Align(dtypeBytes(n.type.dtype)));
  };
  auto accumulate = [&](Value *i, Value *k) {
    Value *aik = A(i, k);
    em.loop(N, [&](Value *j) {
      Value *c = cIndex(i, j);
      em.store(n, out, c, ir.CreateFAdd(loadC(c), ir.CreateFMul(aik, Bv(k, j))));
    }, "j");
  };
  Value *zero = llvm::ConstantFP::get(t, 0.0);
  if (!n.transB && !n.transA) {
    em.loop(M, [&](Value *i) {
      em.loop(N, [&](Value *j) { em.store(n, out, cIndex(i, j), zero); }, "j");
      em.loop(K, [&](Value *k) { accumulate(i, k); }, "k");
    }, "m");
    return;
  }
  if (!n.transB) { // A transposed: k outermost so both A and B stream by rows
    em.loop(em.elementCount(n), [&](Value *i) { em.store(n, out, i, zero); });
    em.loop(K, [&](Value *k) { em.loop(M, [&](Value *i) { accumulate(i, k); }, "m"); }, "k");
    return;
  }
  fmf.setAllowReassoc(true);
  ir.setFastMathFlags(fmf);
  // Dot products of A's rows with B's rows, kColumnBlock columns at a
  // time: each A element loaded feeds that many sums (a batch-1 dense
  // layer is otherwise bound by loading the input row again per column).
  auto dots = [&](Value *i, Value *j0, int count, Value *c0) {
    std::vector<Value *> slots;
    for (int c = 0; c < count; ++c) {
      slots.push_back(em.entryAlloca(t));
      ir.CreateStore(zero, slots.back());
    }
    em.loop(K, [&](Value *k) {
      Value *aik = A(i, k);
      for (int c = 0; c < count; ++c) {
        Value *prod = ir.CreateFMul(aik, Bv(k, ir.CreateAdd(j0, ir.getInt64(c))));
        ir.CreateStore(ir.CreateFAdd(ir.CreateLoad(t, slots[c]), prod), slots[c]);
      }
    }, "k");
    for (int c = 0; c < count; ++c)
      em.store(n, c0, cIndex(i, ir.CreateAdd(j0, ir.getInt64(c))), ir.CreateLoad(t, slots[c]));
  };
  // Column blocks are independent: a large product (batch-1 fc1 of the
  // lecture CNN streams 12.8 MB of weights) splits them across threads,
  // from kDotsParallelMinWork multiply-adds on.
  // The task recomputes the sizes from the batch (the lambdas above read
  // these variables), so it needs nothing of the entry but its arguments.
  MatrixView va = matrixView(a.type, n.transA), vb = matrixView(b.type, n.transB);
  auto recomputeSizes = [&] {
    N = em.product(vb.cols), K = em.product(va.cols);
    aCols = em.dimValue(fullDims(a.type).back()), bCols = em.dimValue(fullDims(b.type).back());
  };
  Value *blocks = ir.CreateUDiv(N, ir.getInt64(kColumnBlock));
  int64_t macsPerBlock = 0; // cost in parallelLoop's units (kParallelMinWork = GEMM's threshold)
  if (auto *k = llvm::dyn_cast<llvm::ConstantInt>(K))
    macsPerBlock = k->getSExtValue() * kColumnBlock / (kDotsParallelMinWork / FunctionEmitter::kParallelMinWork);
  Value *entrySizes[] = {N, K, aCols, bCols};
  em.parallelLoop(ir.CreateMul(M, blocks), macsPerBlock, [&](Value *index) {
    recomputeSizes();
    Value *perRow = ir.CreateUDiv(N, ir.getInt64(kColumnBlock));
    Value *i = ir.CreateUDiv(index, perRow), *q = ir.CreateURem(index, perRow);
    dots(i, ir.CreateMul(q, ir.getInt64(kColumnBlock)), kColumnBlock, em.buffer(dest));
    N = entrySizes[0], K = entrySizes[1], aCols = entrySizes[2], bCols = entrySizes[3];
  });
  em.loop(M, [&](Value *i) { // the last N mod kColumnBlock columns
    em.loopRange(ir.CreateMul(blocks, ir.getInt64(kColumnBlock)), N,
              [&](Value *j) { dots(i, j, 1, out); }, "j");
  }, "m");
}

/// An Im2Col the fusion plan left without a buffer: the GEMM packs it from
/// its image (opt/Fusion.h planImplicitIm2Col).
static bool isImplicitIm2Col(FunctionEmitter &em, const Node &a) {
  return a.op == OpKind::Im2Col && em.fusion().fused.count(&a);
}

/// The window fields of windowGemmArgsType for the Im2Col `cols`.
static void storeWindowArgs(FunctionEmitter &em, const Node &cols, bool transposed, Value *args) {
  llvm::IRBuilder<> &ir = em.builder();
  const Window &w = cols.window;
  const std::vector<int64_t> &image = cols.operands[0]->type.dims;
  int64_t fields[] = {image[0], image[1], image[2], w.outH(image[0]), w.outW(image[1]), w.kw,
                      w.strideH, w.strideW, w.dilationH, w.dilationW, w.padTop, w.padLeft,
                      transposed ? 1 : 0};
  auto *ty = windowGemmArgsType(em.context());
  for (unsigned i = WGA_H; i < WGA_PAD_VALUE; ++i)
    ir.CreateStore(ir.getInt64(fields[i - WGA_H]), ir.CreateStructGEP(ty, args, i));
  ir.CreateStore(llvm::ConstantFP::get(ir.getDoubleTy(), cols.scalar), ir.CreateStructGEP(ty, args, WGA_PAD_VALUE));
}

/// Calls the packed kernel (Gemm.cpp) through the runtime's thread pool,
/// split into MR-row or NR-column chunks, whichever gives more.
static void emitMatMulGemm(FunctionEmitter &em, const Node &n, Value *out, Value *M, Value *N, Value *K,
                    Value *aCols, Value *bCols, const GemmEpilogue *epilogue) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &a = *n.operands[0], &b = *n.operands[1];
  GemmShape shape = gemmShape(n.type.dtype, em.options().gemmVectorBits);
  bool window = isImplicitIm2Col(em, a);
  auto *argsTy = gemmArgsType(em.context());
  Value *windowArgs = window ? em.entryAlloca(windowGemmArgsType(em.context()), "gemm.window.args") : nullptr;
  Value *args = window ? windowArgs : em.entryAlloca(argsTy, "gemm.args");
  Value *one = ir.getInt64(1);
  Value *aData = window ? em.buffer(em.canonical(*a.operands[0])) : em.buffer(em.canonical(a));
  Value *fields[] = {aData, em.buffer(em.canonical(b)), out, M, N, K,
                     n.transA ? one : aCols, n.transA ? aCols : one,
                     n.transB ? one : bCols, n.transB ? bCols : one, nullptr,
                     epilogue ? em.buffer(em.canonical(*epilogue->bias))
                              : llvm::ConstantPointerNull::get(ir.getPtrTy()),
                     ir.getInt64(epilogue && epilogue->relu ? 1 : 0)};
  Value *chunksM = ir.CreateUDiv(ir.CreateAdd(M, ir.getInt64(shape.mr - 1)), ir.getInt64(shape.mr));
  Value *chunksN = ir.CreateUDiv(ir.CreateAdd(N, ir.getInt64(shape.nr - 1)), ir.getInt64(shape.nr));
  Value *splitN = ir.CreateICmpUGT(chunksN, chunksM);
  fields[GA_SPLIT] = ir.CreateZExt(splitN, ir.getInt64Ty());
  for (unsigned i = 0; i <= GA_RELU; ++i)
    ir.CreateStore(fields[i], ir.CreateStructGEP(argsTy, args, i));
  llvm::Function *task = getGemmTask(em.module(), n.type.dtype, em.options().gemmVectorBits);
  if (window) {
    storeWindowArgs(em, a, n.transA, windowArgs);
    task = getWindowGemmTask(em.module(), n.type.dtype, em.options().gemmVectorBits);
  }
  // Small products run on the calling thread: waking the others costs
  // more than they would save (same chunks, same results).
  auto *forTy = llvm::FunctionType::get(ir.getVoidTy(), {ir.getInt64Ty(), ir.getPtrTy(), ir.getPtrTy()}, false);
  llvm::FunctionCallee parallelFor = em.module().getOrInsertFunction("nnrt_parallel_for", forTy);
  llvm::FunctionCallee serialFor = em.module().getOrInsertFunction("nnrt_serial_for", forTy);
  Value *small = ir.CreateICmpULT(ir.CreateMul(ir.CreateMul(M, N), K), ir.getInt64(kGemmParallelMinWork));
  Value *runner = ir.CreateSelect(small, serialFor.getCallee(), parallelFor.getCallee());
  ir.CreateCall(forTy, runner, {ir.CreateSelect(splitN, chunksN, chunksM), task, args});
}

static void emitMatMulLoops(FunctionEmitter &em, const Node &n, const Node &dest, Value *out, Value *M, Value *N, Value *K,
                     Value *aCols, Value *bCols, const GemmEpilogue *epilogue) {
  llvm::IRBuilder<> &ir = em.builder();
  emitProductLoops(em, n, dest, out, M, N, K, aCols, bCols);
  if (!epilogue)
    return;
  // The epilogue in place, as the GEMM applies it to each element. Only
  // small products come here, so the loop stays on this thread.
  // The same elementwise ops the unfused add and relu would run.
  llvm::Type *t = em.elemType(n.type.dtype);
  DType dtype = n.type.dtype;
  em.loop(em.elementCount(n), [&](Value *i) {
    Value *ptr = ir.CreateInBoundsGEP(t, out, i);
    Value *x = ir.CreateAlignedLoad(t, ptr, llvm::Align(dtypeBytes(dtype)));
    x = elementwise(em, OpKind::Add, {x, em.load(*epilogue->bias, ir.CreateURem(i, N))}, dtype);
    if (epilogue->relu)
      x = elementwise(em, OpKind::Relu, {x}, dtype);
    ir.CreateAlignedStore(x, ptr, llvm::Align(dtypeBytes(dtype)));
  });
}

/// C[i,j] = sum_k opA[i,k] * opB[k,j] over 2-D views of the operands
/// (rows = all leading dims, batch included). Loop orders keep the
/// innermost loop on contiguous memory so it vectorises: with B untransposed
/// C's row accumulates a_ik * B's row (k ascending, so every C[i,j] sums in
/// the same order as a dot product would); with B transposed it is a dot
/// product of two rows, vectorised by reassociating its sum.
///
/// With an epilogue, `out` is the buffer of the node it writes and gets
/// relu?(C + bias[column]) instead of C.
void emitMatMul(FunctionEmitter &em, const Node &n, const Node &dest, Value *out, const GemmEpilogue *epilogue) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &a = *n.operands[0], &b = *n.operands[1];
  MatrixView va = matrixView(a.type, n.transA), vb = matrixView(b.type, n.transB);
  Value *M = em.product(va.rows), *K = em.product(va.cols), *N = em.product(vb.cols);
  Value *aCols = em.dimValue(fullDims(a.type).back()), *bCols = em.dimValue(fullDims(b.type).back());
  // An im2col matrix that was never written is read by the GEMM alone (the
  // plan picked products that take the GEMM at any batch).
  if (isImplicitIm2Col(em, a))
    return emitMatMulGemm(em, n, out, M, N, K, aCols, bCols, epilogue);
  if (em.isInlineScalar(a) || em.isInlineScalar(b) || em.options().gemmVectorBits == 0)
    return emitMatMulLoops(em, n, dest, out, M, N, K, aCols, bCols, epilogue);
  // Small products (the lecture's 2-2-2 net, batch-1 layers) stay plain
  // loops: packing would cost more than it saves. The batch is only known
  // at run time, so both versions exist when the size depends on it.
  // A few rows (batch-1 inference) would pay for packing all of B for
  // almost no reuse: the loops stream B once instead.
  Value *work = ir.CreateMul(ir.CreateMul(M, N), K);
  Value *big = ir.CreateAnd(ir.CreateICmpSGE(work, ir.getInt64(kGemmMinWork)),
                            ir.CreateICmpSGE(M, ir.getInt64(kGemmMinRows)));
  if (auto *c = llvm::dyn_cast<llvm::ConstantInt>(big)) {
    if (c->isOne())
      return emitMatMulGemm(em, n, out, M, N, K, aCols, bCols, epilogue);
    return emitMatMulLoops(em, n, dest, out, M, N, K, aCols, bCols, epilogue);
  }
  auto *gemmBB = llvm::BasicBlock::Create(em.context(), "gemm", em.function());
  auto *loopsBB = llvm::BasicBlock::Create(em.context(), "matmul.loops", em.function());
  auto *join = llvm::BasicBlock::Create(em.context(), "matmul.done", em.function());
  ir.CreateCondBr(big, gemmBB, loopsBB);
  ir.SetInsertPoint(gemmBB);
  emitMatMulGemm(em, n, out, M, N, K, aCols, bCols, epilogue);
  ir.CreateBr(join);
  ir.SetInsertPoint(loopsBB);
  emitMatMulLoops(em, n, dest, out, M, N, K, aCols, bCols, epilogue);
  ir.CreateBr(join);
  ir.SetInsertPoint(join);
}

/// The stack's products as loops, matrices split across threads: C's row
/// accumulates a_ik * B's row (B untransposed) or a dot product per element.
static void emitStackLoops(FunctionEmitter &em, const Node &n, const StackView &v, Value *count,
                           bool sharedA, bool sharedB) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &a = *n.operands[0], &b = *n.operands[1];
  llvm::Type *t = em.elemType(n.type.dtype);
  em.parallelLoop(count, v.m * v.n * v.k, [&](Value *item) {
    llvm::IRBuilder<>::FastMathFlagGuard fmfGuard(ir);
    llvm::FastMathFlags fmf;
    fmf.setAllowContract(true);
    ir.setFastMathFlags(fmf);
    Value *out = em.buffer(n);
    Value *stack = ir.getInt64(v.stack);
    Value *aBase = ir.CreateMul(sharedA ? ir.CreateURem(item, stack) : item, ir.getInt64(v.m * v.k));
    Value *bBase = ir.CreateMul(sharedB ? ir.CreateURem(item, stack) : item, ir.getInt64(v.k * v.n));
    Value *cBase = ir.CreateMul(item, ir.getInt64(v.m * v.n));
    auto at = [&](Value *base, Value *row, int64_t cols, Value *col) {
      return ir.CreateAdd(base, ir.CreateAdd(ir.CreateMul(row, ir.getInt64(cols)), col));
    };
    auto A = [&](Value *i, Value *k) {
      return em.load(a, n.transA ? at(aBase, k, v.m, i) : at(aBase, i, v.k, k));
    };
    auto B = [&](Value *k, Value *j) {
      return em.load(b, n.transB ? at(bBase, j, v.k, k) : at(bBase, k, v.n, j));
    };
    auto cPtr = [&](Value *i, Value *j) { return ir.CreateInBoundsGEP(t, out, at(cBase, i, v.n, j)); };
    llvm::Align align(dtypeBytes(n.type.dtype));
    Value *zero = llvm::ConstantFP::get(t, 0.0);
    em.loop(ir.getInt64(v.m), [&](Value *i) {
      if (!n.transB) {
        em.loop(ir.getInt64(v.n), [&](Value *j) { ir.CreateAlignedStore(zero, cPtr(i, j), align); }, "j");
        em.loop(ir.getInt64(v.k), [&](Value *k) {
          Value *aik = A(i, k);
          em.loop(ir.getInt64(v.n), [&](Value *j) {
            Value *c = cPtr(i, j);
            ir.CreateAlignedStore(ir.CreateFAdd(ir.CreateAlignedLoad(t, c, align), ir.CreateFMul(aik, B(k, j))), c, align);
          }, "j");
        }, "k");
        return;
      }
      em.loop(ir.getInt64(v.n), [&](Value *j) {
        Value *sum = em.entryAlloca(t);
        ir.CreateStore(zero, sum);
        em.loop(ir.getInt64(v.k), [&](Value *k) {
          ir.CreateStore(ir.CreateFAdd(ir.CreateLoad(t, sum), ir.CreateFMul(A(i, k), B(k, j))), sum);
        }, "k");
        ir.CreateAlignedStore(ir.CreateLoad(t, sum), cPtr(i, j), align);
      }, "j");
    }, "m");
  });
}

/// The stack through the batched GEMM task (Gemm.h), matrices split across
/// threads when the whole stack is worth it.
static void emitStackGemm(FunctionEmitter &em, const Node &n, const StackView &v, Value *count,
                          Value *out, bool sharedA, bool sharedB) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &a = *n.operands[0], &b = *n.operands[1];
  GemmShape shape = gemmShape(n.type.dtype, em.options().gemmVectorBits);
  auto *argsTy = batchedGemmArgsType(em.context());
  auto *gemmTy = gemmArgsType(em.context());
  Value *args = em.entryAlloca(argsTy, "bgemm.args");
  Value *gemmArgs = ir.CreateStructGEP(argsTy, args, BGA_GEMM);
  int64_t aCols = a.type.dims.back(), bCols = b.type.dims.back();
  int64_t chunksM = (v.m + shape.mr - 1) / shape.mr, chunksN = (v.n + shape.nr - 1) / shape.nr;
  bool splitN = chunksN > chunksM;
  Value *null = llvm::ConstantPointerNull::get(ir.getPtrTy());
  Value *gemmFields[] = {em.buffer(em.canonical(a)), em.buffer(em.canonical(b)), out,
                         ir.getInt64(v.m), ir.getInt64(v.n), ir.getInt64(v.k),
                         ir.getInt64(n.transA ? 1 : aCols), ir.getInt64(n.transA ? aCols : 1),
                         ir.getInt64(n.transB ? 1 : bCols), ir.getInt64(n.transB ? bCols : 1),
                         ir.getInt64(splitN ? 1 : 0), null, ir.getInt64(0)};
  for (unsigned i = 0; i <= GA_RELU; ++i)
    ir.CreateStore(gemmFields[i], ir.CreateStructGEP(gemmTy, gemmArgs, i));
  int64_t stackFields[] = {v.m * v.k, v.k * v.n, v.m * v.n, v.stack, sharedA, sharedB,
                           splitN ? chunksN : chunksM};
  for (unsigned i = BGA_STRIDE_A; i <= BGA_CHUNKS; ++i)
    ir.CreateStore(ir.getInt64(stackFields[i - BGA_STRIDE_A]), ir.CreateStructGEP(argsTy, args, i));
  auto *forTy = llvm::FunctionType::get(ir.getVoidTy(), {ir.getInt64Ty(), ir.getPtrTy(), ir.getPtrTy()}, false);
  llvm::FunctionCallee parallelFor = em.module().getOrInsertFunction("nnrt_parallel_for", forTy);
  llvm::FunctionCallee serialFor = em.module().getOrInsertFunction("nnrt_serial_for", forTy);
  Value *small = ir.CreateICmpULT(ir.CreateMul(count, ir.getInt64(v.m * v.n * v.k)),
                                  ir.getInt64(kGemmParallelMinWork));
  Value *runner = ir.CreateSelect(small, serialFor.getCallee(), parallelFor.getCallee());
  ir.CreateCall(forTy, runner, {count, getBatchedGemmTask(em.module(), n.type.dtype, em.options().gemmVectorBits), args});
}

void emitBatchMatMul(FunctionEmitter &em, const Node &n, Value *out) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &a = *n.operands[0], &b = *n.operands[1];
  StackView v = stackView(n);
  Value *count = ir.getInt64(v.stack);
  if (n.type.batched)
    count = ir.CreateMul(em.batch(), count);
  // An unbatched operand is shared: matrix i of C reads its matrix i mod stack.
  bool sharedA = n.type.batched && !a.type.batched, sharedB = n.type.batched && !b.type.batched;
  bool gemm = !em.isInlineScalar(a) && !em.isInlineScalar(b) && em.options().gemmVectorBits != 0 &&
              v.m * v.n * v.k >= kGemmMinWork && v.m >= kGemmMinRows;
  if (gemm)
    return emitStackGemm(em, n, v, count, out, sharedA, sharedB);
  emitStackLoops(em, n, v, count, sharedA, sharedB);
}

} // namespace nnc
