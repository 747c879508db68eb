//===- Builtins.cpp - sema: functions, reductions, shape ops, losses ------===//
//
// Everything here expands into primitive IR ops, so each has exactly the
// gradient its primitives give: activations like gelu or softplus, softmax,
// and every loss are formulas, written the numerically stable way.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

#include "support/Json.h"
#include "support/Suggest.h"

#include <algorithm>
#include <cmath>

namespace nnc {

const Expr *CallArgs::get(const std::string &name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name)
      return exprs[i];
  return nullptr;
}

SourceLoc CallArgs::loc(const std::string &name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name)
      return locs[i];
  return call->loc;
}

CallArgs Lowering::bind(const Expr &call, const std::vector<std::string> &params,
                        size_t required) {
  CallArgs args;
  args.call = &call;
  args.names = params;
  args.exprs.assign(params.size(), nullptr);
  args.locs.assign(params.size(), call.loc);
  size_t positional = 0;
  for (size_t i = 0; i < call.operands.size(); ++i) {
    size_t slot = positional;
    if (!call.argNames[i].empty()) {
      auto it = std::find(params.begin(), params.end(), call.argNames[i]);
      if (it == params.end()) {
        std::string hint = didYouMean(call.argNames[i], params);
        if (hint.empty()) {
          hint = "; expected ";
          for (size_t p = 0; p < params.size(); ++p)
            hint += (p ? ", " : "") + params[p];
        }
        diag_.fatal(call.argLocs[i], "unknown argument '" + call.argNames[i] + "' of '" +
                                         call.name + "'" + hint);
      }
      slot = static_cast<size_t>(it - params.begin());
    } else {
      ++positional;
    }
    if (slot >= params.size())
      diag_.fatal(call.argLocs[i], "'" + call.name + "' takes at most " +
                                       std::to_string(params.size()) +
                                       (params.size() == 1 ? " argument" : " arguments"));
    if (args.exprs[slot])
      diag_.fatal(call.argLocs[i], "argument '" + params[slot] + "' of '" + call.name +
                                       "' is given twice");
    args.exprs[slot] = call.operands[i].get();
    args.locs[slot] = call.argLocs[i];
  }
  for (size_t p = 0; p < required; ++p)
    if (!args.exprs[p])
      diag_.fatal(call.loc, "'" + call.name + "' needs argument '" + params[p] + "'");
  return args;
}

Node *Lowering::tensorExpr(const Expr &e, const std::string &fn) {
  Value v = expr(e);
  if (v.isLiteral())
    diag_.fatal(e.loc, "'" + fn + "' of a constant: write the constant's value instead");
  return v.node;
}

Node *Lowering::tensorArg(const CallArgs &args, const std::string &name) {
  const Expr *e = args.get(name);
  Node *n = tensorExpr(*e, args.call->name);
  if (n->type.dtype == DType::I32)
    diag_.fatal(e->loc, "'" + args.call->name + "' needs numbers, but '" +
                            (e->kind == Expr::Kind::Name ? e->name : name) +
                            "' is a class label; use one_hot(label, N) for a vector");
  return n;
}

/// The one per-sample axis named by `axis:` (negative counts from the end),
/// or `fallback` when absent.
int64_t Lowering::oneAxis(const CallArgs &args, const TensorType &t, int64_t fallback) {
  int64_t rank = int64_t(t.dims.size());
  double at = args.get("axis") ? scalarLiteral(*args.get("axis"), "axis") : double(fallback);
  if (at != std::floor(at) || at < -rank || at >= rank)
    diag_.fatal(args.loc("axis"), "axis " + formatNumber(at) + " is not an axis of " +
                                      t.shapeStr() + " (per sample; -" + std::to_string(rank) +
                                      ".." + std::to_string(rank - 1) + ")");
  return int64_t(at) < 0 ? int64_t(at) + rank : int64_t(at);
}

Node *Lowering::scalarOf(double v, const TensorType &like) { return graph().fill(v, like); }

/// The per-sample axes named by `axis:` (negative counts from the end);
/// all of them when absent.
std::vector<int64_t> Lowering::axesArg(const CallArgs &args, const TensorType &t) {
  int64_t rank = static_cast<int64_t>(t.dims.size());
  std::vector<int64_t> axes;
  const Expr *a = args.get("axis");
  if (!a) {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
    return axes;
  }
  if (rank == 0)
    diag_.fatal(a->loc, "a per-sample scalar has no axis to reduce");
  for (int64_t ax : intList(*a, "axis", -rank, rank - 1))
    axes.push_back(ax < 0 ? ax + rank : ax);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    diag_.fatal(a->loc, "an axis is named twice");
  return axes;
}

/// Every per-sample axis of t: 0, 1, ..., rank - 1.
static std::vector<int64_t> axesOf(const TensorType &t) {
  std::vector<int64_t> all;
  for (size_t i = 0; i < t.dims.size(); ++i)
    all.push_back(int64_t(i));
  return all;
}

Node *Lowering::reduce(OpKind op, Node *x, const std::vector<int64_t> &axes, bool keepdims) {
  TensorType kept = x->type;
  for (int64_t a : axes)
    kept.dims[a] = 1;
  Node *r = op == OpKind::SumTo ? graph().sumTo(x, kept) : graph().maxTo(x, kept);
  if (keepdims)
    return r;
  std::vector<int64_t> dims;
  for (size_t i = 0; i < x->type.dims.size(); ++i)
    if (std::find(axes.begin(), axes.end(), int64_t(i)) == axes.end())
      dims.push_back(x->type.dims[i]);
  return graph().reshape(r, dims);
}

Node *Lowering::mean(Node *x, const std::vector<int64_t> &axes, bool keepdims) {
  int64_t count = 1;
  for (int64_t a : axes)
    count *= x->type.dims[a];
  Node *s = reduce(OpKind::SumTo, x, axes, keepdims);
  return graph().binary(OpKind::Div, s, scalarOf(double(count), s->type));
}

/// x - max - log(sum(exp(x - max))): the max shift keeps exp from
/// overflowing for large logits and has no gradient of its own.
Node *Lowering::logSoftmax(Node *x, int64_t axis) {
  Graph &g = graph();
  Node *m = g.unary(OpKind::StopGradient, reduce(OpKind::MaxTo, x, {axis}, true));
  Node *z = g.binary(OpKind::Sub, x, g.broadcastTo(m, x->type));
  Node *lse = g.unary(OpKind::Log, reduce(OpKind::SumTo, g.unary(OpKind::Exp, z), {axis}, true));
  return g.binary(OpKind::Sub, z, g.broadcastTo(lse, x->type));
}

/// x shifted by `by` along `axis` (toward the end, or toward the start when
/// `reverse`), zeros where it moved from: a slice placed by a pad.
static Node *shifted(Graph &g, Node *x, int64_t axis, int64_t by, bool reverse) {
  const std::vector<int64_t> &dims = x->type.dims;
  std::vector<int64_t> from(dims.size(), 0), to(dims.size(), 0), sizes = dims;
  sizes[axis] -= by;
  (reverse ? from : to)[axis] = by;
  return g.pad(g.slice(x, from, sizes), to, dims);
}

/// The running sum along `axis` (from its end when `reverse`; without the
/// element itself when `exclusive`) by doubling steps: y += y shifted by 1,
/// 2, 4, ... (log2(n) steps of adds, no n x n matrix). Its gradient is the
/// same sum in the other direction, which the pads and slices give. The
/// additions group differently from a left-to-right loop, so the last bit
/// may differ from torch.cumsum's.
Node *Lowering::cumulativeSum(Node *x, int64_t axis, bool exclusive, bool reverse) {
  Graph &g = graph();
  int64_t n = x->type.dims[axis];
  Node *y = x;
  for (int64_t by = 1; by < n; by *= 2)
    y = g.binary(OpKind::Add, y, shifted(g, y, axis, by, reverse));
  if (!exclusive)
    return y;
  return n == 1 ? g.fill(0.0, x->type) : shifted(g, y, axis, 1, reverse);
}

/// The ops a model calls by their printed name, `exp(x)` (kFunction in
/// Ops.def).
static const std::map<std::string, OpKind> &functionOps() {
  static const std::map<std::string, OpKind> ops = [] {
    std::map<std::string, OpKind> m;
#define NNC_OP(Name, Printed, Operands, Kind, Flags)                                     \
  if ((Flags) & kFunction)                                                                \
    m[Printed] = OpKind::Name;
#include "ir/Ops.def"
    return m;
  }();
  return ops;
}

/// Every function and layer a model may call, for "did you mean".
static const std::vector<std::string> &allFunctions() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v; // primitives in table order
#define NNC_OP(Name, Printed, Operands, Kind, Flags)                                     \
  if ((Flags) & kFunction)                                                                \
    v.push_back(Printed);
#include "ir/Ops.def"
    for (const char *name :
         {"where", "maximum", "minimum", "clamp", "leaky_relu", "elu", "gelu", "softplus", "silu", "mish",
          "hardswish", "hardsigmoid", "hardtanh", "relu6", "logsigmoid", "softmin", "glu", "prelu", "softmax", "log_softmax", "sum", "mean", "max",
          "flatten", "reshape", "transpose", "concat", "cast", "one_hot", "mse", "l1", "huber",
          "binary_cross_entropy", "cross_entropy", "nll_loss", "smooth_l1", "kl_div", "cosine_similarity", "cosine_embedding_loss",
          "margin_ranking_loss", "hinge_embedding_loss", "accuracy", "dense", "conv2d", "maxpool",
          "avgpool", "global_avgpool", "dropout", "batchnorm", "linspace", "repeat", "embedding", "index_select", "argmax", "argmin", "cumsum", "tril", "triu",
          "layer_norm", "group_norm", "masked_fill", "scaled_dot_product_attention", "multi_head_attention",
          "rnn", "lstm", "gru", "scan", "normal", "uniform"})
      v.push_back(name);
    return v;
  }();
  return names;
}

/// where(condition, x, y), maximum(x, other), minimum(x, other) and
/// clamp(x, min, max): the operands broadcast together (numpy rules) and
/// literals take the tensors' dtype, as in arithmetic.
Node *Lowering::selection(const Expr &e) {
  const std::string &fn = e.name;
  std::vector<std::string> params = fn == "where"  ? std::vector<std::string>{"condition", "x", "y"}
                                    : fn == "clamp" ? std::vector<std::string>{"x", "min", "max"}
                                                    : std::vector<std::string>{"x", "other"};
  CallArgs args = bind(e, params, fn == "clamp" ? 1 : params.size());
  if (fn == "clamp" && !args.get("min") && !args.get("max"))
    diag_.fatal(e.loc, "'clamp' needs min:, max: or both");
  std::vector<std::string> given;
  std::vector<Value> values;
  for (const std::string &name : params)
    if (const Expr *arg = args.get(name)) {
      given.push_back(name);
      values.push_back(expr(*arg));
    }
  const Node *typed = nullptr;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].isLiteral())
      continue;
    const Node *n = values[i].node;
    if (n->type.dtype == DType::I32) {
      const Expr *arg = args.get(given[i]);
      diag_.fatal(arg->loc, "'" + fn + "' needs numbers, but '" +
                                (arg->kind == Expr::Kind::Name ? arg->name : given[i]) +
                                "' is a class label; use one_hot(label, N) for a vector");
    }
    // The condition of where may be of another float dtype: only != 0 counts.
    if (fn == "where" && i == 0)
      continue;
    if (typed && n->type.dtype != typed->type.dtype)
      diag_.fatal(args.loc(given[i]), "'" + fn + "': element types differ: " + typed->type.str() +
                                          " and " + n->type.str() + " (no implicit conversion)");
    typed = typed ? typed : n;
  }
  if (!typed && fn == "where" && !values[0].isLiteral())
    typed = values[0].node;
  if (!typed)
    diag_.fatal(e.loc, "'" + fn + "' needs a tensor operand; of constants, compute the value");
  DType dtype = typed->type.dtype;
  std::vector<Node *> nodes;
  TensorType t = typed->type;
  for (size_t i = 0; i < values.size(); ++i) {
    Node *n = materialize(values[i], dtype);
    if (n->type.dtype != dtype)
      n = graph().cast(n, dtype);
    TensorType joined;
    if (!broadcastTypes(t, n->type, joined))
      diag_.fatal(args.loc(given[i]), "'" + fn + "': shapes " + t.shapeStr() + " and " +
                                          n->type.shapeStr() + " cannot be broadcast together");
    t = joined;
    nodes.push_back(n);
  }
  for (Node *&n : nodes)
    n = graph().fitTo(n, t);
  Graph &g = graph();
  if (fn == "where")
    return g.select(nodes[0], nodes[1], nodes[2]);
  if (fn == "maximum" || fn == "minimum")
    return g.binary(fn == "maximum" ? OpKind::Maximum : OpKind::Minimum, nodes[0], nodes[1]);
  // clamp = min(max(x, min), max) as torch.clamp, by selection so that the
  // gradient reaches x also at the bounds (PyTorch: min <= x <= max).
  Node *r = nodes[0];
  size_t next = 1;
  if (args.get("min")) {
    Node *lo = nodes[next++];
    r = g.select(g.binary(OpKind::Less, r, lo), lo, r);
  }
  if (args.get("max")) {
    Node *hi = nodes[next];
    r = g.select(g.binary(OpKind::Greater, r, hi), hi, r);
  }
  return r;
}

/// The per-sample axis that `axis:` names (default the last) for a
/// function over vectors (softmax and its kind); x must not be a scalar.
int64_t Lowering::vectorAxis(const CallArgs &a, const Node *x, const Expr &call) {
  if (x->type.dims.empty())
    diag_.fatal(call.loc, "'" + call.name + "' needs a vector per sample, not a scalar");
  int64_t rank = int64_t(x->type.dims.size());
  int64_t axis = a.get("axis") ? intLiteral(*a.get("axis"), "axis", -rank, rank - 1) : -1;
  return axis < 0 ? axis + rank : axis;
}

/// normal(shape, mean = 0, std = 1, dtype = f32) and uniform(shape, low = 0,
/// high = 1, dtype = f32): a per-sample tensor of draws (torch.randn and
/// torch.rand per sample), keyed like dropout's masks by the seed, the
/// global step and the node, and drawn in every entry. In expressions these
/// names are these functions; as initial values they are initialisers.
static Node *randomTensor(Lowering &l, const Expr &e) {
  const std::string &fn = e.name;
  bool normal = fn == "normal";
  const char *first = normal ? "mean" : "low", *second = normal ? "std" : "high";
  CallArgs a = l.bind(e, {"shape", first, second, "dtype"}, 1);
  if (!l.scans_.empty()) {
    l.diag_.error(e.loc, "'" + fn + "' inside a scan's cell is not supported (every step "
                             "would draw the same numbers); draw the noise outside and pass it "
                             "to the scan as a sequence");
    l.diag_.note(l.scanLoc_, "the scan is here");
    throw CompileError{};
  }
  std::vector<int64_t> dims = l.intList(*a.get("shape"), "shape", 1, kMaxElements);
  auto number = [&](const char *name, double fallback) {
    const Expr *arg = a.get(name);
    if (!arg)
      return fallback;
    double v = l.scalarLiteral(*arg, name);
    if (!std::isfinite(v))
      l.diag_.fatal(arg->loc, "'" + fn + "' '" + name + "' must be finite");
    return v;
  };
  double p = number(first, 0), q = number(second, 1);
  if (normal && q <= 0)
    l.diag_.fatal(a.loc("std"), "'normal' 'std' must be positive, got " + formatNumber(q));
  if (!normal && !(p < q && std::isfinite(q - p)))
    l.diag_.fatal(a.get("high") ? a.loc("high") : a.loc("low"),
                  "'uniform' needs low < high with a finite high - low, got low " +
                      formatNumber(p) + " and high " + formatNumber(q));
  DType dt = l.options_.forceF64 ? DType::F64 : DType::F32;
  if (const Expr *d = a.get("dtype")) {
    if (d->kind != Expr::Kind::Name)
      l.diag_.fatal(d->loc, "'dtype' is f32 or f64");
    dt = l.dtype(d->name, d->loc);
  }
  Node *step = l.program_->stepCounter(), *seed = l.seedState();
  return l.graph().random(normal ? OpKind::RandomNormal : OpKind::RandomUniform, step, seed,
                          TensorType{dt, dims, true}, p, q);
}

Value Lowering::call(const Expr &e) {
  Graph &g = graph();
  const std::string &fn = e.name;
  auto wrap = [](Node *n) { return Value{n, {}}; };
  const std::map<std::string, OpKind> &primitives = functionOps();
  if (defs_.count(fn))
    return callDef(e);
  if (fn == "repeat")
    return repeat(e);
  if (fn == "scan")
    return scan(e);
  if (isLayer(fn))
    return layer(e);
  if (fn == "where" || fn == "maximum" || fn == "minimum" || fn == "clamp")
    return wrap(selection(e));
  if (fn == "masked_fill")
    return wrap(maskedFill(e));
  if (fn == "scaled_dot_product_attention")
    return wrap(scaledDotProductAttention(e));
  if (fn == "normal" || fn == "uniform")
    return wrap(randomTensor(*this, e));
  if (primitives.count(fn)) {
    CallArgs a = bind(e, {"x"}, 1);
    return wrap(g.unary(primitives.at(fn), tensorArg(a, "x")));
  }
  if (isActivation(fn))
    return wrap(activation(e));
  if (isPairLoss(fn))
    return pairLoss(e);
  if (fn == "softmax" || fn == "log_softmax") {
    CallArgs a = bind(e, {"x", "axis"}, 1);
    Node *x = tensorArg(a, "x");
    Node *ls = logSoftmax(x, vectorAxis(a, x, e));
    return wrap(fn == "softmax" ? g.unary(OpKind::Exp, ls) : ls);
  }
  if (fn == "sum" || fn == "mean" || fn == "max") {
    CallArgs a = bind(e, {"x", "axis", "keepdims"}, 1);
    Node *x = tensorArg(a, "x");
    std::vector<int64_t> axes = axesArg(a, x->type);
    bool keep = a.get("keepdims") && scalarLiteral(*a.get("keepdims"), "keepdims") != 0;
    if (fn == "mean")
      return wrap(mean(x, axes, keep));
    return wrap(reduce(fn == "sum" ? OpKind::SumTo : OpKind::MaxTo, x, axes, keep));
  }
  if (fn == "flatten") {
    CallArgs a = bind(e, {"x"}, 1);
    Node *x = tensorArg(a, "x");
    return wrap(g.reshape(x, {x->type.elementsPerSample()}));
  }
  if (fn == "reshape") {
    CallArgs a = bind(e, {"x", "shape"}, 2);
    // Class labels reshape too (token ids regrouped, as an imported graph
    // does); they keep their classes.
    Node *x = tensorExpr(*a.get("x"), fn);
    const Expr *shape = a.get("shape");
    std::vector<int64_t> dims = intList(*shape, "shape", -1, int64_t(1) << 32);
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] == -1) {
        if (infer >= 0)
          diag_.fatal(shape->loc, "only one reshape dimension may be -1");
        infer = int64_t(i);
      } else if (dims[i] == 0) {
        diag_.fatal(shape->loc, "reshape dimensions must be positive (or one -1)");
      } else {
        known *= dims[i];
      }
    }
    int64_t count = x->type.elementsPerSample();
    if (infer >= 0 && count % known == 0)
      dims[infer] = count / known;
    int64_t total = 1;
    for (int64_t d : dims)
      total *= d;
    if (total != count)
      diag_.fatal(shape->loc, "cannot reshape " + x->type.shapeStr() + " (" +
                                  std::to_string(count) + " elements) to " + dimsStr(dims));
    Node *y = g.reshape(x, dims);
    if (int64_t classes = classesOf(x))
      classes_[y] = classes;
    return wrap(y);
  }
  if (fn == "transpose" && e.operands.size() == 3) { // torch.transpose(x, dim0, dim1)
    CallArgs a = bind(e, {"x", "dim0", "dim1"}, 3);
    Node *x = tensorArg(a, "x");
    int64_t rank = int64_t(x->type.dims.size());
    if (rank < 2)
      diag_.fatal(e.loc, "'transpose' of two axes needs rank 2 or more, got " + x->type.shapeStr());
    int64_t d0 = intLiteral(*a.get("dim0"), "dim0", -rank, rank - 1);
    int64_t d1 = intLiteral(*a.get("dim1"), "dim1", -rank, rank - 1);
    std::vector<int64_t> perm(rank);
    for (int64_t i = 0; i < rank; ++i)
      perm[i] = i;
    std::swap(perm[d0 < 0 ? d0 + rank : d0], perm[d1 < 0 ? d1 + rank : d1]);
    return wrap(g.transpose(x, perm));
  }
  if (fn == "transpose") {
    CallArgs a = bind(e, {"x", "perm"}, 1);
    Node *x = tensorArg(a, "x");
    int64_t rank = int64_t(x->type.dims.size());
    std::vector<int64_t> perm;
    if (a.get("perm")) {
      perm = intList(*a.get("perm"), "perm", 0, std::max<int64_t>(rank - 1, 0));
      std::vector<int64_t> sorted = perm;
      std::sort(sorted.begin(), sorted.end());
      for (int64_t i = 0; i < int64_t(sorted.size()); ++i)
        if (sorted[i] != i || int64_t(perm.size()) != rank)
          diag_.fatal(a.loc("perm"), "'perm' must order all " + std::to_string(rank) +
                                         " axes, each once");
    } else {
      for (int64_t i = rank; i-- > 0;)
        perm.push_back(i);
    }
    return wrap(g.transpose(x, perm));
  }
  if (fn == "concat") { // concat(a, b, ..., axis: 0): pads of each part, added
    std::vector<Node *> parts;
    const Expr *axisExpr = nullptr;
    for (size_t i = 0; i < e.operands.size(); ++i) {
      if (e.argNames[i] == "axis") {
        axisExpr = e.operands[i].get();
        continue;
      }
      if (!e.argNames[i].empty())
        diag_.fatal(e.argLocs[i], "unknown argument '" + e.argNames[i] + "' of 'concat'");
      parts.push_back(tensorExpr(*e.operands[i], "concat"));
    }
    if (parts.size() < 2)
      diag_.fatal(e.loc, "'concat' needs at least two tensors");
    int64_t rank = int64_t(parts[0]->type.dims.size());
    if (rank == 0)
      diag_.fatal(e.loc, "'concat' needs tensors of rank 1 or more");
    int64_t axis = axisExpr ? intLiteral(*axisExpr, "axis", -rank, rank - 1) : 0;
    axis = axis < 0 ? axis + rank : axis;
    TensorType out = parts[0]->type;
    out.dims[axis] = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      TensorType t = parts[i]->type;
      TensorType other = parts[0]->type;
      t.dims[axis] = other.dims[axis] = 0;
      t.batched = other.batched = false;
      if (t != other)
        diag_.fatal(e.argLocs[i], "'concat' parts differ outside axis " + std::to_string(axis) +
                                      ": " + parts[0]->type.shapeStr() + " and " +
                                      parts[i]->type.shapeStr());
      out.dims[axis] += parts[i]->type.dims[axis];
      out.batched = out.batched || parts[i]->type.batched;
    }
    Node *sum = nullptr;
    int64_t offset = 0;
    for (Node *p : parts) {
      std::vector<int64_t> starts(rank, 0);
      starts[axis] = offset;
      offset += p->type.dims[axis];
      Node *placed = g.pad(g.fitTo(p, TensorType{p->type.dtype, p->type.dims, out.batched}),
                           starts, out.dims);
      sum = sum ? g.binary(OpKind::Add, sum, placed) : placed;
    }
    return wrap(sum);
  }
  if (fn == "argmax" || fn == "argmin") { // torch.argmax(x, dim, keepdim) over one axis
    CallArgs a = bind(e, {"x", "axis", "keepdims"}, 1);
    Node *x = tensorArg(a, "x");
    if (x->type.dims.empty())
      operandError(*a.get("x"), "'" + fn + "' needs a tensor with an axis per sample, got a "
                                "scalar " + x->type.str());
    int64_t axis = oneAxis(a, x->type, -1);
    bool keep = a.get("keepdims") && scalarLiteral(*a.get("keepdims"), "keepdims") != 0;
    Node *y = g.argReduce(fn == "argmax" ? OpKind::ArgMax : OpKind::ArgMin, x, axis);
    if (keep) {
      std::vector<int64_t> dims = x->type.dims;
      dims[axis] = 1;
      y = g.reshape(y, dims);
    }
    classes_[y] = x->type.dims[axis]; // usable as class labels
    return wrap(y);
  }
  if (fn == "cumsum") { // torch.cumsum(x, dim), and ONNX CumSum's exclusive and reverse
    CallArgs a = bind(e, {"x", "axis", "exclusive", "reverse"}, 2);
    Node *x = tensorArg(a, "x");
    if (x->type.dims.empty())
      operandError(*a.get("x"), "'cumsum' needs a tensor with an axis per sample, got a scalar " +
                                    x->type.str());
    int64_t axis = oneAxis(a, x->type, 0);
    bool exclusive = a.get("exclusive") && scalarLiteral(*a.get("exclusive"), "exclusive") != 0;
    bool reverse = a.get("reverse") && scalarLiteral(*a.get("reverse"), "reverse") != 0;
    return wrap(cumulativeSum(x, axis, exclusive, reverse));
  }
  if (fn == "tril" || fn == "triu") { // x times a constant 0/1 mask on the last two axes
    CallArgs a = bind(e, {"x", "diagonal"}, 1);
    Node *x = tensorArg(a, "x");
    size_t rank = x->type.dims.size();
    if (rank < 2)
      operandError(*a.get("x"), "'" + fn + "' needs a matrix per sample (the last two axes), got " +
                                    x->type.str());
    double k = a.get("diagonal") ? scalarLiteral(*a.get("diagonal"), "diagonal") : 0;
    if (k != std::floor(k))
      diag_.fatal(a.loc("diagonal"), "'diagonal' must be a whole number");
    int64_t rows = x->type.dims[rank - 2], cols = x->type.dims[rank - 1];
    std::vector<double> keep(rows * cols);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        keep[i * cols + j] = (fn == "tril" ? j - i <= k : j - i >= k) ? 1 : 0;
    Node *mask = g.constant(x->type.dtype, {rows, cols}, keep);
    return wrap(g.binary(OpKind::Mul, x, g.broadcastTo(mask, x->type)));
  }
  if (fn == "index_select") { // torch.index_select(input, dim, index), any index shape
    CallArgs a = bind(e, {"x", "axis", "indices"}, 3);
    Node *x = tensorArg(a, "x");
    Node *indices = tensorExpr(*a.get("indices"), fn);
    if (indices->type.dtype != DType::I32)
      operandError(*a.get("indices"), "'index_select' needs integer indices (a class(N) "
                                      "input, an argmax), got " + indices->type.str());
    if (x->type.dims.empty())
      operandError(*a.get("x"), "'index_select' needs a tensor with an axis, got a scalar");
    int64_t axis = oneAxis(a, x->type, 0);
    int64_t classes = classesOf(indices);
    if (classes > x->type.dims[axis])
      operandError(*a.get("indices"), "the indices are class(" + std::to_string(classes) +
                                          ") but axis " + std::to_string(axis) + " of " +
                                          x->type.str() + " has " +
                                          std::to_string(x->type.dims[axis]) + " entries");
    return wrap(g.gather(x, indices, axis));
  }
  // To another float dtype, rounded to nearest (Tensor.to); class indices
  // (labels, argmax) become their class numbers (Tensor.float() on indices).
  if (fn == "cast") {
    CallArgs a = bind(e, {"x", "dtype"}, 2);
    Node *x = tensorExpr(*a.get("x"), fn);
    const Expr *d = a.get("dtype");
    if (d->kind != Expr::Kind::Name)
      diag_.fatal(d->loc, "'dtype' is f32 or f64");
    return wrap(g.cast(x, dtype(d->name, d->loc)));
  }
  if (fn == "one_hot") {
    CallArgs a = bind(e, {"label", "classes", "dtype"}, 1);
    Node *label = tensorExpr(*a.get("label"), fn);
    int64_t classes = classesOf(label);
    if (label->type.dtype != DType::I32 || !classes)
      diag_.fatal(a.get("label")->loc, "'one_hot' needs a class(N) input or target");
    if (a.get("classes") && intLiteral(*a.get("classes"), "classes", 1, 1 << 30) != classes)
      diag_.fatal(a.loc("classes"), "the label has " + std::to_string(classes) +
                                        " classes but 'one_hot' was given classes: " +
                                        std::to_string(intLiteral(*a.get("classes"), "classes", 1, 1 << 30)));
    DType dt = DType::F32;
    if (const Expr *d = a.get("dtype")) {
      if (d->kind != Expr::Kind::Name)
        diag_.fatal(d->loc, "'dtype' is f32 or f64");
      dt = dtype(d->name, d->loc);
    }
    return wrap(g.oneHot(label, classes, options_.forceF64 ? DType::F64 : dt));
  }
  static const std::set<std::string> losses = {"mse", "l1", "huber", "smooth_l1",
                                               "binary_cross_entropy", "cross_entropy",
                                               "nll_loss", "kl_div", "accuracy"};
  if (losses.count(fn)) {
    std::vector<std::string> params = {"input", "target", "reduce"};
    if (fn == "huber")
      params.push_back("delta");
    if (fn == "smooth_l1")
      params.push_back("beta");
    if (fn == "binary_cross_entropy")
      params.push_back("from_logits");
    if (fn == "kl_div")
      params.push_back("log_target");
    if (fn == "cross_entropy")
      params.push_back("label_smoothing");
    if (fn == "cross_entropy" || fn == "nll_loss") {
      params.push_back("ignore_index");
      params.push_back("weight");
    }
    if (fn == "accuracy")
      params.pop_back();
    return lossFunction(fn, bind(e, params, 2));
  }
  auto sym = symbols_.find(fn);
  if (sym != symbols_.end()) {
    diag_.error(e.loc, "'" + fn + "' is a value, not a function");
    diag_.note(sym->second.loc, "'" + fn + "' is declared here");
    throw CompileError{};
  }
  std::vector<std::string> known = allFunctions();
  for (const auto &def : defs_)
    known.push_back(def.first);
  diag_.fatal(e.loc, "unknown function '" + fn + "'" + didYouMean(fn, known));
}

/// Reduces an elementwise loss to one number per sample: the mean over its
/// elements (`reduce: mean`, PyTorch's default) or the sum (`reduce: sum`,
/// which also sums over the batch, as PyTorch's reduction='sum').
Value Lowering::perSampleLoss(Node *elementwise, const CallArgs &args) {
  bool sum = false;
  if (const Expr *r = args.get("reduce")) {
    if (r->kind != Expr::Kind::Name || (r->name != "mean" && r->name != "sum"))
      diag_.fatal(r->loc, "'reduce' must be mean or sum");
    sum = r->name == "sum";
  }
  std::vector<int64_t> all;
  for (size_t i = 0; i < elementwise->type.dims.size(); ++i)
    all.push_back(int64_t(i));
  Node *n = sum ? reduce(OpKind::SumTo, elementwise, all, false) : mean(elementwise, all, false);
  Value v{n, {}};
  v.batchSum = sum;
  return v;
}

Value Lowering::lossFunction(const std::string &fn, const CallArgs &args) {
  Graph &g = graph();
  Node *x = tensorArg(args, "input");
  const Expr *targetExpr = args.get("target");
  Node *target = tensorExpr(*targetExpr, fn);
  const TensorType &xt = x->type;
  auto same = [&](Node *t) {
    if (t->type.dims != xt.dims || t->type.dtype != xt.dtype)
      diag_.fatal(targetExpr->loc, "'" + fn + "' needs a target like its input " + xt.str() +
                                       ", got " + t->type.str());
    TensorType joined;
    broadcastTypes(xt, t->type, joined);
    return joined;
  };
  auto one = [&](const TensorType &t) { return scalarOf(1, t); };
  if (fn == "mse" || fn == "l1" || fn == "huber" || fn == "smooth_l1") {
    TensorType t = same(target);
    Node *d = g.binary(OpKind::Sub, g.fitTo(x, t), g.fitTo(target, t));
    if (fn == "mse")
      return perSampleLoss(g.binary(OpKind::Mul, d, d), args);
    Node *ad = g.unary(OpKind::Abs, d);
    // smooth_l1 with beta 0 is l1, as PyTorch's.
    const char *key = fn == "huber" ? "delta" : "beta";
    double delta = args.get(key) ? scalarLiteral(*args.get(key), key) : 1.0;
    if (fn == "l1" || (fn == "smooth_l1" && delta == 0))
      return perSampleLoss(ad, args);
    if (!(delta > 0))
      diag_.fatal(args.loc(key), std::string("'") + key + "' must be " +
                                     (fn == "huber" ? "positive" : "0 or more"));
    // Huber: with q = min(|d|, delta): q^2/2 + delta * (|d| - q); both
    // kinks (0 and delta) take PyTorch's slopes, 0 and delta.
    // smooth_l1(beta) = huber(delta: beta) / beta.
    Node *over = g.unary(OpKind::Relu, g.binary(OpKind::Sub, ad, scalarOf(delta, t)));
    Node *q = g.binary(OpKind::Sub, ad, over);
    Node *quad = g.binary(OpKind::Mul, scalarOf(0.5, t), g.binary(OpKind::Mul, q, q));
    Node *huber = g.binary(OpKind::Add, quad, g.binary(OpKind::Mul, scalarOf(delta, t), over));
    if (fn == "smooth_l1")
      huber = g.binary(OpKind::Div, huber, scalarOf(delta, t));
    return perSampleLoss(huber, args);
  }
  if (fn == "kl_div") {
    // PyTorch's F.kl_div: the input holds log-probabilities; pointwise
    // t (log t - input), 0 where t = 0 (log of 1 there, so no -inf), or
    // exp(t) (t - input) with log_target. reduce: batchmean sums each
    // sample's terms (the KL divergence) and averages over the batch.
    TensorType t = same(target);
    Node *in = g.fitTo(x, t), *tb = g.fitTo(target, t);
    bool logTarget = args.get("log_target") && scalarLiteral(*args.get("log_target"), "log_target") != 0;
    Node *pointwise;
    if (logTarget) {
      pointwise = g.binary(OpKind::Mul, g.unary(OpKind::Exp, tb), g.binary(OpKind::Sub, tb, in));
    } else {
      Node *safe = g.select(g.binary(OpKind::Greater, tb, scalarOf(0, t)), tb, one(t));
      pointwise = g.binary(OpKind::Mul, tb, g.binary(OpKind::Sub, g.unary(OpKind::Log, safe), in));
    }
    const Expr *r = args.get("reduce");
    if (r && (r->kind != Expr::Kind::Name ||
              (r->name != "mean" && r->name != "sum" && r->name != "batchmean")))
      diag_.fatal(r->loc, "'reduce' must be mean, sum or batchmean");
    if (r && r->name == "batchmean") {
      std::vector<int64_t> all;
      for (size_t i = 0; i < t.dims.size(); ++i)
        all.push_back(int64_t(i));
      return Value{reduce(OpKind::SumTo, pointwise, all, false), {}};
    }
    return perSampleLoss(pointwise, args);
  }
  if (fn == "binary_cross_entropy" && args.get("from_logits") &&
      scalarLiteral(*args.get("from_logits"), "from_logits") == 0) {
    // On probabilities, PyTorch's F.binary_cross_entropy: -(t log p + (1 - t)
    // log(1 - p)), each log clamped at -100 so that p = 0 or 1 stays finite.
    // Its gradient to p is not that formula's but PyTorch's own backward,
    // (p - t) / max(p (1 - p), 1e-12) with a float 1e-12, which differs at
    // p = 0 and 1. So the value is computed from stop_gradient(p), and
    // (p - stop_gradient(p)), exactly 0, times the stopped backward formula
    // adds that gradient.
    TensorType t = same(target);
    Node *p = g.fitTo(x, t), *tb = g.fitTo(target, t);
    Node *pValue = g.unary(OpKind::StopGradient, p);
    auto clampedLog = [&](Node *v) {
      Node *l = g.unary(OpKind::Log, v);
      return g.select(g.binary(OpKind::Less, l, scalarOf(-100, t)), scalarOf(-100, t), l);
    };
    Node *hit = g.binary(OpKind::Mul, tb, clampedLog(pValue));
    Node *miss = g.binary(OpKind::Mul, g.binary(OpKind::Sub, one(t), tb),
                          clampedLog(g.binary(OpKind::Sub, one(t), pValue)));
    Node *value = g.unary(OpKind::Neg, g.binary(OpKind::Add, hit, miss));
    Node *spread = g.binary(OpKind::Mul, pValue, g.binary(OpKind::Sub, one(t), pValue));
    Node *slope = g.unary(OpKind::StopGradient,
                          g.binary(OpKind::Div, g.binary(OpKind::Sub, pValue, tb),
                                   g.binary(OpKind::Maximum, spread, scalarOf(double(1e-12f), t))));
    Node *withSlope = g.binary(OpKind::Mul, g.binary(OpKind::Sub, p, pValue), slope);
    return perSampleLoss(g.binary(OpKind::Add, value, withSlope), args);
  }
  if (fn == "binary_cross_entropy") {
    // From logits (BCEWithLogits): max(x, 0) - x t + log(1 + exp(-|x|)).
    // Both kinks put x = 0 on the x >= 0 side, so the gradient is
    // sigmoid(x) - t everywhere, 0 included, as PyTorch's.
    TensorType t = same(target);
    Node *xb = g.fitTo(x, t), *tb = g.fitTo(target, t);
    Node *nonNegative = g.binary(OpKind::GreaterEqual, xb, scalarOf(0, t));
    Node *positivePart = g.select(nonNegative, xb, scalarOf(0, t));
    Node *minusAbs = g.select(nonNegative, g.unary(OpKind::Neg, xb), xb);
    Node *tail = g.unary(OpKind::Log, g.binary(OpKind::Add, one(t), g.unary(OpKind::Exp, minusAbs)));
    Node *l = g.binary(OpKind::Add, g.binary(OpKind::Sub, positivePart,
                                             g.binary(OpKind::Mul, xb, tb)), tail);
    return perSampleLoss(l, args);
  }
  // cross_entropy / accuracy: logits over the last axis, class labels (one
  // per position: [C] logits take a label, [T, C] logits a class(C)[T]
  // sequence) or a probability target like the logits.
  if (xt.dims.empty() || (fn == "accuracy" && xt.dims.size() != 1))
    diag_.fatal(args.call->operands[0]->loc, "'" + fn + "' needs a vector of logits per "
                                             "sample" + (fn == "accuracy" ? "" : " (or [T, C] "
                                             "for a sequence)") + ", got " + xt.shapeStr());
  int64_t last = int64_t(xt.dims.size()) - 1;
  int64_t classes = xt.dims.back();
  std::vector<int64_t> positions(xt.dims.begin(), xt.dims.end() - 1);
  Node *dist = nullptr;
  if (target->type.dtype == DType::I32) {
    int64_t labelClasses = classesOf(target);
    if (target->type.dims != positions)
      diag_.fatal(targetExpr->loc, "'" + fn + "' of logits " + xt.shapeStr() + " needs class(" +
                                       std::to_string(classes) + ")" +
                                       (positions.empty() ? "" : dimsStr(positions)) +
                                       " labels, got " +
                                       (target->type.dims.empty()
                                            ? std::string("one label per sample")
                                            : target->type.shapeStr() + " labels"));
    if (labelClasses != classes)
      diag_.fatal(targetExpr->loc, "'" + fn + "': the labels have " +
                                       std::to_string(labelClasses) + " classes but the logits " +
                                       std::to_string(classes));
    dist = g.oneHot(target, classes, xt.dtype);
  } else if (fn == "accuracy" || fn == "nll_loss") {
    diag_.fatal(targetExpr->loc, "'" + fn + "' needs class(N) labels");
  } else {
    same(target);
    dist = target;
  }
  TensorType t{xt.dtype, xt.dims, xt.batched || dist->type.batched};
  dist = g.fitTo(dist, t);
  Node *logits = g.fitTo(x, t);
  if (fn == "accuracy") {
    // 1 when the label's logit is the largest.
    Node *best = g.broadcastTo(reduce(OpKind::MaxTo, logits, {0}, true), t);
    Node *hit = g.binary(OpKind::Mul, dist, g.binary(OpKind::Equal, logits, best));
    return Value{reduce(OpKind::SumTo, hit, {0}, false), {}};
  }
  // weight: one number per class; each position's loss is scaled by its
  // label's weight and the mean divides by the sum of those weights, as
  // PyTorch's weighted reduction='mean'.
  Node *labelWeight = nullptr;
  if (const Expr *we = args.get("weight")) {
    if (target->type.dtype != DType::I32)
      diag_.fatal(we->loc, "'weight' needs class labels, but the target is " + target->type.str());
    if (args.get("label_smoothing"))
      diag_.fatal(we->loc, "'weight' together with 'label_smoothing' is not supported");
    // Numbers, or a [C] tensor of the logits' type (a parameter, an input).
    Value wv = expr(*we);
    Node *w = wv.isLiteral() ? materialize(wv, xt.dtype) : wv.node;
    if (w->type.dtype != xt.dtype)
      diag_.fatal(we->loc, "'weight' must be of the logits' type " + std::string(dtypeName(xt.dtype)) +
                               ", got " + w->type.str());
    if (w->type.dims != std::vector<int64_t>{classes})
      diag_.fatal(we->loc, "'weight' needs " + std::to_string(classes) + " numbers, one per class, got " +
                               (w->type.dims.empty() ? std::string("one") : w->type.shapeStr()));
    if (w->type.batched && !t.batched)
      diag_.fatal(we->loc, "'weight' depends on an input, but the logits and the labels do not");
    labelWeight = reduce(OpKind::SumTo, g.binary(OpKind::Mul, dist, g.fitTo(w, t)), {last}, false);
  }
  if (const Expr *ls = args.get("label_smoothing")) {
    double eps = scalarLiteral(*ls, "label_smoothing");
    if (eps < 0 || eps > 1)
      diag_.fatal(ls->loc, "'label_smoothing' must be in 0..1");
    dist = g.binary(OpKind::Add, g.binary(OpKind::Mul, dist, scalarOf(1 - eps, t)),
                    scalarOf(eps / double(classes), t));
  }
  Node *perPosition;
  if (fn == "nll_loss") { // the input holds log-probabilities already
    Node *nll = g.unary(OpKind::Neg, g.binary(OpKind::Mul, dist, logits));
    perPosition = reduce(OpKind::SumTo, nll, {last}, false);
  } else if (dist->op == OpKind::OneHot && logits->type.batched && dist->operands[0]->type.batched) {
    // Class labels, no smoothing: one fused kernel each way computes
    // -log softmax(logits)[label] and its gradient softmax - one_hot.
    perPosition = g.softmaxCrossEntropy(logits, dist->operands[0]);
  } else {
    Node *nll = g.unary(OpKind::Neg, g.binary(OpKind::Mul, dist, logSoftmax(logits, last)));
    perPosition = reduce(OpKind::SumTo, nll, {last}, false); // summed over classes
  }
  // reduce: none keeps each position's loss (PyTorch's reduction='none').
  bool batchSum = false, perPositionResult = false;
  if (const Expr *r = args.get("reduce")) {
    if (r->kind != Expr::Kind::Name || (r->name != "mean" && r->name != "sum" && r->name != "none"))
      diag_.fatal(r->loc, "'reduce' must be mean, sum or none");
    batchSum = r->name == "sum";
    perPositionResult = r->name == "none";
  }
  const Expr *ignoreExpr = args.get("ignore_index");
  if (ignoreExpr && target->type.dtype != DType::I32)
    diag_.fatal(ignoreExpr->loc, "'ignore_index' needs class labels, but the target is " +
                                     target->type.str());
  if (labelWeight)
    perPosition = g.binary(OpKind::Mul, perPosition, labelWeight);
  if (positions.empty() && !ignoreExpr && !labelWeight && !perPositionResult) {
    Value v{perPosition, {}};
    v.batchSum = batchSum;
    return v;
  }
  // Over positions (and with ignore_index): PyTorch's reduction='mean' is
  // the sum over the batch's counted positions divided by their count.
  const TensorType &pt = perPosition->type;
  Node *count = nullptr;
  if (ignoreExpr) {
    double ignore = scalarLiteral(*ignoreExpr, "ignore_index");
    if (ignore != std::floor(ignore) || std::abs(ignore) > double(1 << 30))
      diag_.fatal(ignoreExpr->loc, "'ignore_index' must be a whole number");
    if (target->op == OpKind::Input)
      for (Interface &in : program_->inputs)
        if (in.node == target) {
          in.hasIgnoreIndex = true;
          in.ignoreIndex = int64_t(ignore);
        }
    TensorType mt{pt.dtype, pt.dims, target->type.batched};
    Node *counted = g.fitTo(g.binary(OpKind::NotEqual, g.cast(target, pt.dtype),
                                     scalarOf(ignore, mt)), pt);
    perPosition = g.select(counted, perPosition, scalarOf(0, pt));
    if (perPositionResult)
      return Value{perPosition, {}};
    count = reduce(OpKind::SumTo, labelWeight ? g.binary(OpKind::Mul, counted, labelWeight) : counted,
                   axesOf(pt), false);
  } else if (perPositionResult) {
    return Value{perPosition, {}};
  } else if (labelWeight) {
    count = reduce(OpKind::SumTo, labelWeight, axesOf(pt), false);
  } else {
    count = scalarOf(double(pt.elementsPerSample()), TensorType{pt.dtype, {}, pt.batched});
  }
  Node *sum = reduce(OpKind::SumTo, perPosition, axesOf(pt), false);
  if (batchSum) {
    Value v{sum, {}};
    v.batchSum = true;
    return v;
  }
  // Used in an expression: the sample's own mean; as a loss or metric the
  // batch's sums are divided (ModelLowering.cpp).
  Value v{g.binary(OpKind::Div, sum, count), {}};
  v.tokenSum = sum;
  v.tokenCount = count;
  return v;
}

} // namespace nnc
