//===- Autodiff.cpp -------------------------------------------------------===//
#include "autodiff/Autodiff.h"
#include "autodiff/ConvInputGradient.h"
#include "ir/Scan.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace nnc {
namespace {

/// The gradient rule table: the adjoint contribution of y = op(...) to its
/// operand `i`, given y's adjoint g (nullptr: none). One case per op of
/// Ops.def, no default: an op added without a rule does not compile.
Node *gradientRule(Graph &G, Node *y, Node *g, size_t i) {
  Node *a = y->operands.empty() ? nullptr : y->operands[0];
  Node *b = y->operands.size() > 1 ? y->operands[1] : nullptr;
  auto mul = [&](Node *p, Node *q) { return G.binary(OpKind::Mul, p, q); };
  auto div = [&](Node *p, Node *q) { return G.binary(OpKind::Div, p, q); };
  auto sub = [&](Node *p, Node *q) { return G.binary(OpKind::Sub, p, q); };
  auto neg = [&](Node *p) { return G.unary(OpKind::Neg, p); };
  auto one = [&]() { return G.fill(1.0, y->type); };
  switch (y->op) {
  case OpKind::Neg:     return neg(g);
  case OpKind::Exp:     return mul(g, y);
  case OpKind::Log:     return div(g, a);
  case OpKind::Log1p:   return div(g, G.binary(OpKind::Add, one(), a));
  case OpKind::Sigmoid: return mul(g, mul(y, sub(one(), y)));
  case OpKind::Tanh:    return mul(g, sub(one(), mul(y, y)));
  case OpKind::Relu:
    // relu then max pooling, the pooling's gradient the relu's only
    // adjoint: the mask is applied to the pooled gradient, a quarter of
    // the elements for a 2x2 pool, since the tap pooling picks has the
    // window's largest relu value, > 0 exactly when the pooled one is (ties
    // and NaN alike). Only the sign of zeros can change (+0 for -0).
    if (g->op == OpKind::MaxPoolGrad && g->operands[0] == y) {
      Node *pooledMask = G.unary(OpKind::Step, G.maxPool(y, g->window));
      return G.maxPoolGrad(y, mul(g->operands[1], pooledMask), g->window);
    }
    return mul(g, G.unary(OpKind::Step, a));
  case OpKind::Sqrt:    return div(g, mul(G.fill(2.0, y->type), y));
  case OpKind::Sin:     return mul(g, G.unary(OpKind::Cos, a));
  case OpKind::Cos:     return neg(mul(g, G.unary(OpKind::Sin, a)));
  case OpKind::Abs:     return mul(g, G.unary(OpKind::Sign, a));
  case OpKind::Softsign: { // 1 / (1 + |a|)^2
    Node *t = G.binary(OpKind::Add, one(), G.unary(OpKind::Abs, a));
    return div(g, mul(t, t));
  }
  case OpKind::Selu: {
    // PyTorch's elu_backward: scale where a > 0, else scale * alpha * exp(a)
    // (so scale * alpha at 0); exp(min(a, 0)) keeps large a from overflowing.
    Node *pos = G.unary(OpKind::Step, a);
    Node *expNeg = G.unary(OpKind::Exp, neg(G.unary(OpKind::Relu, neg(a))));
    Node *slope = G.binary(OpKind::Add, mul(pos, G.fill(kSeluScale, y->type)),
                           mul(sub(one(), pos), mul(G.fill(kSeluScale * kSeluAlpha, y->type), expNeg)));
    return mul(g, slope);
  }
  case OpKind::Erf:     // 2/sqrt(pi) * exp(-a^2)
    return mul(g, mul(G.fill(1.1283791670955126, y->type),
                      G.unary(OpKind::Exp, neg(mul(a, a)))));
  // PyTorch's derivatives (tools/autograd/derivatives.yaml), its rsqrt as 1 / sqrt.
  case OpKind::Tan:     return mul(g, G.binary(OpKind::Add, one(), mul(y, y))); // 1 + tan^2
  case OpKind::Asin:    return div(g, G.unary(OpKind::Sqrt, sub(one(), mul(a, a))));
  case OpKind::Acos:    return neg(div(g, G.unary(OpKind::Sqrt, sub(one(), mul(a, a)))));
  case OpKind::Atan:    return div(g, G.binary(OpKind::Add, mul(a, a), one()));
  case OpKind::Sinh:    return mul(g, G.unary(OpKind::Cosh, a));
  case OpKind::Cosh:    return mul(g, G.unary(OpKind::Sinh, a));
  case OpKind::Asinh:   return div(g, G.unary(OpKind::Sqrt, G.binary(OpKind::Add, mul(a, a), one())));
  case OpKind::Acosh:   return div(g, G.unary(OpKind::Sqrt, sub(mul(a, a), one())));
  case OpKind::Atanh:   return div(g, sub(one(), mul(a, a)));
  case OpKind::Add:     return g;
  case OpKind::Sub:     return i == 0 ? g : neg(g);
  case OpKind::Mul:     return mul(g, i == 0 ? b : a);
  case OpKind::Div:     return i == 0 ? div(g, b) : neg(div(mul(g, y), b));
  case OpKind::Pow:
    // d(a^b)/da = b * a^(b-1); d(a^b)/db = a^b * log(a).
    if (i == 0)
      return mul(g, mul(b, G.binary(OpKind::Pow, a, sub(b, G.fill(1.0, y->type)))));
    return mul(g, mul(y, G.unary(OpKind::Log, a)));
  case OpKind::Maximum:
  case OpKind::Minimum: {
    // PyTorch: the larger (smaller) operand takes g, a tie gives each g / 2.
    Node *wins = G.binary(y->op == OpKind::Maximum ? OpKind::Greater : OpKind::Less,
                          i == 0 ? a : b, i == 0 ? b : a);
    Node *tie = G.binary(OpKind::Equal, a, b);
    Node *zero = G.fill(0.0, y->type);
    return G.select(wins, g, G.select(tie, mul(g, G.fill(0.5, y->type)), zero));
  }
  case OpKind::Select: { // the gradient goes to the operand selected
    if (i == 0)
      return nullptr;
    Node *zero = G.fill(0.0, y->type);
    return i == 1 ? G.select(a, g, zero) : G.select(a, zero, g);
  }
  case OpKind::BroadcastTo: return G.sumTo(g, a->type);
  case OpKind::SumTo:       return G.broadcastTo(g, a->type);
  case OpKind::Reshape:     return G.reshape(g, a->type.dims);
  case OpKind::MatMul: {
    // C = op(A) op(B):  d op(A) = G op(B)^T,  d op(B) = op(A)^T G.
    bool tA = y->transA, tB = y->transB;
    if (i == 0)
      return tA ? G.matmul(b, g, tB, true) : G.matmul(g, b, false, !tB);
    return tB ? G.matmul(g, a, true, tA) : G.matmul(a, g, !tA, false);
  }
  case OpKind::BatchMatMul: {
    // The same rules per matrix of the stack; an operand shared by every
    // sample (unbatched) sums its gradient over the batch.
    bool tA = y->transA, tB = y->transB;
    Node *d;
    if (i == 0)
      d = tA ? G.batchMatMul(b, g, tB, true) : G.batchMatMul(g, b, false, !tB);
    else
      d = tB ? G.batchMatMul(g, a, true, tA) : G.batchMatMul(a, g, !tA, false);
    Node *operand = i == 0 ? a : b;
    return d->type == operand->type ? d : G.sumTo(d, operand->type);
  }
  case OpKind::ModeSelect:  return i == 0 ? g : nullptr; // training takes operand 0
  case OpKind::Softmax:     return G.softmaxRowsGrad(y, g);
  case OpKind::SoftmaxCrossEntropy: // labels: none
    return i == 0 ? G.softmaxCrossEntropyGrad(a, b, g) : nullptr;
  case OpKind::MaxTo: {
    // Ties share the gradient evenly (TensorFlow's reduce_max rule).
    Node *hit = G.binary(OpKind::Equal, a, G.broadcastTo(y, a->type));
    Node *share = div(g, G.sumTo(hit, y->type));
    return mul(G.broadcastTo(share, a->type), hit);
  }
  case OpKind::Transpose: {
    std::vector<int64_t> inverse(y->ints.size());
    for (size_t k = 0; k < y->ints.size(); ++k)
      inverse[y->ints[k]] = static_cast<int64_t>(k);
    return G.transpose(g, inverse);
  }
  case OpKind::Slice:  return G.pad(g, y->ints, a->type.dims);
  case OpKind::Pad:    return G.slice(g, y->ints, a->type.dims);
  case OpKind::Im2Col:
    if (Node *d = convInputGradient(G, y, g))
      return d;
    return G.col2im(g, y->window, a->type);
  case OpKind::Col2Im: return G.im2col(g, y->window, 0.0);
  case OpKind::MaxPool: return G.maxPoolGrad(a, g, y->window);
  case OpKind::Cast:   return G.cast(g, a->type.dtype);
  // Indices (operand 1) get none; the gathered tensor a scatter-add.
  case OpKind::Gather:
    return i == 0 ? G.scatterAdd(g, b, y->ints[0], a->type) : nullptr;
  case OpKind::ScatterAdd:
    return i == 0 ? G.fitTo(G.gather(g, b, y->ints[0]), a->type) : nullptr;
  // Piecewise constant, or not differentiable (kNoGradient in Ops.def):
  // differentiate() never asks these.
  case OpKind::Step:
  case OpKind::Sign:
  case OpKind::Floor:
  case OpKind::Equal:
  case OpKind::NotEqual:
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
  case OpKind::StopGradient:
  case OpKind::DropoutMask:
  case OpKind::RandomNormal:
  case OpKind::RandomUniform:
  case OpKind::OneHot:
  case OpKind::ArgMax:
  case OpKind::ArgMin:
  // Leaves have no operands.
  case OpKind::Input:
  case OpKind::Param:
  case OpKind::Constant:
  case OpKind::BatchSize:
  // Scans: differentiate() differentiates the whole loop (scanGradient).
  case OpKind::Scan:
  case OpKind::ScanResult:
  // No second derivatives of the loss: an error if ever asked.
  case OpKind::SoftmaxCrossEntropyGrad:
  case OpKind::SoftmaxGrad:
  case OpKind::MaxPoolGrad:
    break;
  }
  throw std::logic_error(std::string("no gradient rule for op '") + opName(y->op) + "'");
}

} // namespace

std::map<const Node *, Node *> differentiate(Graph &graph, Node *loss,
                                             const std::vector<Node *> &wrt) {
  return differentiateFrom(graph, {{loss, nullptr}}, wrt);
}

/// A null seed adjoint stands for ones (the loss's).
std::map<const Node *, Node *> differentiateFrom(Graph &graph,
                                                 const std::vector<std::pair<Node *, Node *>> &seeds,
                                                 const std::vector<Node *> &wrt) {
  // Forward sweep: which nodes depend on something we differentiate for.
  std::vector<bool> needs(graph.idBound(), false);
  for (Node *n : wrt)
    needs[n->id] = true;
  std::map<const Node *, std::vector<Node *>> resultsOf; // scan -> its scan_result nodes
  for (auto &n : graph.nodes()) {
    for (Node *o : n->operands)
      if (needs[o->id])
        needs[n->id] = true;
    if (n->op == OpKind::ScanResult)
      resultsOf[n->operands[0]].push_back(n.get());
  }

  std::map<const Node *, Node *> adjoint;
  auto accumulate = [&](Node *x, Node *contribution) {
    assert(contribution->type == x->type && "gradient rule changed the type");
    auto existing = adjoint.find(x);
    adjoint[x] = existing == adjoint.end()
                     ? contribution
                     : graph.binary(OpKind::Add, existing->second, contribution);
  };
  int top = -1;
  for (auto &seed : seeds) {
    if (!needs[seed.first->id])
      continue;
    accumulate(seed.first, seed.second ? seed.second : graph.fill(1.0, seed.first->type));
    top = std::max(top, seed.first->id);
  }

  // Backward sweep in reverse topological order. New nodes get larger ids,
  // so walking ids down from the seeds visits only the original graph.
  for (int id = top; id >= 0; --id) {
    Node *y = graph.nodes()[id].get();
    if (!needs[id] || y->op == OpKind::ScanResult)
      continue; // a scan's results are differentiated with the scan
    if (y->op == OpKind::Scan) {
      std::vector<Node *> dResults(y->scan->resultCount(), nullptr);
      bool any = false;
      for (Node *r : resultsOf[y]) {
        auto found = adjoint.find(r);
        if (found == adjoint.end())
          continue;
        Node *&d = dResults[r->ints[0]];
        d = d ? graph.binary(OpKind::Add, d, found->second) : found->second;
        any = true;
      }
      if (!any)
        continue;
      std::vector<bool> operandNeeds;
      for (Node *x : y->operands)
        operandNeeds.push_back(needs[x->id]);
      std::vector<Node *> d = scanGradient(graph, y, dResults, operandNeeds);
      for (size_t i = 0; i < d.size(); ++i)
        if (d[i])
          accumulate(y->operands[i], d[i]);
      continue;
    }
    auto found = adjoint.find(y);
    if (found == adjoint.end())
      continue;
    if (hasFlag(y->op, kNoGradient))
      continue;
    Node *g = found->second;
    for (size_t i = 0; i < y->operands.size(); ++i) {
      Node *x = y->operands[i];
      if (!needs[x->id])
        continue;
      if (Node *contribution = gradientRule(graph, y, g, i))
        accumulate(x, contribution);
    }
  }
  return adjoint;
}

} // namespace nnc
