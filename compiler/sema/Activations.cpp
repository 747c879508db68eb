//===- Activations.cpp - sema: activations built from primitives ----------===//
//
// Each activation is PyTorch 1.13's formula written with primitive ops, so
// its gradient is what autodiff derives from them. At a kink the derivative
// is decided by which side a `select` puts the kink on: every one below
// puts it where PyTorch's backward kernel does (leaky_relu'(0) = slope,
// elu'(0) = alpha, softplus'(0) = 1/2, hardswish'(-3) = -1/2, hardtanh's
// bounds 0, ...); test/catalog/trace_*.nn checks them at their kinks.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

#include <cmath>

namespace nnc {

static const std::set<std::string> kActivations = {
    "leaky_relu", "elu",  "gelu",      "softplus", "silu",   "mish",  "hardswish",
    "hardsigmoid", "hardtanh", "relu6", "logsigmoid", "softmin", "glu"};

bool Lowering::isActivation(const std::string &name) const { return kActivations.count(name) != 0; }

Node *Lowering::activation(const Expr &e) {
  Graph &g = graph();
  const std::string &fn = e.name;
  auto number = [&](const CallArgs &a, const char *key, double fallback) {
    return a.get(key) ? scalarLiteral(*a.get(key), key) : fallback;
  };
  if (fn == "leaky_relu") { // x > 0 ? x : slope x
    CallArgs a = bind(e, {"x", "slope"}, 1);
    Node *x = tensorArg(a, "x");
    return whereAbove(x, 0, x, times(x, number(a, "slope", 0.01)));
  }
  if (fn == "elu") { // x > 0 ? x : alpha (exp(x) - 1); exp of min(x, 0) so it never overflows
    CallArgs a = bind(e, {"x", "alpha"}, 1);
    Node *x = tensorArg(a, "x");
    Node *negative = whereAbove(x, 0, scalarOf(0, x->type), x);
    Node *tail = g.binary(OpKind::Sub, g.unary(OpKind::Exp, negative), scalarOf(1, x->type));
    return whereAbove(x, 0, x, times(tail, number(a, "alpha", 1.0)));
  }
  if (fn == "softplus") {
    CallArgs a = bind(e, {"x", "beta", "threshold"}, 1);
    return softplus(tensorArg(a, "x"), number(a, "beta", 1.0), number(a, "threshold", 20.0));
  }
  if (fn == "gelu") {
    CallArgs a = bind(e, {"x", "approximate"}, 1);
    Node *x = tensorArg(a, "x");
    bool tanhForm = false;
    if (const Expr *form = a.get("approximate")) {
      if (form->kind != Expr::Kind::Name || (form->name != "none" && form->name != "tanh"))
        diag_.fatal(form->loc, "'approximate' must be none or tanh");
      tanhForm = form->name == "tanh";
    }
    Node *half = g.binary(OpKind::Mul, x, scalarOf(0.5, x->type));
    Node *curve;
    if (tanhForm) { // tanh(sqrt(2/pi) (x + 0.044715 x^3)), PyTorch's kBeta and kKappa
      Node *cube = g.binary(OpKind::Mul, g.binary(OpKind::Mul, x, x), x);
      Node *inner = g.binary(OpKind::Add, x, times(cube, 0.044715));
      curve = g.unary(OpKind::Tanh, times(inner, M_SQRT2 * M_2_SQRTPI * 0.5));
    } else { // PyTorch's exact form: erf(x / sqrt(2))
      curve = g.unary(OpKind::Erf, times(x, M_SQRT1_2));
    }
    return g.binary(OpKind::Mul, half, g.binary(OpKind::Add, scalarOf(1, x->type), curve));
  }
  if (fn == "silu") { // x sigmoid(x)
    CallArgs a = bind(e, {"x"}, 1);
    Node *x = tensorArg(a, "x");
    return g.binary(OpKind::Mul, x, g.unary(OpKind::Sigmoid, x));
  }
  if (fn == "mish") { // x tanh(softplus(x))
    CallArgs a = bind(e, {"x"}, 1);
    Node *x = tensorArg(a, "x");
    return g.binary(OpKind::Mul, x, g.unary(OpKind::Tanh, softplus(x, 1.0, 20.0)));
  }
  if (fn == "hardswish") { // x < -3: 0; x <= 3: x (x + 3) / 6; else x
    CallArgs a = bind(e, {"x"}, 1);
    Node *x = tensorArg(a, "x");
    Node *middle = g.binary(OpKind::Div,
                            g.binary(OpKind::Mul, x, g.binary(OpKind::Add, x, scalarOf(3, x->type))),
                            scalarOf(6, x->type));
    Node *upper = whereAbove(x, 3, x, middle); // 3 itself takes the middle's slope, 3/2
    return g.select(g.binary(OpKind::Less, x, scalarOf(-3, x->type)), scalarOf(0, x->type), upper);
  }
  if (fn == "hardsigmoid") { // x <= -3: 0; x >= 3: 1; else x / 6 + 1/2 (slope 0 at +-3)
    CallArgs a = bind(e, {"x"}, 1);
    Node *x = tensorArg(a, "x");
    Node *middle = g.binary(OpKind::Div, g.binary(OpKind::Add, x, scalarOf(3, x->type)),
                            scalarOf(6, x->type));
    return hardClamp(x, -3, 3, scalarOf(0, x->type), scalarOf(1, x->type), middle);
  }
  if (fn == "hardtanh" || fn == "relu6") {
    CallArgs a = fn == "relu6" ? bind(e, {"x"}, 1) : bind(e, {"x", "min_val", "max_val"}, 1);
    Node *x = tensorArg(a, "x");
    double lo = fn == "relu6" ? 0 : number(a, "min_val", -1.0);
    double hi = fn == "relu6" ? 6 : number(a, "max_val", 1.0);
    if (!(lo < hi))
      diag_.fatal(e.loc, "'hardtanh' needs min_val < max_val");
    return hardClamp(x, lo, hi, scalarOf(lo, x->type), scalarOf(hi, x->type), x);
  }
  if (fn == "logsigmoid") { // min(x, 0) - log1p(exp(-|x|)), slope 1/2 at 0
    CallArgs a = bind(e, {"x"}, 1);
    Node *x = tensorArg(a, "x");
    Node *negative = g.binary(OpKind::Less, x, scalarOf(0, x->type));
    Node *low = g.select(negative, x, scalarOf(0, x->type));
    Node *minusAbs = g.select(negative, x, g.unary(OpKind::Neg, x));
    return g.binary(OpKind::Sub, low, g.unary(OpKind::Log1p, g.unary(OpKind::Exp, minusAbs)));
  }
  if (fn == "softmin") { // softmax(-x)
    CallArgs a = bind(e, {"x", "axis"}, 1);
    Node *x = tensorArg(a, "x");
    return g.unary(OpKind::Exp, logSoftmax(g.unary(OpKind::Neg, x), vectorAxis(a, x, e)));
  }
  // glu: the first half along `axis` times the sigmoid of the second.
  CallArgs a = bind(e, {"x", "axis"}, 1);
  Node *x = tensorArg(a, "x");
  int64_t rank = int64_t(x->type.dims.size());
  int64_t axis = vectorAxis(a, x, e);
  int64_t size = x->type.dims[axis];
  if (size % 2 != 0)
    diag_.fatal(e.loc, "'glu' halves axis " + std::to_string(axis) + " of " + x->type.shapeStr() +
                           ", whose size " + std::to_string(size) + " is odd");
  std::vector<int64_t> starts(rank, 0), sizes = x->type.dims;
  sizes[axis] = size / 2;
  Node *first = g.slice(x, starts, sizes);
  starts[axis] = size / 2;
  Node *second = g.slice(x, starts, sizes);
  return g.binary(OpKind::Mul, first, g.unary(OpKind::Sigmoid, second));
}

/// PyTorch's softplus: x where beta x > threshold, else log1p(exp(beta x)) / beta
/// (its derivative, exp / (1 + exp), is 1/2 at 0). The exponent is of
/// min(x, threshold / beta), so the branch not taken never overflows.
Node *Lowering::softplus(Node *x, double beta, double threshold) {
  Graph &g = graph();
  Node *scaled = beta == 1 ? x : times(x, beta);
  Node *linear = g.binary(OpKind::Greater, scaled, scalarOf(threshold, x->type));
  Node *safe = g.select(linear, scalarOf(threshold, x->type), scaled);
  Node *curve = g.unary(OpKind::Log1p, g.unary(OpKind::Exp, safe));
  if (beta != 1)
    curve = g.binary(OpKind::Div, curve, scalarOf(beta, x->type));
  return g.select(linear, x, curve);
}

/// `above` where x > bound, else `otherwise` (the bound itself takes
/// `otherwise`'s slope).
Node *Lowering::whereAbove(Node *x, double bound, Node *above, Node *otherwise) {
  Graph &g = graph();
  return g.select(g.binary(OpKind::Greater, x, scalarOf(bound, x->type)), above, otherwise);
}

/// x times a number.
Node *Lowering::times(Node *x, double factor) {
  return graph().binary(OpKind::Mul, x, scalarOf(factor, x->type));
}

/// `low` where x <= lo, `high` where x >= hi, else `middle`: both bounds
/// take the constant sides' slope, 0, as PyTorch's hardtanh and
/// hardsigmoid backward kernels do.
Node *Lowering::hardClamp(Node *x, double lo, double hi, Node *low, Node *high, Node *middle) {
  Graph &g = graph();
  Node *belowTop = g.select(g.binary(OpKind::GreaterEqual, x, scalarOf(hi, x->type)), high, middle);
  return g.select(g.binary(OpKind::LessEqual, x, scalarOf(lo, x->type)), low, belowTop);
}

/// nn.PReLU: x > 0 ? x : weight x, with `weight` a parameter of
/// `num_parameters` slopes (1, or one per channel: the last axis, which is
/// the channels of nnc's [H, W, C] images and of a [B, C] batch), all
/// `init` (0.25) at first.
Node *Lowering::prelu(const Expr &e) {
  Graph &g = graph();
  CallArgs a = bind(e, {"x", "num_parameters", "init", "name", "trainable"}, 1);
  Node *x = tensorArg(a, "x");
  int64_t channels = x->type.dims.empty() ? 1 : x->type.dims.back();
  int64_t count = a.get("num_parameters")
                      ? intLiteral(*a.get("num_parameters"), "num_parameters", 1, int64_t(1) << 24)
                      : 1;
  if (count != 1 && count != channels)
    diag_.fatal(a.loc("num_parameters"),
                "'num_parameters' is 1 or the channel count (the last axis of " +
                    x->type.shapeStr() + ": " + std::to_string(channels) + "), got " +
                    std::to_string(count));
  InitSpec init;
  init.kind = InitSpec::Kind::Constant;
  init.a = a.get("init") ? scalarLiteral(*a.get("init"), "init") : 0.25;
  bool trainable = trainableArg(a);
  Node *w = createParam(layerName(a, "prelu") + ".weight", TensorType{x->type.dtype, {count}, false},
                        init, trainable, e.loc);
  Node *slope = count == 1 ? g.reshape(w, {}) : w;
  return whereAbove(x, 0, x, g.binary(OpKind::Mul, x, g.fitTo(slope, x->type)));
}

} // namespace nnc
