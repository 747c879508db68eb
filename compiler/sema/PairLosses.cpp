//===- PairLosses.cpp - sema: cosine similarity and the margin losses -----===//
//
// Losses over pairs of inputs and a +-1 label, PyTorch 1.13's formulas from
// primitive ops: cosine_embedding_loss, margin_ranking_loss,
// hinge_embedding_loss, and the cosine_similarity they build on. Their
// clamps are PyTorch's clamp_min, whose gradient passes at the bound
// itself: `select(v < 0, 0, v)`, not relu (which stops it there).
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

namespace nnc {

static const std::set<std::string> kPairLosses = {"cosine_similarity", "cosine_embedding_loss",
                                                  "margin_ranking_loss", "hinge_embedding_loss"};

bool Lowering::isPairLoss(const std::string &name) const { return kPairLosses.count(name) != 0; }

/// v where v >= 0, else 0, the gradient passing at 0 (PyTorch's clamp_min).
Node *Lowering::clampMinZero(Node *v) {
  Graph &g = graph();
  return g.select(g.binary(OpKind::Less, v, scalarOf(0, v->type)), scalarOf(0, v->type), v);
}

/// Two float operands of one type (`what` names them in errors).
std::pair<Node *, Node *> Lowering::samePair(const CallArgs &a, const char *first,
                                             const char *second, const std::string &fn) {
  Node *x = tensorArg(a, first), *y = tensorArg(a, second);
  for (Node *n : {x, y})
    if (n->type.dtype == DType::I32)
      diag_.fatal(a.loc(n == x ? first : second), "'" + fn + "' needs numbers, not class labels");
  if (x->type.dims != y->type.dims || x->type.dtype != y->type.dtype)
    diag_.fatal(a.loc(second), "'" + fn + "': '" + second + "' " + y->type.str() +
                                   " is not like '" + first + "' " + x->type.str());
  TensorType t;
  broadcastTypes(x->type, y->type, t);
  return {graph().fitTo(x, t), graph().fitTo(y, t)};
}

Value Lowering::pairLoss(const Expr &e) {
  Graph &g = graph();
  const std::string &fn = e.name;
  auto sumLast = [&](Node *v) { return reduce(OpKind::SumTo, v, {int64_t(v->type.dims.size()) - 1}, false); };
  if (fn == "cosine_similarity") {
    // x1/|x1| . x2/|x2| over `axis`, each squared norm at least eps^2.
    CallArgs a = bind(e, {"x1", "x2", "axis", "eps"}, 2);
    auto [x1, x2] = samePair(a, "x1", "x2", fn);
    int64_t axis = vectorAxis(a, x1, e);
    double eps = a.get("eps") ? scalarLiteral(*a.get("eps"), "eps") : 1e-8;
    auto normalized = [&](Node *x) {
      Node *squared = reduce(OpKind::SumTo, g.binary(OpKind::Mul, x, x), {axis}, true);
      Node *floor = scalarOf(eps * eps, squared->type);
      squared = g.select(g.binary(OpKind::Less, squared, floor), floor, squared);
      return g.binary(OpKind::Div, x, g.broadcastTo(g.unary(OpKind::Sqrt, squared), x->type));
    };
    Node *product = g.binary(OpKind::Mul, normalized(x1), normalized(x2));
    return Value{reduce(OpKind::SumTo, product, {axis}, false), {}};
  }
  if (fn == "cosine_embedding_loss") {
    // y = 1: 1 - cos; y = -1: clamp_min(cos - margin, 0); cos with 1e-12
    // added to each squared norm, as PyTorch's loss (not cosine_similarity).
    CallArgs a = bind(e, {"x1", "x2", "y", "margin", "reduce"}, 3);
    auto [x1, x2] = samePair(a, "x1", "x2", fn);
    if (x1->type.dims.size() != 1)
      diag_.fatal(a.loc("x1"), "'" + fn + "' needs a vector per sample, got " + x1->type.shapeStr());
    Node *y = tensorArg(a, "y");
    if (!y->type.dims.empty() || y->type.dtype != x1->type.dtype)
      diag_.fatal(a.loc("y"), "'" + fn + "' needs one label (1 or -1) per sample of " +
                                  std::string(dtypeName(x1->type.dtype)) + ", got " + y->type.str());
    double margin = a.get("margin") ? scalarLiteral(*a.get("margin"), "margin") : 0.0;
    Node *dot = sumLast(g.binary(OpKind::Mul, x1, x2));
    TensorType st = dot->type;
    Node *m1 = g.binary(OpKind::Add, sumLast(g.binary(OpKind::Mul, x1, x1)), scalarOf(1e-12, st));
    Node *m2 = g.binary(OpKind::Add, sumLast(g.binary(OpKind::Mul, x2, x2)), scalarOf(1e-12, st));
    Node *cos = g.binary(OpKind::Div, dot, g.unary(OpKind::Sqrt, g.binary(OpKind::Mul, m1, m2)));
    y = g.fitTo(y, st);
    Node *zero = scalarOf(0, st);
    Node *similar = g.select(g.binary(OpKind::Equal, y, scalarOf(1, st)),
                             g.binary(OpKind::Sub, scalarOf(1, st), cos), zero);
    Node *apart = g.select(g.binary(OpKind::Equal, y, scalarOf(-1, st)),
                           clampMinZero(g.binary(OpKind::Sub, cos, scalarOf(margin, st))), zero);
    return perSampleLoss(g.binary(OpKind::Add, similar, apart), a);
  }
  if (fn == "margin_ranking_loss") { // clamp_min(-y (x1 - x2) + margin, 0)
    CallArgs a = bind(e, {"x1", "x2", "y", "margin", "reduce"}, 3);
    auto [x1, x2] = samePair(a, "x1", "x2", fn);
    Node *y = tensorArg(a, "y");
    TensorType t;
    if (y->type.dtype != x1->type.dtype || !broadcastTypes(x1->type, y->type, t) ||
        t.dims != x1->type.dims)
      diag_.fatal(a.loc("y"), "'" + fn + "': the labels " + y->type.str() +
                                  " do not broadcast to the inputs' " + x1->type.str());
    double margin = a.get("margin") ? scalarLiteral(*a.get("margin"), "margin") : 0.0;
    t = x1->type;
    t.batched = x1->type.batched || y->type.batched;
    Node *d = g.binary(OpKind::Sub, g.fitTo(x1, t), g.fitTo(x2, t));
    Node *v = g.binary(OpKind::Add, g.unary(OpKind::Neg, g.binary(OpKind::Mul, g.fitTo(y, t), d)),
                       scalarOf(margin, t));
    return perSampleLoss(clampMinZero(v), a);
  }
  // hinge_embedding_loss: x where y = 1, clamp_min(margin - x, 0) where y = -1
  // (PyTorch: y != 1 takes the margin term, y != -1 the input itself).
  CallArgs a = bind(e, {"x", "y", "margin", "reduce"}, 2);
  auto [x, y] = samePair(a, "x", "y", fn);
  double margin = a.get("margin") ? scalarLiteral(*a.get("margin"), "margin") : 1.0;
  TensorType t = x->type;
  Node *zero = scalarOf(0, t);
  Node *marginTerm = g.select(g.binary(OpKind::NotEqual, y, scalarOf(1, t)),
                              clampMinZero(g.binary(OpKind::Sub, scalarOf(margin, t), x)), zero);
  Node *selfTerm = g.select(g.binary(OpKind::NotEqual, y, scalarOf(-1, t)), x, zero);
  return perSampleLoss(g.binary(OpKind::Add, marginTerm, selfTerm), a);
}

} // namespace nnc
