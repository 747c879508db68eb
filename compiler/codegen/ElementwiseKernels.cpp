//===- ElementwiseKernels.cpp - elementwise ops, fused chains, casts, masks ===//
//
// `elementwise` is the one definition of each elementwise op: the loop of an
// unfused node, a chain fused into its reader (FunctionEmitter::load), a
// matmul's small-product epilogue and the update loops all call it.
//
//===----------------------------------------------------------------------===//
#include "codegen/Kernels.h"

#include "llvm/IR/Module.h"

#include <cmath>

namespace nnc {

using llvm::Value;

static Value *libm(FunctionEmitter &em, const char *name, Value *x, DType t) {
  llvm::IRBuilder<> &ir = em.builder();
  std::string fname = std::string(name) + (t == DType::F32 ? "f" : "");
  llvm::FunctionCallee f = em.module().getOrInsertFunction(
      fname, llvm::FunctionType::get(x->getType(), {x->getType()}, false));
  if (auto *fn = llvm::dyn_cast<llvm::Function>(f.getCallee())) {
    fn->setDoesNotAccessMemory();
    fn->setDoesNotThrow();
  }
  return ir.CreateCall(f, {x});
}

/// x P(x^2) / Q(x^2) on x = a clamped to [-bound, bound], the polynomials'
/// coefficients highest degree first: the odd rational functions of the
/// inline tanh and erf. Plain arithmetic, so loops over them vectorise,
/// where a libm call per element does not. NaN stays NaN.
static Value *oddRational(FunctionEmitter &em, Value *a, double bound, std::initializer_list<double> pCoefficients,
                          std::initializer_list<double> qCoefficients) {
  llvm::IRBuilder<> &ir = em.builder();
  llvm::Type *ty = a->getType();
  auto c = [&](double v) { return llvm::ConstantFP::get(ty, v); };
  Value *x = ir.CreateSelect(ir.CreateFCmpOGT(a, c(bound)), c(bound), a);
  x = ir.CreateSelect(ir.CreateFCmpOLT(x, c(-bound)), c(-bound), x);
  Value *x2 = ir.CreateFMul(x, x);
  auto poly = [&](std::initializer_list<double> coefficients) {
    Value *acc = nullptr;
    for (double k : coefficients)
      acc = acc ? ir.CreateFAdd(ir.CreateFMul(acc, x2), c(k)) : c(k);
    return acc;
  };
  return ir.CreateFDiv(ir.CreateFMul(x, poly(pCoefficients)), poly(qCoefficients));
}

/// f32 tanh as a 13/6-degree rational function on [-9, 9] (the
/// approximation Eigen and ONNX Runtime's MLAS use, within a few ulp;
/// beyond 9 tanh is +-1 in f32).
static Value *tanhF32(FunctionEmitter &em, Value *a) {
  return oddRational(em, a, 9.0,
                     {-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
                      5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04,
                      4.89352455891786e-03},
                     {1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
                      4.89352518554385e-03});
}

/// f32 erf as Eigen's rational function, degrees 13 and 8, on [-4, 4]
/// (beyond it erf is +-1 in f32), and the Taylor term 2x/sqrt(pi) below
/// 1e-4 (where x P(x^2) would go subnormal for tiny x). Within 6.6 ulp of
/// the exact erf over every f32 (glibc's erff: 0.9); GELU's loops
/// vectorise with it.
static Value *erfF32(FunctionEmitter &em, Value *a) {
  llvm::IRBuilder<> &ir = em.builder();
  Value *r = oddRational(em, a, 4.0,
                         {-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
                          -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
                          -1.60960333262415e-02},
                         {-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
                          -7.37332916720468e-03, -1.42647390514189e-02});
  llvm::Type *ty = a->getType();
  Value *tiny = ir.CreateFCmpOLT(em.call(llvm::Intrinsic::fabs, a), llvm::ConstantFP::get(ty, 1e-4));
  return ir.CreateSelect(tiny, ir.CreateFMul(a, llvm::ConstantFP::get(ty, 1.12837916709551257)), r);
}

/// f32 exp as Cephes' expf: x = k ln2 + r with |r| <= ln2 / 2, exp(r) by a
/// degree-7 polynomial, times 2^k built from its exponent bits (as two
/// factors, so k = 128 and k = -126 stay normal); within 2 ulp. Plain
/// arithmetic, so loops over it vectorise, where llvm.exp becomes an expf
/// call per element. Above ln(FLT_MAX) +inf, below ln(FLT_MIN) 0, NaN stays.
static Value *expF32(FunctionEmitter &em, Value *x) {
  llvm::IRBuilder<> &ir = em.builder();
  llvm::Type *ty = x->getType();
  llvm::Type *ity = ty->getWithNewType(ir.getInt32Ty());
  auto c = [&](double v) { return llvm::ConstantFP::get(ty, v); };
  auto ci = [&](int v) { return llvm::ConstantInt::get(ity, v); };
  const double maxLog = 88.72283935546875, minLog = -87.3365478515625;
  Value *xc = ir.CreateSelect(ir.CreateFCmpOGT(x, c(maxLog)), c(maxLog), x);
  xc = ir.CreateSelect(ir.CreateFCmpOLT(xc, c(minLog)), c(minLog), xc);
  Value *fx = em.call(llvm::Intrinsic::floor, ir.CreateFAdd(ir.CreateFMul(xc, c(1.44269504088896341)), c(0.5)));
  Value *r = ir.CreateFSub(xc, ir.CreateFMul(fx, c(0.693359375)));
  r = ir.CreateFSub(r, ir.CreateFMul(fx, c(-2.12194440e-4)));
  Value *p = c(1.9875691500e-4);
  for (double k : {1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1})
    p = ir.CreateFAdd(ir.CreateFMul(p, r), c(k));
  Value *y = ir.CreateFAdd(ir.CreateFAdd(ir.CreateFMul(p, ir.CreateFMul(r, r)), r), c(1.0));
  Value *k = ir.CreateFPToSI(fx, ity);
  Value *k1 = ir.CreateAShr(k, ci(1)), *k2 = ir.CreateSub(k, k1);
  auto pow2 = [&](Value *e) { return ir.CreateBitCast(ir.CreateShl(ir.CreateAdd(e, ci(127)), ci(23)), ty); };
  y = ir.CreateFMul(ir.CreateFMul(y, pow2(k1)), pow2(k2));
  y = ir.CreateSelect(ir.CreateFCmpOGT(x, c(maxLog)), c(INFINITY), y);
  y = ir.CreateSelect(ir.CreateFCmpOLT(x, c(minLog)), c(0.0), y);
  return ir.CreateSelect(ir.CreateFCmpUNO(x, x), x, y);
}

Value *expOf(FunctionEmitter &em, Value *x, DType t) {
  return t == DType::F32 ? expF32(em, x) : em.call(llvm::Intrinsic::exp, x);
}

Value *elementwise(FunctionEmitter &em, OpKind op, const std::vector<Value *> &x, DType t) {
  llvm::IRBuilder<> &ir = em.builder();
  llvm::Type *ty = em.elemType(t);
  Value *zero = llvm::ConstantFP::get(ty, 0.0), *one = llvm::ConstantFP::get(ty, 1.0);
  switch (op) {
  case OpKind::Neg: return ir.CreateFNeg(x[0]);
  case OpKind::Exp: return expOf(em, x[0], t);
  case OpKind::Log: return em.call(llvm::Intrinsic::log, x[0]);
  case OpKind::Sqrt: return em.call(llvm::Intrinsic::sqrt, x[0]);
  case OpKind::Sin: return em.call(llvm::Intrinsic::sin, x[0]);
  case OpKind::Cos: return em.call(llvm::Intrinsic::cos, x[0]);
  case OpKind::Abs: return em.call(llvm::Intrinsic::fabs, x[0]);
  case OpKind::Tanh: return t == DType::F32 ? tanhF32(em, x[0]) : libm(em, "tanh", x[0], t);
  case OpKind::Erf: return t == DType::F32 ? erfF32(em, x[0]) : libm(em, "erf", x[0], t);
  case OpKind::Log1p: return libm(em, "log1p", x[0], t);
  case OpKind::Tan: return libm(em, "tan", x[0], t);
  case OpKind::Asin: return libm(em, "asin", x[0], t);
  case OpKind::Acos: return libm(em, "acos", x[0], t);
  case OpKind::Atan: return libm(em, "atan", x[0], t);
  case OpKind::Sinh: return libm(em, "sinh", x[0], t);
  case OpKind::Cosh: return libm(em, "cosh", x[0], t);
  case OpKind::Asinh: return libm(em, "asinh", x[0], t);
  case OpKind::Acosh: return libm(em, "acosh", x[0], t);
  case OpKind::Atanh: return libm(em, "atanh", x[0], t);
  case OpKind::Selu: { // PyTorch's elu kernel: x > 0 ? scale x : (exp(x) - 1) (alpha scale)
    bool f32 = t == DType::F32;
    double negcoef = f32 ? double(float(kSeluAlpha) * float(kSeluScale)) : kSeluAlpha * kSeluScale;
    Value *negative = ir.CreateFMul(ir.CreateFSub(expOf(em, x[0], t), one),
                                    llvm::ConstantFP::get(ty, negcoef));
    Value *positive = ir.CreateFMul(x[0], llvm::ConstantFP::get(ty, kSeluScale));
    return ir.CreateSelect(ir.CreateFCmpOGT(x[0], zero), positive, negative);
  }
  case OpKind::Softsign: // PyTorch's x / (x.abs() + 1)
    return ir.CreateFDiv(x[0], ir.CreateFAdd(em.call(llvm::Intrinsic::fabs, x[0]), one));
  case OpKind::Floor: return em.call(llvm::Intrinsic::floor, x[0]);
  case OpKind::StopGradient: return x[0];
  case OpKind::Equal: return ir.CreateSelect(ir.CreateFCmpOEQ(x[0], x[1]), one, zero);
  case OpKind::NotEqual: return ir.CreateSelect(ir.CreateFCmpUNE(x[0], x[1]), one, zero);
  case OpKind::Less: return ir.CreateSelect(ir.CreateFCmpOLT(x[0], x[1]), one, zero);
  case OpKind::LessEqual: return ir.CreateSelect(ir.CreateFCmpOLE(x[0], x[1]), one, zero);
  case OpKind::Greater: return ir.CreateSelect(ir.CreateFCmpOGT(x[0], x[1]), one, zero);
  case OpKind::GreaterEqual: return ir.CreateSelect(ir.CreateFCmpOGE(x[0], x[1]), one, zero);
  case OpKind::Maximum: return ir.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, x[0], x[1]);
  case OpKind::Minimum: return ir.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, x[0], x[1]);
  case OpKind::Select: // non-zero (NaN included) selects operand 1, as bool(x) does
    return ir.CreateSelect(ir.CreateFCmpUNE(x[0], zero), x[1], x[2]);
  case OpKind::Sigmoid:
    return ir.CreateFDiv(one, ir.CreateFAdd(one, expOf(em, ir.CreateFNeg(x[0]), t)));
  case OpKind::Relu:
    // NaN passes through, as torch.relu and ONNX Relu keep it.
    return ir.CreateSelect(ir.CreateFCmpUGT(x[0], zero), x[0], zero);
  case OpKind::Step:
    return ir.CreateSelect(ir.CreateFCmpOGT(x[0], zero), one, zero);
  case OpKind::Sign:
    return ir.CreateSelect(ir.CreateFCmpOGT(x[0], zero), one,
                           ir.CreateSelect(ir.CreateFCmpOLT(x[0], zero),
                                           llvm::ConstantFP::get(ty, -1.0), zero));
  case OpKind::Add: return ir.CreateFAdd(x[0], x[1]);
  case OpKind::Sub: return ir.CreateFSub(x[0], x[1]);
  case OpKind::Mul: return ir.CreateFMul(x[0], x[1]);
  case OpKind::Div: return ir.CreateFDiv(x[0], x[1]);
  case OpKind::Pow:
    return ir.CreateBinaryIntrinsic(llvm::Intrinsic::pow, x[0], x[1]);
  case OpKind::ModeSelect: // an alias, never computed
#define NNC_OP(Name, Printed, Operands, Kind, Flags) case OpKind::Name:
#define NNC_UNARY_OP(Name, Printed, Flags)
#define NNC_BINARY_OP(Name, Printed, Flags)
#define NNC_TERNARY_OP(Name, Printed, Flags)
#include "ir/Ops.def"
    break;
  }
  throw std::logic_error(std::string("not elementwise: ") + opName(op));
}

void emitElementwise(FunctionEmitter &em, const Node &n) {
  em.parallelLoop(em.elementCount(n), 1, [&](Value *i) {
    Value *out = em.buffer(n);
    std::vector<Value *> xs;
    for (const Node *o : n.operands)
      xs.push_back(em.load(*o, i));
    em.store(n, out, i, elementwise(em, n.op, xs, n.type.dtype));
  });
}

void emitCast(FunctionEmitter &em, const Node &n) {
  em.parallelLoop(em.elementCount(n), 1, [&](Value *i) {
    em.store(n, em.buffer(n), i,
             n.operands[0]->type.dtype == DType::I32 // class indices as numbers
                 ? em.builder().CreateSIToFP(em.load(*n.operands[0], i), em.elemType(n.type.dtype))
                 : em.builder().CreateFPCast(em.load(*n.operands[0], i), em.elemType(n.type.dtype)));
  });
}

} // namespace nnc
