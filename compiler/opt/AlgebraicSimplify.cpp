//===- AlgebraicSimplify.cpp - identities that remove or merge nodes ------===//
//
// Each rule either answers "n is just x" (users then read x, which precedes
// n) or rewrites n where it stands. x + 0 -> x may turn a -0 into +0's
// neighbour: like XLA's simplifier we accept that signed-zero difference.
//
//===----------------------------------------------------------------------===//
#include "opt/Passes.h"

namespace nnc {
namespace {

/// The value of a splat constant, directly or broadcast.
bool splatValue(const Node *n, double &v) {
  if (n->op == OpKind::BroadcastTo)
    n = n->operands[0];
  if (!n->isSplatConstant())
    return false;
  v = n->data[0];
  return true;
}

bool isSplat(const Node *n, double value) {
  double v;
  return splatValue(n, v) && v == value;
}

bool isIdentityPerm(const std::vector<int64_t> &perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i))
      return false;
  return true;
}

bool isUnbatchedScalar(const Node *n) { return n->type.dims.empty() && !n->type.batched; }

/// A transpose of an unbatched 2-D matrix: a matmul can read it transposed.
bool isMatrixTranspose(const Node *n) {
  return n->op == OpKind::Transpose && !n->type.batched && n->type.dims.size() == 2 &&
         !n->operands[0]->type.batched;
}

/// A transpose that swaps the last two axes of a stack of matrices and
/// keeps the others (the batch's sharing included).
bool isStackTranspose(const Node *n) {
  if (n->op != OpKind::Transpose || n->ints.size() < 2 ||
      n->type.batched != n->operands[0]->type.batched)
    return false;
  size_t r = n->ints.size();
  for (size_t i = 0; i + 2 < r; ++i)
    if (n->ints[i] != int64_t(i))
      return false;
  return n->ints[r - 2] == int64_t(r - 1) && n->ints[r - 1] == int64_t(r - 2);
}

/// What `n` equals when that is an existing node, else null. May rewrite n
/// in place (then `changed` is set). `reluOf` maps x to an earlier relu(x).
Node *simplify(Node &n, bool &changed, const std::map<const Node *, Node *> &reluOf) {
  auto operand = [&](size_t i) { return n.operands[i]; };
  switch (n.op) {
  case OpKind::Add:
    if (isSplat(operand(1), 0)) return operand(0);
    if (isSplat(operand(0), 0)) return operand(1);
    return nullptr;
  case OpKind::Sub:
    return isSplat(operand(1), 0) ? operand(0) : nullptr;
  case OpKind::Mul:
    if (isSplat(operand(1), 1)) return operand(0);
    if (isSplat(operand(0), 1)) return operand(1);
    return nullptr;
  case OpKind::Div:
    return isSplat(operand(1), 1) ? operand(0) : nullptr;
  case OpKind::Neg:
    return operand(0)->op == OpKind::Neg ? operand(0)->operands[0] : nullptr;
  case OpKind::StopGradient: // autodiff has run: now only an identity
    return operand(0);
  case OpKind::Step: {
    // step(x) = step(relu(x)) (x > 0 exactly when relu(x) > 0; NaN gives 0
    // both ways). ReLU's derivative then reads the activation, so the
    // pre-activation x needs no buffer: x + bias and the relu become one
    // store in the matmul's epilogue.
    auto relu = reluOf.find(operand(0));
    if (relu == reluOf.end() || relu->second->type != n.type)
      return nullptr;
    n.operands[0] = relu->second;
    changed = true;
    return nullptr;
  }
  case OpKind::BroadcastTo:
    if (operand(0)->type == n.type)
      return operand(0);
    if (operand(0)->op == OpKind::BroadcastTo) { // broadcasts compose
      n.operands[0] = operand(0)->operands[0];
      changed = true;
      return operand(0)->type == n.type ? operand(0) : nullptr;
    }
    return nullptr;
  case OpKind::SumTo:
  case OpKind::MaxTo:
  case OpKind::Cast:
    return operand(0)->type == n.type ? operand(0) : nullptr;
  case OpKind::Reshape:
    if (operand(0)->type == n.type)
      return operand(0);
    if (operand(0)->op == OpKind::BroadcastTo && isUnbatchedScalar(operand(0)->operands[0])) {
      n.op = OpKind::BroadcastTo; // a reshaped broadcast scalar is a broadcast scalar
      n.operands[0] = operand(0)->operands[0];
      changed = true;
      return nullptr;
    }
    if (operand(0)->op == OpKind::Reshape) { // reshape(reshape(x)) = reshape(x)
      n.operands[0] = operand(0)->operands[0];
      changed = true;
      return operand(0)->type == n.type ? operand(0) : nullptr;
    }
    return nullptr;
  case OpKind::Transpose:
    if (isIdentityPerm(n.ints))
      return operand(0);
    if (operand(0)->op == OpKind::Transpose) { // out i = mid perm2[i] = x perm1[perm2[i]]
      const Node &inner = *operand(0);
      std::vector<int64_t> composed(n.ints.size());
      for (size_t i = 0; i < composed.size(); ++i)
        composed[i] = inner.ints[n.ints[i]];
      n.operands[0] = inner.operands[0];
      n.ints = composed;
      changed = true;
      return isIdentityPerm(composed) ? operand(0) : nullptr;
    }
    return nullptr;
  case OpKind::MatMul:
    if (isMatrixTranspose(operand(0))) {
      n.operands[0] = operand(0)->operands[0];
      n.transA = !n.transA;
      changed = true;
    }
    if (isMatrixTranspose(operand(1))) {
      n.operands[1] = operand(1)->operands[0];
      n.transB = !n.transB;
      changed = true;
    }
    return nullptr;
  case OpKind::BatchMatMul:
    for (size_t i = 0; i < 2; ++i) {
      if (!isStackTranspose(operand(i)))
        continue;
      n.operands[i] = operand(i)->operands[0];
      bool &flag = i == 0 ? n.transA : n.transB;
      flag = !flag;
      changed = true;
    }
    return nullptr;
  default: // a rule-matching pass: an op without an identity is left alone
    return nullptr;
  }
}

} // namespace

int simplifyAlgebra(Program &p) {
  std::map<const Node *, Node *> with, reluOf;
  int count = 0;
  for (auto &node : p.graph.nodes()) {
    for (Node *&o : node->operands) // earlier replacements first
      for (auto it = with.find(o); it != with.end(); it = with.find(o))
        o = it->second;
    bool changed = false;
    if (Node *same = simplify(*node, changed, reluOf)) {
      with[node.get()] = same;
      ++count;
    } else if (changed) {
      ++count;
    }
    if (node->op == OpKind::Relu && !with.count(node.get()))
      reluOf.emplace(node->operands[0], node.get());
  }
  replaceAllUses(p, with);
  return count;
}

} // namespace nnc
