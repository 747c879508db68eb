//===- ConstantFold.cpp - evaluate nodes whose operands are constants -----===//
//
// A folded node turns into a Constant where it stands (same id, same place in
// the order). Only ops whose result, computed in f64 and rounded to the
// node's type, equals the kernel's own f32/f64 result are folded: +, -, *, /,
// sqrt (correctly rounded either way), and the exact ones (neg, abs, floor,
// relu, step, sign, equal, casts, reshapes, broadcasts of a splat).
// Transcendentals (exp, tanh, ...) are left to run time, where the one libm
// the kernels call decides their last bit.
//
//===----------------------------------------------------------------------===//
#include "opt/Passes.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace nnc {
namespace {

/// Larger results stay computed at run time rather than stored in the object.
constexpr int64_t kMaxFoldedElements = 1 << 16;

double roundTo(DType t, double v) {
  return t == DType::F32 ? static_cast<double>(static_cast<float>(v)) : v;
}

/// The elementwise ops flagged kFoldable in Ops.def, evaluated in f64.
/// Every elementwise op has a case: a new one needs a folding decision.
double evaluate(OpKind op, double a, double b) {
  switch (op) {
  case OpKind::Neg: return -a;
  case OpKind::Abs: return std::fabs(a);
  case OpKind::Floor: return std::floor(a);
  case OpKind::Relu: return a > 0 || std::isnan(a) ? a : 0.0;
  case OpKind::Step: return a > 0 ? 1.0 : 0.0;
  case OpKind::Sign: return a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0;
  case OpKind::Sqrt: return std::sqrt(a);
  case OpKind::StopGradient: return a;
  case OpKind::Add: return a + b;
  case OpKind::Sub: return a - b;
  case OpKind::Mul: return a * b;
  case OpKind::Div: return a / b;
  case OpKind::Equal: return a == b ? 1.0 : 0.0;
  case OpKind::NotEqual: return a != b ? 1.0 : 0.0;
  case OpKind::Less: return a < b ? 1.0 : 0.0;
  case OpKind::LessEqual: return a <= b ? 1.0 : 0.0;
  case OpKind::Greater: return a > b ? 1.0 : 0.0;
  case OpKind::GreaterEqual: return a >= b ? 1.0 : 0.0;
  case OpKind::Maximum: // NaN wins, as llvm.maximum and torch.maximum; +0 > -0
    if (std::isnan(a) || std::isnan(b))
      return std::nan("");
    return a > b || (a == b && !std::signbit(a)) ? a : b;
  case OpKind::Minimum:
    if (std::isnan(a) || std::isnan(b))
      return std::nan("");
    return a < b || (a == b && std::signbit(a)) ? a : b;
  // Not folded (no kFoldable): libm decides their last bit at run time.
  case OpKind::Exp: case OpKind::Log: case OpKind::Sigmoid: case OpKind::Tanh:
  case OpKind::Sin: case OpKind::Cos: case OpKind::Erf: case OpKind::Pow: case OpKind::Log1p:
  case OpKind::Tan: case OpKind::Asin: case OpKind::Acos: case OpKind::Atan: case OpKind::Sinh:
  case OpKind::Cosh: case OpKind::Asinh: case OpKind::Acosh: case OpKind::Atanh:
  case OpKind::Softsign: // f64 then rounded is not the f32 kernel's two roundings
  case OpKind::Selu:     // exp
  case OpKind::ModeSelect: // an alias: the entry decides its value
  case OpKind::Select:     // three operands
    break;
#define NNC_OP(Name, Printed, Operands, Kind, Flags) case OpKind::Name:
#define NNC_UNARY_OP(Name, Printed, Flags)
#define NNC_BINARY_OP(Name, Printed, Flags)
#define NNC_TERNARY_OP(Name, Printed, Flags)
#include "ir/Ops.def"
    break; // not elementwise: fold() decides these itself
  }
  throw std::logic_error(std::string("no constant folding for op '") + opName(op) + "'");
}

double element(const Node &c, int64_t i) { return c.data.size() == 1 ? c.data[0] : c.data[i]; }

/// The folded data of `n`, or false when it is not folded.
bool fold(const Node &n, std::vector<double> &out) {
  if (n.type.batched || n.operands.empty() || n.op == OpKind::Constant)
    return false;
  for (const Node *o : n.operands)
    if (o->op != OpKind::Constant || o->type.batched)
      return false;
  const Node &a = *n.operands[0];
  bool splat = a.data.size() == 1;
  for (const Node *o : n.operands)
    splat = splat && o->data.size() == 1;
  int64_t count = splat ? 1 : n.type.elementsPerSample();
  if (count > kMaxFoldedElements)
    return false;
  DType t = n.type.dtype;
  if (isElementwise(n.op) && hasFlag(n.op, kFoldable)) {
    out.resize(count);
    for (int64_t i = 0; i < count; ++i)
      out[i] = roundTo(t, evaluate(n.op, element(a, i),
                                   n.operands.size() > 1 ? element(*n.operands[1], i) : 0.0));
    return true;
  }
  switch (n.op) {
  case OpKind::Cast:
    out = a.data;
    for (double &v : out)
      v = roundTo(t, v);
    return true;
  case OpKind::Reshape:
    out = a.data;
    return true;
  case OpKind::BroadcastTo: // a splat stays a splat; others need indexing
    if (!splat)
      return false;
    out = a.data;
    return true;
  // Left to run time: the rest of the shape ops need indexing, and the
  // others would store their (possibly large) results in the object.
  case OpKind::SumTo: case OpKind::MaxTo: case OpKind::Transpose: case OpKind::Slice:
  case OpKind::Pad: case OpKind::OneHot: case OpKind::Im2Col: case OpKind::Col2Im:
  case OpKind::MaxPool: case OpKind::MaxPoolGrad:
  case OpKind::Gather: case OpKind::ScatterAdd: case OpKind::ArgMax: case OpKind::ArgMin:
  case OpKind::MatMul: case OpKind::BatchMatMul:
  case OpKind::SoftmaxCrossEntropy: case OpKind::SoftmaxCrossEntropyGrad:
  case OpKind::Softmax: case OpKind::SoftmaxGrad:
  case OpKind::DropoutMask: case OpKind::RandomNormal: case OpKind::RandomUniform:
  case OpKind::Scan: case OpKind::ScanResult:
    return false;
  // Leaves have no operands (returned above).
  case OpKind::Input: case OpKind::Param: case OpKind::Constant: case OpKind::BatchSize:
    return false;
#define NNC_OP(Name, Printed, Operands, Kind, Flags)
#define NNC_UNARY_OP(Name, Printed, Flags) case OpKind::Name:
#define NNC_BINARY_OP(Name, Printed, Flags) case OpKind::Name:
#define NNC_TERNARY_OP(Name, Printed, Flags) case OpKind::Name:
#include "ir/Ops.def"
    return false; // elementwise without kFoldable
  }
  return false;
}

} // namespace

int foldConstants(Program &p) {
  int folded = 0;
  for (auto &node : p.graph.nodes()) {
    std::vector<double> data;
    if (!fold(*node, data))
      continue;
    node->op = OpKind::Constant;
    node->operands.clear();
    node->data = std::move(data);
    ++folded;
  }
  return folded;
}

} // namespace nnc
