//===- RandomKernel.cpp - normal and uniform tensors drawn per element ----===//
//
// `normal(shape)` and `uniform(shape)` in a model: one Philox block per
// element (codegen/Philox.h), so every value is a pure function of (seed,
// step, node, position in the batch) whatever the threads. The transforms
// are the runtime's initialisers' (runtime/src/rng.c, model.c), computed in
// f64 and rounded to the element type once.
//
//===----------------------------------------------------------------------===//
#include "codegen/Kernels.h"

#include "codegen/Philox.h"

#include "llvm/IR/Module.h"

#include <cmath>
#include <cstring>

namespace nnc {

/// A kernel per distinct (op, dtype, parameters): the parameters are
/// constants in its code.
static std::string kernelName(const Node &n) {
  std::string name = std::string("nnc.") + opName(n.op) + "." + dtypeName(n.type.dtype);
  for (double v : n.data) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    name += "." + std::to_string(bits);
  }
  return name;
}

/// N(mean, std^2) by Box-Muller on the element's block: u1 = 1 - unit(w0,
/// w1) in (0, 1] (log(u1) is finite), u2 = unit(w2, w3), z = sqrt(-2 ln u1)
/// cos(2 pi u2): rng.c's normal_pair.
static llvm::Value *normalElement(llvm::IRBuilder<> &b, const std::array<llvm::Value *, 4> &w,
                                  double mean, double std) {
  auto c = [&](double v) { return llvm::ConstantFP::get(b.getDoubleTy(), v); };
  llvm::Value *u1 = b.CreateFSub(c(1.0), emitUnit(b, w[0], w[1]));
  llvm::Value *u2 = emitUnit(b, w[2], w[3]);
  llvm::Value *logU1 = b.CreateUnaryIntrinsic(llvm::Intrinsic::log, u1);
  llvm::Value *r = b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, b.CreateFMul(c(-2.0), logU1));
  llvm::Value *z = b.CreateFMul(
      r, b.CreateUnaryIntrinsic(llvm::Intrinsic::cos, b.CreateFMul(c(6.28318530717958647692), u2)));
  return b.CreateFAdd(c(mean), b.CreateFMul(c(std), z));
}

/// U[low, high): low + (high - low) u with u = unit(w0, w1), as the
/// uniform initialiser; a value that rounds up to `high` in the element
/// type is moved just below it, so the interval stays half-open.
static llvm::Value *uniformElement(llvm::IRBuilder<> &b, const std::array<llvm::Value *, 4> &w,
                                   double low, double high, DType dtype) {
  llvm::Value *v = b.CreateFAdd(llvm::ConstantFP::get(b.getDoubleTy(), low),
                                b.CreateFMul(llvm::ConstantFP::get(b.getDoubleTy(), high - low),
                                             emitUnit(b, w[0], w[1])));
  if (dtype == DType::F32) {
    float top = float(high), below = std::nextafter(top, float(low));
    v = b.CreateFPTrunc(v, b.getFloatTy());
    return b.CreateSelect(b.CreateFCmpOGE(v, llvm::ConstantFP::get(b.getFloatTy(), top)),
                          llvm::ConstantFP::get(b.getFloatTy(), below), v);
  }
  return b.CreateSelect(b.CreateFCmpOGE(v, llvm::ConstantFP::get(b.getDoubleTy(), high)),
                        llvm::ConstantFP::get(b.getDoubleTy(), std::nextafter(high, low)), v);
}

void emitRandom(FunctionEmitter &em, const Node &n, llvm::Value *out) {
  DType dtype = n.type.dtype;
  double a = n.data[0], b = n.data[1];
  llvm::Function *kernel = getDrawKernel(
      em.module(), kernelName(n), dtype,
      [&](llvm::IRBuilder<> &ir, llvm::Function *, const std::array<llvm::Value *, 4> &w) {
        if (n.op == OpKind::RandomUniform)
          return uniformElement(ir, w, a, b, dtype);
        llvm::Value *v = normalElement(ir, w, a, b);
        return dtype == DType::F64 ? v : ir.CreateFPTrunc(v, ir.getFloatTy());
      });
  // The runtime's mask driver only splits the work and passes the key on;
  // its dropout rate (0 here) is unused by this kernel.
  emitDrawCall(em, n, out, 0.0, kernel);
}

} // namespace nnc
