//===- RandomKernel.cpp - normal and uniform tensors drawn per element ----===//
//
// `normal(shape)` and `uniform(shape)` in a model: one Philox block per
// element (codegen/Philox.h), so every value is a pure function of (seed,
// step, node, position in the batch) whatever the threads. The transforms
// are the runtime's initialisers' (runtime/src/rng.c, model.c), computed in
// f64 and rounded to the element type once, except that Box-Muller's log
// and cos are polynomials here: they vectorise (libm's calls do not, and
// cost more than the rest of a small model's step) and give the same bits
// on every machine.
//
//===----------------------------------------------------------------------===//
#include "codegen/Kernels.h"

#include "codegen/Philox.h"

#include "llvm/IR/Module.h"

#include <cmath>
#include <cstring>
#include <vector>

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

/// p(x) = coeffs[0] + coeffs[1] x + ... by Horner's rule.
static llvm::Value *polynomial(llvm::IRBuilder<> &b, llvm::Value *x,
                               const std::vector<double> &coeffs) {
  llvm::Value *p = llvm::ConstantFP::get(b.getDoubleTy(), coeffs.back());
  for (size_t k = coeffs.size() - 1; k-- > 0;)
    p = b.CreateFAdd(b.CreateFMul(p, x), llvm::ConstantFP::get(b.getDoubleTy(), coeffs[k]));
  return p;
}

/// ln u for a normal double u in (0, 1], within 3 ulp, from arithmetic
/// that vectorises (libm's log does not): u = m 2^e with m in
/// [sqrt(1/2), sqrt(2)), ln u = e ln 2 + 2 atanh(s), s = (m - 1)/(m + 1),
/// the series to s^23 (|s| <= 0.172). Every operation is IEEE-rounded in
/// this order, so test/catalog/Inputs/check_random.py recomputes the same
/// bits.
static llvm::Value *logUnit(llvm::IRBuilder<> &b, llvm::Value *u) {
  llvm::Type *i64 = b.getInt64Ty(), *f64 = b.getDoubleTy();
  auto c = [&](double v) { return llvm::ConstantFP::get(f64, v); };
  llvm::Value *bits = b.CreateBitCast(u, i64);
  llvm::Value *e = b.CreateSub(b.CreateLShr(bits, 52), b.getInt64(1023));
  llvm::Value *mantissa = b.CreateAnd(bits, b.getInt64((int64_t(1) << 52) - 1));
  llvm::Value *m = b.CreateBitCast(b.CreateOr(mantissa, b.getInt64(int64_t(1023) << 52)), f64);
  // m is in [1, 2); below sqrt(2) it stays, above it is halved.
  llvm::Value *high = b.CreateFCmpOGT(m, c(1.4142135623730951));
  m = b.CreateSelect(high, b.CreateFMul(m, c(0.5)), m);
  e = b.CreateSelect(high, b.CreateAdd(e, b.getInt64(1)), e);
  llvm::Value *s = b.CreateFDiv(b.CreateFSub(m, c(1.0)), b.CreateFAdd(m, c(1.0)));
  std::vector<double> atanh; // 1/(2k + 1)
  for (int k = 0; k <= 11; ++k)
    atanh.push_back(1.0 / (2 * k + 1));
  llvm::Value *logM =
      b.CreateFMul(b.CreateFMul(c(2.0), s), polynomial(b, b.CreateFMul(s, s), atanh));
  // ln 2 in two parts (fdlibm's): e times the first is exact.
  llvm::Value *ef = b.CreateSIToFP(e, f64);
  return b.CreateFAdd(b.CreateFMul(ef, c(6.93147180369123816490e-01)),
                      b.CreateFAdd(b.CreateFMul(ef, c(1.90821492927058770002e-10)), logM));
}

/// cos(2 pi t) for t in [0, 1), within 2 ulp, vectorisable: the nearest
/// quarter turn q/4 is taken off exactly (t is a multiple of 2^-53), and
/// the rest, |a| <= pi/4, goes through the Taylor series of cos or sin
/// (to a^16, a^17) by the quadrant.
static llvm::Value *cosTurns(llvm::IRBuilder<> &b, llvm::Value *t) {
  auto *f64 = b.getDoubleTy();
  auto c = [&](double v) { return llvm::ConstantFP::get(f64, v); };
  llvm::Value *q = b.CreateUnaryIntrinsic(llvm::Intrinsic::floor,
                                          b.CreateFAdd(b.CreateFMul(t, c(4.0)), c(0.5)));
  llvm::Value *a =
      b.CreateFMul(b.CreateFSub(t, b.CreateFMul(q, c(0.25))), c(6.28318530717958647692));
  llvm::Value *a2 = b.CreateFMul(a, a);
  std::vector<double> cosCoeffs, sinCoeffs; // (-1)^k / (2k)!, (-1)^k / (2k + 1)!
  double factorial = 1;
  for (int k = 0; k <= 8; ++k) {
    cosCoeffs.push_back((k % 2 ? -1.0 : 1.0) / factorial);
    factorial *= 2 * k + 1;
    sinCoeffs.push_back((k % 2 ? -1.0 : 1.0) / factorial);
    factorial *= 2 * k + 2;
  }
  llvm::Value *cosA = polynomial(b, a2, cosCoeffs);
  llvm::Value *sinA = b.CreateFMul(a, polynomial(b, a2, sinCoeffs));
  // cos(a + q pi/2): cos a, -sin a, -cos a, sin a for q mod 4 = 0..3.
  llvm::Value *quadrant = b.CreateAnd(b.CreateFPToSI(q, b.getInt64Ty()), b.getInt64(3));
  llvm::Value *odd = b.CreateICmpNE(b.CreateAnd(quadrant, b.getInt64(1)), b.getInt64(0));
  llvm::Value *negative = b.CreateICmpNE(
      b.CreateAnd(b.CreateAdd(quadrant, b.getInt64(1)), b.getInt64(2)), b.getInt64(0));
  llvm::Value *v = b.CreateSelect(odd, sinA, cosA);
  return b.CreateSelect(negative, b.CreateFNeg(v), v);
}

/// N(mean, std^2) by Box-Muller on the element's block: u1 = 1 - unit(w0,
/// w1) in (0, 1] (log(u1) is finite), u2 = unit(w2, w3), z = sqrt(-2 ln u1)
/// cos(2 pi u2), as rng.c's normal_pair but with the vectorisable log and
/// cos above (libm's may differ in the last bit).
static llvm::Value *normalElement(llvm::IRBuilder<> &b, const std::array<llvm::Value *, 4> &w,
                                  double mean, double std) {
  auto c = [&](double v) { return llvm::ConstantFP::get(b.getDoubleTy(), v); };
  llvm::Value *u1 = b.CreateFSub(c(1.0), emitUnit(b, w[0], w[1]));
  llvm::Value *u2 = emitUnit(b, w[2], w[3]);
  llvm::Value *r =
      b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, b.CreateFMul(c(-2.0), logUnit(b, u1)));
  llvm::Value *z = b.CreateFMul(r, cosTurns(b, u2));
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
