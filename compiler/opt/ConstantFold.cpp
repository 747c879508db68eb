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

namespace nnc {
namespace {

/// Larger results stay computed at run time rather than stored in the object.
constexpr int64_t kMaxFoldedElements = 1 << 16;

double roundTo(DType t, double v) {
  return t == DType::F32 ? static_cast<double>(static_cast<float>(v)) : v;
}

bool foldableElementwise(OpKind op) {
  switch (op) {
  case OpKind::Neg: case OpKind::Abs: case OpKind::Floor: case OpKind::Relu:
  case OpKind::Step: case OpKind::Sign: case OpKind::Sqrt: case OpKind::StopGradient:
  case OpKind::Add: case OpKind::Sub: case OpKind::Mul: case OpKind::Div:
  case OpKind::Equal:
    return true;
  default:
    return false;
  }
}

double evaluate(OpKind op, double a, double b) {
  switch (op) {
  case OpKind::Neg: return -a;
  case OpKind::Abs: return std::fabs(a);
  case OpKind::Floor: return std::floor(a);
  case OpKind::Relu: return a > 0 ? a : 0.0;
  case OpKind::Step: return a > 0 ? 1.0 : 0.0;
  case OpKind::Sign: return a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0;
  case OpKind::Sqrt: return std::sqrt(a);
  case OpKind::StopGradient: return a;
  case OpKind::Add: return a + b;
  case OpKind::Sub: return a - b;
  case OpKind::Mul: return a * b;
  case OpKind::Div: return a / b;
  case OpKind::Equal: return a == b ? 1.0 : 0.0;
  default: return a; // not reached: foldableElementwise guards
  }
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
  if (foldableElementwise(n.op)) {
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
  default:
    return false;
  }
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
