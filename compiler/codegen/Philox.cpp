//===- Philox.cpp - per-element random draws in generated code ------------===//
//
// Philox4x32-10 step for step as runtime/src/rng.c (Random123's constants):
// the rounds' 32 x 32 -> 64-bit products become vector multiplies when the
// kernel's loop vectorises.
//
//===----------------------------------------------------------------------===//
#include "codegen/Philox.h"

#include "codegen/Loops.h"

#include "llvm/IR/Module.h"

namespace nnc {

static llvm::Value *low32(llvm::IRBuilder<> &b, llvm::Value *v) {
  return b.CreateTrunc(v, b.getInt32Ty());
}

static llvm::Value *high32(llvm::IRBuilder<> &b, llvm::Value *v) {
  return b.CreateTrunc(b.CreateLShr(v, 32), b.getInt32Ty());
}

std::array<llvm::Value *, 4> emitPhilox4x32(llvm::IRBuilder<> &b, std::array<llvm::Value *, 4> c,
                                            llvm::Value *seed) {
  auto *i64 = b.getInt64Ty();
  llvm::Value *k0 = low32(b, seed), *k1 = high32(b, seed);
  for (int r = 0; r < 10; ++r) {
    if (r > 0) { // the key schedule bumps before every round but the first
      k0 = b.CreateAdd(k0, b.getInt32(0x9E3779B9u));
      k1 = b.CreateAdd(k1, b.getInt32(0xBB67AE85u));
    }
    llvm::Value *p0 = b.CreateMul(b.getInt64(0xD2511F53u), b.CreateZExt(c[0], i64));
    llvm::Value *p1 = b.CreateMul(b.getInt64(0xCD9E8D57u), b.CreateZExt(c[2], i64));
    llvm::Value *n0 = b.CreateXor(b.CreateXor(high32(b, p1), c[1]), k0);
    llvm::Value *n2 = b.CreateXor(b.CreateXor(high32(b, p0), c[3]), k1);
    c = {n0, low32(b, p1), n2, low32(b, p0)};
  }
  return c;
}

llvm::Value *emitTop53(llvm::IRBuilder<> &b, llvm::Value *hi, llvm::Value *lo) {
  auto *i64 = b.getInt64Ty();
  llvm::Value *word = b.CreateOr(b.CreateShl(b.CreateZExt(hi, i64), 32), b.CreateZExt(lo, i64));
  return b.CreateLShr(word, 11);
}

llvm::Value *emitUnit(llvm::IRBuilder<> &b, llvm::Value *hi, llvm::Value *lo) {
  // Exact: a 53-bit integer is a double (the signed conversion, which
  // vectorises, is right below 2^63), and 2^-53 only moves the exponent.
  return b.CreateFMul(b.CreateSIToFP(emitTop53(b, hi, lo), b.getDoubleTy()),
                      llvm::ConstantFP::get(b.getDoubleTy(), 0x1.0p-53));
}

llvm::Function *getDrawKernel(llvm::Module &module, const std::string &name, DType dtype,
                              const DrawElement &element) {
  if (llvm::Function *f = module.getFunction(name))
    return f;
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto *i64 = b.getInt64Ty();
  auto *fnTy = llvm::FunctionType::get(
      b.getVoidTy(), {b.getPtrTy(), i64, i64, i64, i64, i64, i64, b.getDoubleTy()}, false);
  auto *fn = llvm::Function::Create(fnTy, llvm::Function::InternalLinkage, name, module);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", fn));
  llvm::Value *out = fn->getArg(0), *seed = fn->getArg(3), *stream = fn->getArg(4);
  llvm::Value *base = fn->getArg(5);
  llvm::Type *elt = dtype == DType::F64 ? b.getDoubleTy() : b.getFloatTy();
  emitLoop(b, fn, fn->getArg(1), fn->getArg(2), 1, [&](llvm::Value *i) {
    llvm::Value *index = b.CreateAdd(base, i);
    std::array<llvm::Value *, 4> words = emitPhilox4x32(
        b, {low32(b, index), high32(b, index), low32(b, stream), high32(b, stream)}, seed);
    b.CreateAlignedStore(element(b, fn, words), b.CreateInBoundsGEP(elt, out, i),
                         llvm::Align(dtype == DType::F64 ? 8 : 4));
  }, "draw");
  b.CreateRetVoid();
  return fn;
}

void emitDrawCall(FunctionEmitter &em, const Node &n, llvm::Value *out, double rate,
                  llvm::Function *kernel) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &step = *n.operands[0], &seed = *n.operands[1];
  llvm::Type *f64 = ir.getDoubleTy();
  llvm::Value *stepValue =
      ir.CreateFPToUI(ir.CreateFPExt(em.load(step, ir.getInt64(0)), f64), ir.getInt64Ty());
  llvm::Value *seedValue =
      ir.CreateFPToUI(ir.CreateFPExt(em.load(seed, ir.getInt64(0)), f64), ir.getInt64Ty());
  llvm::FunctionCallee fn = em.module().getOrInsertFunction(
      "nnrt_dropout_mask_with",
      llvm::FunctionType::get(ir.getVoidTy(),
                              {ir.getPtrTy(), ir.getInt32Ty(), ir.getInt64Ty(), f64,
                               ir.getInt64Ty(), ir.getInt64Ty(), ir.getPtrTy()},
                              false));
  // Counter stream: step in the high bits, the node below (2^24 nodes).
  // The runtime splits the tensor across threads and calls the generated
  // (vectorised) kernel for each chunk.
  llvm::Value *stream = ir.CreateAdd(ir.CreateShl(stepValue, 24), ir.getInt64(n.id & 0xFFFFFF));
  ir.CreateCall(fn, {out, ir.getInt32(n.type.dtype == DType::F32 ? 0 : 1), em.elementCount(n),
                     llvm::ConstantFP::get(f64, rate), seedValue, stream, kernel});
}

} // namespace nnc
