//===- DropoutKernel.cpp - dropout masks drawn by generated code ----------===//
//
// The mask kernel nnrt_dropout_mask_with calls per chunk: Philox4x32-10 of
// each element's counter, written as a plain loop over elements so that
// LLVM vectorises it for the target (the rounds' 32 x 32 -> 64-bit products
// become vector multiplies). The arithmetic is runtime/src/rng.c's, step
// for step, so the masks have the same bits as the runtime's C loop.
//
//===----------------------------------------------------------------------===//
#include "codegen/Kernels.h"

#include "codegen/Loops.h"

#include "llvm/IR/Module.h"

namespace nnc {

llvm::Function *getDropoutKernel(llvm::Module &module, DType dtype) {
  std::string name = std::string("nnc.dropout.mask.") + dtypeName(dtype);
  if (llvm::Function *f = module.getFunction(name))
    return f;
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto *i32 = b.getInt32Ty(), *i64 = b.getInt64Ty();
  auto *fnTy = llvm::FunctionType::get(
      b.getVoidTy(), {b.getPtrTy(), i64, i64, i64, i64, i64, i64, b.getDoubleTy()}, false);
  auto *fn = llvm::Function::Create(fnTy, llvm::Function::InternalLinkage, name, module);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", fn));
  llvm::Value *out = fn->getArg(0), *seed = fn->getArg(3), *stream = fn->getArg(4);
  llvm::Value *base = fn->getArg(5), *threshold = fn->getArg(6), *scale = fn->getArg(7);
  auto lo = [&](llvm::Value *v) { return b.CreateTrunc(v, i32); };
  auto hi = [&](llvm::Value *v) { return b.CreateTrunc(b.CreateLShr(v, 32), i32); };
  llvm::Type *elt = dtype == DType::F64 ? b.getDoubleTy() : b.getFloatTy();
  llvm::Value *kept = dtype == DType::F64 ? scale : b.CreateFPTrunc(scale, elt);
  llvm::Value *zero = llvm::ConstantFP::get(elt, 0.0);
  emitLoop(b, fn, fn->getArg(1), fn->getArg(2), 1, [&](llvm::Value *i) {
    llvm::Value *index = b.CreateAdd(base, i);
    llvm::Value *c[4] = {lo(index), hi(index), lo(stream), hi(stream)};
    llvm::Value *k0 = lo(seed), *k1 = hi(seed);
    for (int r = 0; r < 10; ++r) {
      if (r > 0) { // the key schedule bumps before every round but the first
        k0 = b.CreateAdd(k0, b.getInt32(0x9E3779B9u));
        k1 = b.CreateAdd(k1, b.getInt32(0xBB67AE85u));
      }
      llvm::Value *p0 = b.CreateMul(b.getInt64(0xD2511F53u), b.CreateZExt(c[0], i64));
      llvm::Value *p1 = b.CreateMul(b.getInt64(0xCD9E8D57u), b.CreateZExt(c[2], i64));
      llvm::Value *n0 = b.CreateXor(b.CreateXor(hi(p1), c[1]), k0);
      llvm::Value *n2 = b.CreateXor(b.CreateXor(hi(p0), c[3]), k1);
      c[0] = n0;
      c[1] = lo(p1);
      c[2] = n2;
      c[3] = lo(p0);
    }
    llvm::Value *bits = b.CreateLShr(
        b.CreateOr(b.CreateShl(b.CreateZExt(c[0], i64), 32), b.CreateZExt(c[1], i64)), 11);
    llvm::Value *v = b.CreateSelect(b.CreateICmpULT(bits, threshold), kept, zero);
    b.CreateAlignedStore(v, b.CreateInBoundsGEP(elt, out, i),
                         llvm::Align(dtype == DType::F64 ? 8 : 4));
  }, "mask");
  b.CreateRetVoid();
  return fn;
}

} // namespace nnc
