//===- Attention.cpp - sema: layer norm and attention ---------------------===//
//
// The transformer's pieces as primitive ops, with PyTorch's definitions:
// layer_norm (nn.LayerNorm), masked_fill (Tensor.masked_fill),
// scaled_dot_product_attention (F.scaled_dot_product_attention's math) and
// multi_head_attention (nn.MultiheadAttention, batch_first, its parameter
// names and initialisation). Products of two per-sample stacks are
// BatchMatMul nodes, so q @ k^T and p @ v run through the GEMM.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

#include <cmath>
#include <limits>

namespace nnc {

/// A mask argument: a tensor or a constant (given the dtype `dt`).
static Node *maskArg(Lowering &l, const CallArgs &a, const char *key, DType dt) {
  const Expr *e = a.get(key);
  if (!e)
    return nullptr;
  Node *mask = l.materialize(l.expr(*e), dt);
  if (mask->type.dtype == DType::I32)
    l.diag_.fatal(e->loc, std::string("the '") + key + "' of '" + a.call->name +
                              "' must be numbers (0/1 or additive), not class labels");
  return mask;
}

/// `shape:` of layer_norm and rms_norm: trailing dims of x (default the
/// last axis), the dims normalised over.
std::vector<int64_t> Lowering::trailingShape(const CallArgs &a, Node *x, const std::string &fn) {
  const std::vector<int64_t> &dims = x->type.dims;
  if (dims.empty() || x->type.dtype == DType::I32)
    operandError(*a.get("x"), "'" + fn + "' needs a float tensor of rank 1 or more, got " +
                                  x->type.str());
  std::vector<int64_t> shape = {dims.back()};
  if (const Expr *s = a.get("shape")) {
    shape = intList(*s, "shape", 1, kMaxElements);
    if (shape.size() > dims.size() || !std::equal(shape.begin(), shape.end(), dims.end() - shape.size()))
      diag_.fatal(s->loc, "'" + fn + "' shape " + dimsStr(shape) + " is not the trailing dims of " +
                              x->type.shapeStr());
  }
  return shape;
}

/// nn.LayerNorm over the trailing dims `shape` (default: the last axis):
/// (x - mean) / sqrt(var + eps) with the biased variance, then
/// elementwise weight (ones) and bias (zeros) of that shape when affine.
Node *Lowering::layerNorm(const Expr &e) {
  CallArgs a = bind(e, {"x", "shape", "eps", "affine", "name", "trainable"}, 1);
  Node *x = tensorArg(a, "x");
  std::vector<int64_t> shape = trailingShape(a, x, "layer_norm");
  const std::vector<int64_t> &dims = x->type.dims;
  double eps = a.get("eps") ? scalarLiteral(*a.get("eps"), "eps") : 1e-5;
  if (!(eps > 0))
    diag_.fatal(a.get("eps")->loc, "layer_norm 'eps' must be positive");
  bool affine = !a.get("affine") || scalarLiteral(*a.get("affine"), "affine") != 0;
  std::vector<int64_t> axes;
  for (size_t i = dims.size() - shape.size(); i < dims.size(); ++i)
    axes.push_back(int64_t(i));
  Node *y = normalized(x, axes, eps);
  return affine ? withAffine(a, "layer_norm", y, shape) : y;
}

/// (x - mean) / sqrt(var + eps) over `axes`, the variance biased: the
/// normalisation of layer_norm and group_norm.
Node *Lowering::normalized(Node *x, const std::vector<int64_t> &axes, double eps) {
  Graph &g = graph();
  Node *mu = g.broadcastTo(mean(x, axes, true), x->type);
  Node *centered = g.binary(OpKind::Sub, x, mu);
  Node *var = mean(g.binary(OpKind::Mul, centered, centered), axes, true);
  Node *denom = g.unary(OpKind::Sqrt, g.binary(OpKind::Add, var, scalarOf(eps, var->type)));
  return g.binary(OpKind::Div, centered, g.broadcastTo(denom, x->type));
}

/// y * NAME.weight + NAME.bias, parameters of shape `shape` (the trailing
/// dims of y) starting at ones and zeros, as nn.LayerNorm's and nn.GroupNorm's.
Node *Lowering::withAffine(const CallArgs &a, const std::string &layer, Node *y,
                           const std::vector<int64_t> &shape) {
  Graph &g = graph();
  std::string name = layerName(a, layer);
  bool trainable = trainableArg(a);
  TensorType pt{y->type.dtype, shape, false};
  InitSpec ones;
  ones.kind = InitSpec::Kind::Constant;
  ones.a = 1;
  Node *w = createParam(name + ".weight", pt, ones, trainable, a.call->loc);
  Node *b = createParam(name + ".bias", pt, InitSpec{}, trainable, a.call->loc);
  return g.binary(OpKind::Add, g.binary(OpKind::Mul, y, g.broadcastTo(w, y->type)),
                  g.broadcastTo(b, y->type));
}

/// Tensor.masked_fill: `value` where the condition is non-zero, else x.
Node *Lowering::maskedFill(const Expr &e) {
  Graph &g = graph();
  CallArgs a = bind(e, {"x", "mask", "value"}, 3);
  Node *x = tensorArg(a, "x");
  Node *mask = maskArg(*this, a, "mask", x->type.dtype);
  TensorType t;
  if (!broadcastTypes(x->type, mask->type, t) || t.dims != x->type.dims ||
      t.batched != x->type.batched)
    diag_.fatal(a.loc("mask"), "the mask " + mask->type.shapeStr() +
                                   " does not broadcast to x's shape " + x->type.shapeStr());
  double value = scalarLiteral(*a.get("value"), "value");
  Node *cond = mask->type.dtype == x->type.dtype ? mask : g.cast(mask, x->type.dtype);
  return g.select(g.fitTo(cond, t), scalarOf(value, t), x);
}

/// softmax(q k^T * scale + mask) v over the last two axes of stacks
/// [..., L, E], [..., S, E], [..., S, Ev]. `causal` hides key j > query i
/// (a shared [L, S] constant, not a per-sample one); `mask` is added (0 or
/// -inf for a hidden pair, as a float attn_mask); dropout on the weights.
Node *Lowering::attention(Node *q, Node *k, Node *v, Node *mask, bool causal, double dropout,
                          double scale, SourceLoc loc) {
  Graph &g = graph();
  Node *scores = stackedMatmul(q, k, loc, /*transB=*/true); // q k^T: k read transposed
  scores = g.binary(OpKind::Mul, scores, scalarOf(scale, scores->type));
  int64_t L = scores->type.dims.end()[-2], S = scores->type.dims.back();
  if (causal) {
    std::vector<double> keep(L * S);
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = 0; j < S; ++j)
        keep[i * S + j] = j <= i ? 1.0 : 0.0;
    Node *cond = g.broadcastTo(g.constant(scores->type.dtype, {L, S}, keep), scores->type);
    scores = g.select(cond, scores, scalarOf(-std::numeric_limits<double>::infinity(), scores->type));
  }
  if (mask) {
    TensorType t;
    if (!broadcastTypes(scores->type, mask->type, t) || t.dims != scores->type.dims ||
        t.batched != scores->type.batched)
      diag_.fatal(loc, "the attention mask " + mask->type.shapeStr() +
                           " does not broadcast to the scores " + scores->type.shapeStr());
    scores = g.binary(OpKind::Add, scores, g.fitTo(mask, scores->type));
  }
  Node *weights = g.softmaxRows(scores); // one row kernel each way
  if (dropout > 0)
    weights = g.binary(OpKind::Mul, weights,
                       g.dropoutMask(program_->stepCounter(), seedState(), weights->type, dropout));
  return stackedMatmul(weights, v, loc);
}

/// The dropout rate argument `key` in [0, 1), 0 when absent.
static double dropoutRate(Lowering &l, const CallArgs &a, const char *key) {
  const Expr *r = a.get(key);
  if (!r)
    return 0;
  double rate = l.scalarLiteral(*r, key);
  if (rate < 0 || rate >= 1)
    l.diag_.fatal(r->loc, std::string("'") + key + "' must be in [0, 1)");
  return rate;
}

Node *Lowering::scaledDotProductAttention(const Expr &e) {
  CallArgs a = bind(e, {"q", "k", "v", "mask", "causal", "dropout", "scale"}, 3);
  Node *q = tensorArg(a, "q"), *k = tensorArg(a, "k"), *v = tensorArg(a, "v");
  const char *names[] = {"q", "k", "v"};
  Node *operands[] = {q, k, v};
  for (int i = 0; i < 3; ++i)
    if (operands[i]->type.dims.size() < 2 || operands[i]->type.dtype == DType::I32)
      operandError(*a.get(names[i]), std::string("'scaled_dot_product_attention' needs float "
                                                 "stacks [..., T, E] for '") + names[i] +
                                         "', got " + operands[i]->type.str());
  if (q->type.dims.back() != k->type.dims.back() ||
      k->type.dims.end()[-2] != v->type.dims.end()[-2])
    diag_.fatal(e.loc, "attention shapes do not fit: q " + q->type.shapeStr() + ", k " +
                           k->type.shapeStr() + ", v " + v->type.shapeStr() +
                           " (q and k share E, k and v share S)");
  Node *mask = maskArg(*this, a, "mask", q->type.dtype);
  bool causal = a.get("causal") && scalarLiteral(*a.get("causal"), "causal") != 0;
  double scale = a.get("scale") ? scalarLiteral(*a.get("scale"), "scale")
                                : 1.0 / std::sqrt(double(q->type.dims.back()));
  return attention(q, k, v, mask, causal, dropoutRate(*this, a, "dropout"), scale, e.loc);
}

/// nn.MultiheadAttention(D, heads, dropout, bias, batch_first=True) on
/// per-sample [T, D] (self-attention; `key:` and `value:` for others):
/// in_proj_weight [3D, D] (xavier_uniform) and in_proj_bias [3D] (zeros),
/// out_proj.weight [D, D] (Linear's default) and out_proj.bias (zeros).
/// Each head attends over D/heads features; q is scaled before q k^T.
Node *Lowering::multiHeadAttention(const Expr &e) {
  Graph &g = graph();
  CallArgs a = bind(e, {"x", "heads", "key", "value", "mask", "causal", "dropout", "bias",
                        "name", "trainable"}, 2);
  Node *x = tensorArg(a, "x");
  if (x->type.dims.size() != 2 || x->type.dtype == DType::I32)
    operandError(*a.get("x"), "'multi_head_attention' needs a float sequence [T, D] per "
                              "sample, got " + x->type.str());
  int64_t D = x->type.dims[1];
  int64_t H = intLiteral(*a.get("heads"), "heads", 1, D);
  if (D % H != 0)
    diag_.fatal(a.loc("heads"), "the width " + std::to_string(D) + " does not split into " +
                                    std::to_string(H) + " heads");
  Node *key = a.get("key") ? tensorArg(a, "key") : x;
  Node *value = a.get("value") ? tensorArg(a, "value") : key;
  for (Node *n : {key, value})
    if (n->type.dims.size() != 2 || n->type.dims[1] != D || n->type.dtype != x->type.dtype)
      diag_.fatal(e.loc, "'multi_head_attention' key and value must be [S, " +
                             std::to_string(D) + "] of x's dtype, got " + n->type.str());
  if (key->type.dims[0] != value->type.dims[0])
    diag_.fatal(e.loc, "'multi_head_attention' key and value lengths differ: " +
                           key->type.shapeStr() + " and " + value->type.shapeStr());
  bool bias = !a.get("bias") || scalarLiteral(*a.get("bias"), "bias") != 0;
  bool trainable = trainableArg(a);
  bool causal = a.get("causal") && scalarLiteral(*a.get("causal"), "causal") != 0;
  Node *mask = maskArg(*this, a, "mask", x->type.dtype);
  std::string name = layerName(a, "multi_head_attention");
  DType dt = x->type.dtype;
  InitSpec xavier, linear;
  xavier.kind = linear.kind = InitSpec::Kind::Uniform;
  xavier.b = std::sqrt(6.0 / double(D + 3 * D));
  xavier.a = -xavier.b;
  linear.b = 1.0 / std::sqrt(double(D));
  linear.a = -linear.b;
  Node *inW = createParam(name + ".in_proj_weight", {dt, {3 * D, D}, false}, xavier, trainable, e.loc);
  Node *inB = bias ? createParam(name + ".in_proj_bias", {dt, {3 * D}, false}, InitSpec{}, trainable, e.loc)
                   : nullptr;
  Node *outW = createParam(name + ".out_proj.weight", {dt, {D, D}, false}, linear, trainable, e.loc);
  Node *outB = bias ? createParam(name + ".out_proj.bias", {dt, {D}, false}, InitSpec{}, trainable, e.loc)
                    : nullptr;
  auto linearOf = [&](Node *in, Node *w, Node *b) {
    Node *y = g.matmul(in, w, false, true);
    return b ? g.binary(OpKind::Add, y, g.broadcastTo(b, y->type)) : y;
  };
  // Projection p (0: q, 1: k, 2: v) of `in`, split into heads [H, T, D/H].
  // Self-attention projects once with the whole [3D, D] weight (as PyTorch).
  bool self = key == x && value == x;
  Node *packed = self ? linearOf(x, inW, inB) : nullptr;
  auto project = [&](Node *in, int p) {
    int64_t T = in->type.dims[0];
    Node *y = packed ? g.slice(packed, {0, p * D}, {T, D})
                     : linearOf(in, g.slice(inW, {p * D, 0}, {D, D}),
                                inB ? g.slice(inB, {p * D}, {D}) : nullptr);
    return g.transpose(g.reshape(y, {T, H, D / H}), {1, 0, 2});
  };
  Node *q = project(x, 0), *k = project(key, 1), *v = project(value, 2);
  q = g.binary(OpKind::Div, q, scalarOf(std::sqrt(double(D / H)), q->type));
  Node *heads = attention(q, k, v, mask, causal, dropoutRate(*this, a, "dropout"), 1.0, e.loc);
  int64_t T = x->type.dims[0];
  Node *joined = g.reshape(g.transpose(heads, {1, 0, 2}), {T, D});
  return linearOf(joined, outW, outB);
}

} // namespace nnc
