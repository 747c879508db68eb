//===- Convolution.cpp - sema: convolutions and pooling over windows ------===//
//
// conv1d, conv2d (groups, padding modes), conv2d_transpose and max/average
// pooling expand into the window ops: im2col gathers each window into a
// row, a GEMM applies the kernel, and col2im (im2col's adjoint) scatters
// rows back, which is the transposed convolution. Every gradient is the one
// those primitives give. Images are channels last ([H, W, C]), kernels
// HWIO; a 1-D layer is the 2-D one on its [L, C] input seen as [1, L, C].
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

#include <algorithm>
#include <cmath>

namespace nnc {

static const std::set<std::string> kWindowLayers = {
    "conv1d",    "conv2d",    "conv2d_transpose", "maxpool",       "avgpool",
    "maxpool1d", "avgpool1d", "global_avgpool", "pad"};

bool isWindowLayer(const std::string &name) { return kWindowLayers.count(name) != 0; }

/// kernel, stride, dilation (and conv2d_transpose's padding and
/// output_padding, which may be 0): a number, or [height, width] for a 2-D
/// layer; `fallback` when not given.
static std::pair<int64_t, int64_t> sizeArg(Lowering &L, const CallArgs &a, const char *key,
                                           bool oneD, std::pair<int64_t, int64_t> fallback,
                                           int64_t min = 1) {
  const Expr *e = a.get(key);
  if (!e)
    return fallback;
  std::vector<int64_t> v = L.intList(*e, key, min, 1 << 16);
  if (v.size() > (oneD ? 1u : 2u))
    L.diag_.fatal(a.loc(key), std::string("'") + key +
                                  (oneD ? "' is a number" : "' is a number or [height, width]"));
  if (oneD)
    return {1, v[0]};
  return v.size() == 1 ? std::make_pair(v[0], v[0]) : std::make_pair(v[0], v[1]);
}

/// TensorFlow's 'same' (PyTorch's for stride 1): out = ceil(in / stride),
/// the odd pixel of padding at the bottom / right.
static void samePadding(int64_t in, int64_t k, int64_t s, int64_t d, int64_t &lo, int64_t &hi) {
  int64_t out = (in + s - 1) / s;
  int64_t total = std::max<int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0);
  lo = total / 2;
  hi = total - lo;
}

/// `padding:` valid (default), same, a number, or the sides as a list:
/// [top, bottom, left, right] in 2-D, [left, right] in 1-D.
static void paddingArg(Lowering &L, const CallArgs &a, bool oneD, int64_t H, int64_t W,
                       Window &w) {
  const Expr *p = a.get("padding");
  if (!p)
    return;
  const char *forms = oneD ? "'padding' is valid, same, a number, or [left, right]"
                           : "'padding' is valid, same, a number, or [top, bottom, left, right]";
  if (p->kind == Expr::Kind::Name && (p->name == "valid" || p->name == "same")) {
    if (p->name == "same") {
      samePadding(H, w.kh, w.strideH, w.dilationH, w.padTop, w.padBottom);
      samePadding(W, w.kw, w.strideW, w.dilationW, w.padLeft, w.padRight);
    }
    return;
  }
  if (p->kind == Expr::Kind::Name && !L.literalEnv().count(p->name))
    L.diag_.fatal(p->loc, forms);
  std::vector<int64_t> pads = L.intList(*p, "padding", 0, 1 << 16);
  if (pads.size() == 1)
    pads.assign(oneD ? 2 : 4, pads[0]);
  if (pads.size() != (oneD ? 2u : 4u))
    L.diag_.fatal(p->loc, forms);
  if (oneD)
    pads.insert(pads.begin(), {0, 0});
  w.padTop = pads[0];
  w.padBottom = pads[1];
  w.padLeft = pads[2];
  w.padRight = pads[3];
}

/// The window of a conv or pooling layer over an [H, W, C] image.
static Window windowArgs(Lowering &L, const CallArgs &a, const std::string &fn, bool oneD,
                         int64_t H, int64_t W) {
  bool pool = fn.find("pool") != std::string::npos;
  const char *kernelKey = pool ? "size" : "kernel";
  Window w;
  std::tie(w.kh, w.kw) = sizeArg(L, a, kernelKey, oneD, {1, 1});
  std::tie(w.strideH, w.strideW) = sizeArg(L, a, "stride", oneD,
                                           pool ? std::make_pair(w.kh, w.kw)
                                                : std::make_pair<int64_t, int64_t>(1, 1));
  if (!pool || fn.rfind("maxpool", 0) == 0)
    std::tie(w.dilationH, w.dilationW) = sizeArg(L, a, "dilation", oneD, {1, 1});
  paddingArg(L, a, oneD, H, W, w);
  return w;
}

/// A kernel (with dilation) must fit the padded input.
static void checkFits(Lowering &L, const CallArgs &a, const char *kernelKey, const Window &w,
                      int64_t H, int64_t W, bool oneD) {
  int64_t spanH = w.dilationH * (w.kh - 1) + 1, spanW = w.dilationW * (w.kw - 1) + 1;
  int64_t paddedH = H + w.padTop + w.padBottom, paddedW = W + w.padLeft + w.padRight;
  if (spanH <= paddedH && spanW <= paddedW)
    return;
  std::string span = oneD ? std::to_string(spanW)
                          : std::to_string(spanH) + "x" + std::to_string(spanW);
  std::string padded = oneD ? std::to_string(paddedW)
                            : std::to_string(paddedH) + "x" + std::to_string(paddedW);
  L.diag_.fatal(a.loc(kernelKey), std::string("'") + kernelKey + "' " + span +
                                      " is larger than the padded input " + padded);
}

/// Source index of padded position `i` (from -lo) along an axis of `n`
/// under F.pad's reflect, replicate and circular modes.
static int64_t paddedSource(int64_t i, int64_t n, const std::string &mode) {
  if (mode == "reflect")
    return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i);
  if (mode == "replicate")
    return std::clamp<int64_t>(i, 0, n - 1);
  return ((i % n) + n) % n; // circular
}

/// x [H, W, C] padded by `lo[k]`, `hi[k]` along axis k (0, 1) with reflect,
/// replicate or circular: rows, then columns, gathered at constant
/// indices (the gradient is the gather's scatter-add).
static Node *padByIndex(Graph &g, Node *x, const int64_t lo[2], const int64_t hi[2],
                        const std::string &mode) {
  for (int64_t axis = 0; axis < 2; ++axis) {
    if (lo[axis] == 0 && hi[axis] == 0)
      continue;
    int64_t n = x->type.dims[axis];
    std::vector<double> index;
    for (int64_t i = -lo[axis]; i < n + hi[axis]; ++i)
      index.push_back(double(paddedSource(i, n, mode)));
    x = g.gather(x, g.constant(DType::I32, {int64_t(index.size())}, index), axis);
  }
  return x;
}

/// `mode` is zeros/constant or one F.pad knows, and its pads fit the axes:
/// reflect pads at most size - 1, circular at most size.
static std::string padMode(Lowering &L, const CallArgs &a, const char *key, const char *zero,
                           Node *x, const int64_t lo[2], const int64_t hi[2]) {
  const Expr *m = a.get(key);
  if (!m)
    return zero;
  if (m->kind != Expr::Kind::Name ||
      (m->name != zero && m->name != "reflect" && m->name != "replicate" &&
       m->name != "circular"))
    L.diag_.fatal(m->loc, std::string("'") + key + "' is " + zero +
                              ", reflect, replicate or circular");
  const std::string &mode = m->name;
  for (int64_t axis = 0; axis < 2; ++axis) {
    int64_t n = x->type.dims[axis];
    int64_t limit = mode == "reflect" ? n - 1 : (mode == "circular" ? n : INT64_MAX);
    if (lo[axis] > limit || hi[axis] > limit)
      L.diag_.fatal(a.loc("padding"), std::string(key) + " " + mode + " pads at most " +
                                          std::to_string(limit) + " along an axis of " +
                                          std::to_string(n) + ", got " +
                                          std::to_string(std::max(lo[axis], hi[axis])));
  }
  return mode;
}

/// conv's `padding_mode:` zeros (the window reads zeros), or reflect,
/// replicate, circular as PyTorch's Conv2d: the image is padded first and
/// the window then has no padding of its own.
static Node *padByMode(Lowering &L, const CallArgs &a, Node *x, Window &w) {
  int64_t lo[2] = {w.padTop, w.padLeft}, hi[2] = {w.padBottom, w.padRight};
  std::string mode = padMode(L, a, "padding_mode", "zeros", x, lo, hi);
  if (mode == "zeros")
    return x;
  w.padTop = w.padBottom = w.padLeft = w.padRight = 0;
  return padByIndex(L.graph(), x, lo, hi, mode);
}

/// pad(x, padding, mode = constant, value = 0): F.pad of an image [H, W, C]
/// (padding a number or [top, bottom, left, right]) or a sequence [L, C]
/// (a number or [left, right]); nn.ZeroPad2d / ConstantPad / ReflectionPad
/// / ReplicationPad / CircularPad with nnc's side order.
Node *Lowering::padLayer(const Expr &e) {
  Graph &g = graph();
  CallArgs a = bind(e, {"x", "padding", "mode", "value"}, 2);
  Node *x = tensorArg(a, "x");
  size_t rank = x->type.dims.size();
  if ((rank != 2 && rank != 3) || x->type.dtype == DType::I32)
    operandError(*a.get("x"), "'pad' needs an image [height, width, channels] or a sequence "
                              "[length, channels] per sample, got " + x->type.shapeStr());
  bool oneD = rank == 2;
  std::vector<int64_t> dims = x->type.dims;
  if (oneD)
    x = g.reshape(x, {1, dims[0], dims[1]});
  std::vector<int64_t> pads = intList(*a.get("padding"), "padding", 0, 1 << 16);
  if (pads.size() == 1)
    pads.assign(oneD ? 2 : 4, pads[0]);
  if (pads.size() != (oneD ? 2u : 4u))
    diag_.fatal(a.loc("padding"), oneD ? "'padding' is a number or [left, right]"
                                       : "'padding' is a number or [top, bottom, left, right]");
  if (oneD)
    pads.insert(pads.begin(), {0, 0});
  int64_t lo[2] = {pads[0], pads[2]}, hi[2] = {pads[1], pads[3]};
  std::string mode = padMode(*this, a, "mode", "constant", x, lo, hi);
  if (a.get("value") && mode != "constant")
    diag_.fatal(a.loc("value"), "'value' is for mode: constant only");
  int64_t H = x->type.dims[0], W = x->type.dims[1], C = x->type.dims[2];
  int64_t PH = H + lo[0] + hi[0], PW = W + lo[1] + hi[1];
  if (double(PH) * double(PW) * double(C) > double(kMaxElements))
    diag_.fatal(a.loc("padding"), "the padded tensor would have more than 2^32 elements");
  Node *y;
  if (mode == "constant") {
    y = g.pad(x, {lo[0], lo[1], 0}, {PH, PW, C});
    double value = a.get("value") ? scalarLiteral(*a.get("value"), "value") : 0.0;
    if (value != 0) {
      // The border holds `value`: a constant that is `value` there and 0
      // inside, added to the zero-padded image.
      std::vector<double> border(static_cast<size_t>(PH * PW * C), value);
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j)
          for (int64_t c = 0; c < C; ++c)
            border[((i + lo[0]) * PW + j + lo[1]) * C + c] = 0;
      y = g.binary(OpKind::Add, y, g.broadcastTo(g.constant(x->type.dtype, {PH, PW, C}, border),
                                                 y->type));
    }
  } else {
    y = padByIndex(g, x, lo, hi, mode);
  }
  return oneD ? g.reshape(y, {PW, C}) : y;
}

/// y [OH, OW, F] = the windows of x [H, W, C] times kernel [KH, KW, C/G, F].
/// With groups, group g's input channels [g·C/G, (g+1)·C/G) meet its
/// F/G filters (PyTorch's grouping): one GEMM per group over a stack.
static Node *convolve(Graph &g, Node *x, Node *kernel, const Window &w, int64_t groups) {
  int64_t C = x->type.dims[2], F = kernel->type.dims[3];
  int64_t OH = w.outH(x->type.dims[0]), OW = w.outW(x->type.dims[1]);
  int64_t taps = w.kh * w.kw, pixels = OH * OW;
  Node *cols = g.im2col(x, w, 0.0); // [pixels, taps * C], columns (kh, kw, c)
  if (groups == 1) {
    // A per-sample kernel (`weight:` computed from the sample) is a stack of
    // one matrix per sample.
    Node *k = g.reshape(kernel, {taps * C, F});
    Node *y = kernel->type.batched ? g.batchMatMul(cols, k, false, false)
                                   : g.matmul(cols, k, false, false);
    return g.reshape(y, {OH, OW, F});
  }
  int64_t cg = C / groups, fg = F / groups;
  Node *c = g.reshape(cols, {pixels, taps, groups, cg});
  c = g.reshape(g.transpose(c, {2, 0, 1, 3}), {groups, pixels, taps * cg});
  Node *k = g.reshape(kernel, {taps, cg, groups, fg});
  k = g.reshape(g.transpose(k, {2, 0, 1, 3}), {groups, taps * cg, fg});
  Node *y = g.transpose(g.batchMatMul(c, k, false, false), {1, 0, 2}); // [pixels, G, F/G]
  return g.reshape(y, {OH, OW, F});
}

/// PyTorch's ceil_mode: the output size rounds up, so a last, partial
/// window is kept when it starts inside the image or its left padding.
/// That window runs past the padding; the extra rows and columns are
/// padded at the bottom and right, where they never win a maximum and are
/// never counted by an average.
static void ceilMode(Window &w, int64_t H, int64_t W) {
  auto extra = [](int64_t in, int64_t lo, int64_t hi, int64_t k, int64_t s, int64_t d) {
    int64_t span = in + lo + hi - d * (k - 1) - 1;
    int64_t out = (span + s - 1) / s + 1;
    if ((out - 1) * s >= in + lo)
      --out;
    return std::max<int64_t>((out - 1) * s + d * (k - 1) + 1 - (in + lo + hi), 0);
  };
  w.padBottom += extra(H, w.padTop, w.padBottom, w.kh, w.strideH, w.dilationH);
  w.padRight += extra(W, w.padLeft, w.padRight, w.kw, w.strideW, w.dilationW);
}

/// Max or average over each window. The maximum is one kernel each way
/// (Graph::maxPool); its gradient goes to the window's first maximum
/// (row-major window order) as in PyTorch's max_pool2d, not shared among
/// ties as max_to's would be. The average divides by the window's
/// pixels inside `counted` (top, bottom, left, right margins around the
/// image): the image itself by default (TensorFlow), the image and its
/// explicit padding with count_include_pad (PyTorch's default).
static Node *pool(Lowering &L, Node *x, const Window &w, bool isMax, const int64_t counted[4]) {
  Graph &g = L.graph();
  if (isMax)
    return g.maxPool(x, w);
  int64_t H = x->type.dims[0], W = x->type.dims[1], C = x->type.dims[2];
  int64_t OH = w.outH(H), OW = w.outW(W), taps = w.kh * w.kw;
  Node *cols = g.im2col(x, w, 0.0);
  Node *win = g.reshape(cols, {OH * OW, taps, C});
  Node *r = L.reduce(OpKind::SumTo, win, {1}, true);
  std::vector<double> counts;
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow) {
      int64_t n = 0;
      for (int64_t i = 0; i < w.kh; ++i)
        for (int64_t j = 0; j < w.kw; ++j) {
          int64_t ih = oh * w.strideH - w.padTop + i * w.dilationH;
          int64_t iw = ow * w.strideW - w.padLeft + j * w.dilationW;
          n += ih >= -counted[0] && ih < H + counted[1] && iw >= -counted[2] &&
               iw < W + counted[3];
        }
      counts.push_back(double(n));
    }
  Node *count = g.constant(x->type.dtype, {OH * OW, 1, 1}, counts);
  r = g.binary(OpKind::Div, r, g.broadcastTo(count, r->type));
  return g.reshape(r, {OH, OW, C});
}

Node *Lowering::windowLayer(const Expr &e) {
  Graph &g = graph();
  const std::string &fn = e.name;
  if (fn == "pad")
    return padLayer(e);
  if (fn == "global_avgpool") {
    CallArgs a = bind(e, {"x"}, 1);
    Node *x = tensorArg(a, "x");
    size_t rank = x->type.dims.size();
    if (rank != 2 && rank != 3)
      operandError(*a.get("x"), "'global_avgpool' needs [height, width, channels] or "
                                "[length, channels] per sample, got " + x->type.shapeStr());
    return rank == 3 ? mean(x, {0, 1}, false) : mean(x, {0}, false);
  }
  bool oneD = fn.find("1d") != std::string::npos;
  bool pooling = fn.find("pool") != std::string::npos;
  bool transposed = fn == "conv2d_transpose";
  bool isMax = fn.rfind("max", 0) == 0;
  CallArgs a =
      pooling && isMax ? bind(e, {"x", "size", "stride", "padding", "dilation", "ceil_mode"}, 2)
      : pooling ? bind(e, {"x", "size", "stride", "padding", "ceil_mode", "count_include_pad"}, 2)
      : transposed ? bind(e, {"x", "filters", "kernel", "stride", "padding", "output_padding",
                              "dilation", "bias", "init", "bias_init", "name", "trainable",
                              "weight"}, 1)
                   : bind(e, {"x", "filters", "kernel", "stride", "padding", "dilation", "groups",
                              "padding_mode", "bias", "init", "bias_init", "name", "trainable",
                              "weight"}, 1);
  Node *x = tensorArg(a, "x");
  size_t rank = oneD ? 2 : 3;
  if (x->type.dims.size() != rank || x->type.dtype == DType::I32)
    operandError(*a.get("x"), "'" + fn + "' needs " +
                                  (oneD ? "a sequence [length, channels]"
                                        : "an image [height, width, channels]") +
                                  " per sample, got " + x->type.shapeStr());
  if (oneD)
    x = g.reshape(x, {1, x->type.dims[0], x->type.dims[1]});
  int64_t H = x->type.dims[0], W = x->type.dims[1], C = x->type.dims[2];
  // The 1-D layers give back [OL, F]; the 2-D ones [OH, OW, F].
  auto shaped = [&](Node *y) {
    return oneD ? g.reshape(y, {y->type.dims[1], y->type.dims[2]}) : y;
  };
  Node *weight = pooling ? nullptr : weightArg(a, fn, oneD, x);
  if (transposed)
    return transposedConv(a, x, weight);
  Window w = windowArgs(*this, a, fn, oneD, H, W);
  const char *kernelKey = pooling ? "size" : "kernel";
  if (pooling) {
    checkFits(*this, a, kernelKey, w, H, W, oneD);
    int64_t counted[4] = {0, 0, 0, 0};
    auto flag = [&](const char *key) {
      return a.get(key) && scalarLiteral(*a.get(key), key) != 0;
    };
    if (flag("count_include_pad")) {
      counted[0] = w.padTop;
      counted[1] = w.padBottom;
      counted[2] = w.padLeft;
      counted[3] = w.padRight;
    }
    if (flag("ceil_mode"))
      ceilMode(w, H, W);
    return shaped(pool(*this, x, w, isMax, counted));
  }
  if (weight) {
    // The kernel's size is the weight's; 'same' padding depends on it.
    const std::vector<int64_t> &wd = weight->type.dims;
    w.kh = oneD ? 1 : wd[0];
    w.kw = oneD ? wd[0] : wd[1];
    paddingArg(*this, a, oneD, H, W, w);
  }
  int64_t filters = weight ? weight->type.dims.back()
                           : intLiteral(*a.get("filters"), "filters", 1, int64_t(1) << 20);
  int64_t groups = a.get("groups") ? intLiteral(*a.get("groups"), "groups", 1, C) : 1;
  if (C % groups != 0 || filters % groups != 0)
    diag_.fatal(a.loc("groups"), "'groups' " + std::to_string(groups) + " must divide the " +
                                     std::to_string(C) + " input channels and the " +
                                     std::to_string(filters) + " filters");
  if (weight && weight->type.dims[oneD ? 1 : 2] != C / groups)
    operandError(*a.get("weight"),
                 "'" + fn + "' weight " + weight->type.shapeStr() + " needs " +
                     std::to_string(C / groups) + " input channels (" + std::to_string(C) +
                     " channels / " + std::to_string(groups) + " groups) on axis " +
                     (oneD ? "1" : "2"));
  x = padByMode(*this, a, x, w);
  checkFits(*this, a, kernelKey, w, x->type.dims[0], x->type.dims[1], oneD);
  if (weight) {
    Node *kernel = oneD ? g.reshape(weight, {1, w.kw, C / groups, filters}) : weight;
    return shaped(convolve(g, x, kernel, w, groups));
  }
  std::string name = layerName(a, fn);
  // The weight: [KH, KW, C/G, F] (TensorFlow's HWIO), [K, C/G, F] in 1-D;
  // fans as PyTorch computes them from its [F, C/G, KH, KW].
  int64_t cg = C / groups;
  std::vector<int64_t> wdims = oneD ? std::vector<int64_t>{w.kw, cg, filters}
                                    : std::vector<int64_t>{w.kh, w.kw, cg, filters};
  TensorType wt{x->type.dtype, wdims, false};
  int64_t fanIn = w.kh * w.kw * cg, fanOut = w.kh * w.kw * filters;
  Node *kernel = createParam(name + ".weight", wt,
                             layerInit(a, "init", name + ".weight", wt, fanIn, fanOut, false),
                             trainableArg(a), a.call->loc);
  if (oneD)
    kernel = g.reshape(kernel, {1, w.kw, cg, filters});
  Node *y = convolve(g, x, kernel, w, groups);
  return shaped(layerBias(a, name, y, filters, fanIn, fanOut));
}

/// `weight:` of conv1d, conv2d and conv2d_transpose: a tensor in the layer's
/// kernel layout ([K, C/G, F], [KH, KW, C/G, F], [KH, KW, F, C]) instead of
/// a parameter, like PyTorch's F.conv2d(x, weight). It gives the kernel's
/// size and the filters (an error if 'kernel:' or 'filters:' say otherwise);
/// there is no bias and nothing of a parameter's. nullptr when not given,
/// and then 'filters' and 'kernel' are required.
Node *Lowering::weightArg(const CallArgs &a, const std::string &fn, bool oneD, Node *x) {
  if (!a.get("weight")) {
    for (const char *key : {"filters", "kernel"})
      if (!a.get(key))
        diag_.fatal(a.call->loc, "'" + fn + "' needs argument '" + key + "'");
    return nullptr;
  }
  for (const char *key : {"bias", "init", "bias_init", "name", "trainable"})
    if (a.get(key))
      diag_.fatal(a.loc(key), std::string("'") + key + "' with 'weight:': " +
                                  (std::string(key) == "bias"
                                       ? "there is no bias (add one with '+')"
                                       : "no parameter is created"));
  Node *weight = tensorArg(a, "weight");
  const Expr &we = *a.get("weight");
  bool transposed = fn == "conv2d_transpose";
  const char *layout = oneD         ? "[kernel, channels / groups, filters]"
                       : transposed ? "[kernel height, kernel width, filters, channels]"
                                    : "[kernel height, kernel width, channels / groups, filters]";
  if (weight->type.dims.size() != (oneD ? 3u : 4u))
    operandError(we, "'" + fn + "' weight needs " + layout + ", got " + weight->type.shapeStr());
  if (weight->type.dtype != x->type.dtype)
    operandError(we, "'" + fn + "' weight is " + dtypeName(weight->type.dtype) + " but x is " +
                         dtypeName(x->type.dtype));
  const std::vector<int64_t> &wd = weight->type.dims;
  int64_t filters = transposed ? wd[2] : wd.back();
  if (transposed && wd[3] != x->type.dims[2])
    operandError(we, "'" + fn + "' weight " + weight->type.shapeStr() + " needs the " +
                         std::to_string(x->type.dims[2]) + " input channels on axis 3");
  if (const Expr *f = a.get("filters"))
    if (intLiteral(*f, "filters", 1, int64_t(1) << 20) != filters)
      diag_.fatal(a.loc("filters"), "'filters' differs from the weight's " +
                                        std::to_string(filters) + " filters");
  if (a.get("kernel")) {
    std::pair<int64_t, int64_t> k = sizeArg(*this, a, "kernel", oneD, {1, 1});
    std::pair<int64_t, int64_t> fromWeight = oneD ? std::pair<int64_t, int64_t>(1, wd[0])
                                                  : std::make_pair(wd[0], wd[1]);
    if (k != fromWeight)
      diag_.fatal(a.loc("kernel"),
                  "'kernel' differs from the weight's " +
                      (oneD ? std::to_string(wd[0])
                            : std::to_string(wd[0]) + "x" + std::to_string(wd[1])));
  }
  return weight;
}

/// conv2d_transpose(x, filters, kernel, stride, padding, output_padding,
/// dilation): nn.ConvTranspose2d, the adjoint of the conv2d that maps its
/// output back to x's size. Each input pixel's channels times the kernel
/// give its window's contribution (one GEMM), and col2im adds the windows
/// into the [OH, OW, F] output: OH = (H - 1)·stride - 2·padding +
/// dilation·(KH - 1) + output_padding + 1. With `weight` (weightArg) the
/// kernel is that tensor, one GEMM per sample when it is per sample.
Node *Lowering::transposedConv(const CallArgs &a, Node *x, Node *weight) {
  Graph &g = graph();
  int64_t H = x->type.dims[0], W = x->type.dims[1], C = x->type.dims[2];
  Window w;
  std::tie(w.kh, w.kw) = sizeArg(*this, a, "kernel", false, {1, 1});
  if (weight) {
    w.kh = weight->type.dims[0];
    w.kw = weight->type.dims[1];
  }
  std::tie(w.strideH, w.strideW) = sizeArg(*this, a, "stride", false, {1, 1});
  std::tie(w.dilationH, w.dilationW) = sizeArg(*this, a, "dilation", false, {1, 1});
  auto [padH, padW] = sizeArg(*this, a, "padding", false, {0, 0}, 0);
  auto [outPadH, outPadW] = sizeArg(*this, a, "output_padding", false, {0, 0}, 0);
  if (outPadH >= w.strideH || outPadW >= w.strideW)
    diag_.fatal(a.loc("output_padding"), "'output_padding' must be smaller than the stride");
  w.padTop = w.padBottom = padH;
  w.padLeft = w.padRight = padW;
  int64_t OH = (H - 1) * w.strideH - 2 * padH + w.dilationH * (w.kh - 1) + outPadH + 1;
  int64_t OW = (W - 1) * w.strideW - 2 * padW + w.dilationW * (w.kw - 1) + outPadW + 1;
  if (OH < 1 || OW < 1)
    diag_.fatal(a.loc("padding"), "'padding' leaves no output: " + std::to_string(OH) + "x" +
                                      std::to_string(OW));
  if (weight) {
    int64_t F = weight->type.dims[2];
    Node *xs = g.reshape(x, {H * W, C}), *k = g.reshape(weight, {w.kh * w.kw * F, C});
    Node *cols = weight->type.batched ? g.batchMatMul(xs, k, false, true)
                                      : g.matmul(xs, k, false, true);
    return g.col2im(cols, w,
                    TensorType{x->type.dtype, {OH, OW, F}, cols->type.batched});
  }
  int64_t filters = intLiteral(*a.get("filters"), "filters", 1, int64_t(1) << 20);
  std::string name = layerName(a, "conv2d_transpose");
  // Weight [KH, KW, F, C] (TensorFlow's conv2d_transpose filter); PyTorch's
  // is [C, F, KH, KW] and its fan_in counts F·KH·KW.
  TensorType wt{x->type.dtype, {w.kh, w.kw, filters, C}, false};
  int64_t taps = w.kh * w.kw, fanIn = taps * filters, fanOut = taps * C;
  Node *kernel = createParam(name + ".weight", wt,
                             layerInit(a, "init", name + ".weight", wt, fanIn, fanOut, false),
                             trainableArg(a), a.call->loc);
  Node *cols = g.matmul(g.reshape(x, {H * W, C}), g.reshape(kernel, {taps * filters, C}), false,
                        true);
  Node *y = g.col2im(cols, w, TensorType{x->type.dtype, {OH, OW, filters}, x->type.batched});
  return layerBias(a, name, y, filters, fanIn, fanOut);
}

/// y + NAME.bias (per channel, the last axis) unless `bias: false`.
Node *Lowering::layerBias(const CallArgs &a, const std::string &name, Node *y, int64_t units,
                          int64_t fanIn, int64_t fanOut) {
  if (a.get("bias") && scalarLiteral(*a.get("bias"), "bias") == 0)
    return y;
  Graph &g = graph();
  TensorType bt{y->type.dtype, {units}, false};
  Node *b = createParam(name + ".bias", bt,
                        layerInit(a, "bias_init", name + ".bias", bt, fanIn, fanOut, true),
                        trainableArg(a), a.call->loc);
  return g.binary(OpKind::Add, y, g.broadcastTo(b, y->type));
}

} // namespace nnc
