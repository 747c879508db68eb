//===- DropoutKernel.cpp - dropout masks drawn by generated code ----------===//
//
// The mask kernel nnrt_dropout_mask_with calls per chunk (codegen/Philox.h):
// keep where the element's uniform is below 1 - rate, compared in integers
// as the runtime's C loop does, so the masks have the same bits.
//
//===----------------------------------------------------------------------===//
#include "codegen/Kernels.h"

#include "codegen/Philox.h"

#include "llvm/IR/Module.h"

namespace nnc {

/// The per-chunk mask kernel nnrt_dropout_mask_with calls.
static llvm::Function *getDropoutKernel(llvm::Module &module, DType dtype) {
  std::string name = std::string("nnc.dropout.mask.") + dtypeName(dtype);
  return getDrawKernel(module, name, dtype, [&](llvm::IRBuilder<> &b, llvm::Function *kernel,
                                                const std::array<llvm::Value *, 4> &w) {
    llvm::Value *threshold = kernel->getArg(6), *scale = kernel->getArg(7);
    llvm::Type *elt = dtype == DType::F64 ? b.getDoubleTy() : b.getFloatTy();
    llvm::Value *kept = dtype == DType::F64 ? scale : b.CreateFPTrunc(scale, elt);
    return b.CreateSelect(b.CreateICmpULT(emitTop53(b, w[0], w[1]), threshold), kept,
                          llvm::ConstantFP::get(elt, 0.0));
  });
}

/// Training only: the runtime draws keep/drop from the counter-based
/// generator keyed by (seed, step, node), so masks are reproducible.
void emitDropoutMask(FunctionEmitter &em, const Node &n, llvm::Value *out) {
  emitDrawCall(em, n, out, n.scalar, getDropoutKernel(em.module(), n.type.dtype));
}

} // namespace nnc
