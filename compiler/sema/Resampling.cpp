//===- Resampling.cpp - sema: upsample, adaptive pooling, pixel shuffle ---===//
//
// Layers that change an image's (or a sequence's) size by a rule fixed at
// compile time, so each is a constant map applied to the tensor, one
// spatial axis at a time:
//   - nearest upsampling gathers rows and columns at constant indices;
//   - nearest_exact upsampling (PyTorch's 'nearest-exact') likewise;
//   - linear/bilinear upsampling adds two gathers weighted by constants,
//     bicubic four;
//   - adaptive average pooling sums gathers of each window's elements;
//   - pixel shuffle is a reshape and a transpose.
// Their gradients are the gathers' scatter-adds.
// Indices and weights follow PyTorch 1.13's CPU kernels (UpSample.h,
// AdaptiveAveragePooling.cpp; support/Interpolation.h), computed in the
// model's float type as PyTorch computes them, so the numbers are PyTorch's.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"
#include "support/Interpolation.h"

#include <algorithm>
#include <cmath>

namespace nnc {

static const std::set<std::string> kResamplingLayers = {"upsample", "adaptive_avgpool",
                                                        "pixel_shuffle", "pixel_unshuffle"};

bool isResamplingLayer(const std::string &name) { return kResamplingLayers.count(name) != 0; }

/// A constant of `values` along `axis` of x's per-sample shape (1 on the
/// other axes), broadcast to `like`.
static Node *alongAxis(Graph &g, const TensorType &like, int64_t axis,
                       const std::vector<double> &values) {
  std::vector<int64_t> dims(like.dims.size(), 1);
  dims[axis] = int64_t(values.size());
  return g.broadcastTo(g.constant(like.dtype, dims, values), like);
}

/// x's elements along `axis` picked at constant indices.
static Node *pick(Graph &g, Node *x, int64_t axis, const std::vector<int64_t> &indices) {
  std::vector<double> v(indices.begin(), indices.end());
  return g.gather(x, g.constant(DType::I32, {int64_t(v.size())}, v), axis);
}

/// Linear interpolation along one axis: w0·x[i0] + w1·x[i1] per output,
/// two gathers (memory and work in the output's size).
static Node *interpolate(Graph &g, Node *x, int64_t axis, const LinearTaps &taps) {
  Node *a = pick(g, x, axis, taps.index0), *b = pick(g, x, axis, taps.index1);
  return g.binary(OpKind::Add, g.binary(OpKind::Mul, alongAxis(g, a->type, axis, taps.weight0), a),
                  g.binary(OpKind::Mul, alongAxis(g, b->type, axis, taps.weight1), b));
}

/// Bicubic interpolation along one axis: four weighted gathers.
static Node *interpolateCubic(Graph &g, Node *x, int64_t axis, const CubicTaps &taps) {
  Node *sum = nullptr;
  for (int k = 0; k < 4; ++k) {
    Node *v = pick(g, x, axis, taps.index[k]);
    Node *term = g.binary(OpKind::Mul, alongAxis(g, v->type, axis, taps.weight[k]), v);
    sum = sum ? g.binary(OpKind::Add, sum, term) : term;
  }
  return sum;
}

/// Adaptive average pooling along one axis: the k-th element of every
/// output's window is gathered (repeating the last one where a window is
/// shorter, masked out), summed over k and divided by the window's size.
static Node *adaptiveAverage(Graph &g, Node *x, int64_t axis, int64_t out) {
  int64_t in = x->type.dims[axis], longest = 0;
  for (int64_t o = 0; o < out; ++o) {
    Window1D w = adaptiveWindow(o, in, out);
    longest = std::max(longest, w.end - w.begin);
  }
  Node *sum = nullptr;
  std::vector<double> counts;
  for (int64_t k = 0; k < longest; ++k) {
    std::vector<int64_t> index;
    std::vector<double> inside;
    for (int64_t o = 0; o < out; ++o) {
      Window1D w = adaptiveWindow(o, in, out);
      index.push_back(std::min(w.begin + k, w.end - 1));
      inside.push_back(w.begin + k < w.end ? 1.0 : 0.0);
      if (k == 0)
        counts.push_back(double(w.end - w.begin));
    }
    Node *term = pick(g, x, axis, index);
    if (std::find(inside.begin(), inside.end(), 0.0) != inside.end())
      term = g.binary(OpKind::Mul, term, alongAxis(g, term->type, axis, inside));
    sum = sum ? g.binary(OpKind::Add, sum, term) : term;
  }
  return g.binary(OpKind::Div, sum, alongAxis(g, sum->type, axis, counts));
}

Node *Lowering::resampling(const Expr &e) {
  Graph &g = graph();
  const std::string &fn = e.name;
  bool shuffle = fn == "pixel_shuffle" || fn == "pixel_unshuffle";
  CallArgs a = fn == "upsample" ? bind(e, {"x", "scale_factor", "size", "mode", "align_corners"}, 1)
               : shuffle        ? bind(e, {"x", fn == "pixel_shuffle" ? "upscale_factor"
                                                                        : "downscale_factor"}, 2)
                                : bind(e, {"x", "output_size"}, 2);
  Node *x = tensorArg(a, "x");
  size_t rank = x->type.dims.size();
  if ((rank != 3 && (shuffle || rank != 2)) || x->type.dtype == DType::I32)
    operandError(*a.get("x"), "'" + fn + "' needs an image [height, width, channels]" +
                                  (shuffle ? "" : " or a sequence [length, channels]") +
                                  " per sample, got " + x->type.shapeStr());
  size_t spatial = rank - 1; // the axes before the channels
  std::vector<int64_t> dims = x->type.dims;

  if (shuffle) {
    const std::string key = a.names[1];
    int64_t r = intLiteral(*a.get(key), key, 1, 1 << 10);
    int64_t H = dims[0], W = dims[1], C = dims[2];
    if (fn == "pixel_shuffle") {
      // PyTorch's channel c·r² + i·r + j goes to pixel (h·r + i, w·r + j).
      if (C % (r * r) != 0)
        operandError(*a.get("x"), "'pixel_shuffle' needs channels divisible by " +
                                      std::to_string(r * r) + ", got " + x->type.shapeStr());
      Node *s = g.reshape(x, {H, W, C / (r * r), r, r});
      return g.reshape(g.transpose(s, {0, 3, 1, 4, 2}), {H * r, W * r, C / (r * r)});
    }
    if (H % r != 0 || W % r != 0)
      operandError(*a.get("x"), "'pixel_unshuffle' needs height and width divisible by " +
                                    std::to_string(r) + ", got " + x->type.shapeStr());
    Node *s = g.reshape(x, {H / r, r, W / r, r, C});
    return g.reshape(g.transpose(s, {0, 2, 4, 1, 3}), {H / r, W / r, C * r * r});
  }

  // The output size per spatial axis: a number, or one per axis.
  auto perAxis = [&](const char *key, auto parse) {
    const Expr *p = a.get(key);
    auto v = parse(*p);
    if (v.size() != 1 && v.size() != spatial)
      diag_.fatal(p->loc, std::string("'") + key + "' is a number" +
                              (spatial == 2 ? " or [height, width]" : ""));
    if (v.size() == 1)
      v.assign(spatial, v[0]);
    return v;
  };
  auto sizes = [&](const char *key) {
    return perAxis(key, [&](const Expr &p) { return intList(p, key, 1, 1 << 20); });
  };

  if (fn == "adaptive_avgpool") {
    std::vector<int64_t> out = sizes("output_size");
    Node *y = x;
    for (size_t axis = 0; axis < spatial; ++axis)
      y = adaptiveAverage(g, y, int64_t(axis), out[axis]);
    return y;
  }

  // upsample(x, scale_factor | size, mode = nearest, align_corners = false)
  std::string mode = "nearest";
  if (const Expr *m = a.get("mode")) {
    const char *linear = spatial == 2 ? "bilinear" : "linear";
    bool known = m->kind == Expr::Kind::Name &&
                 (m->name == "nearest" || m->name == "nearest_exact" || m->name == linear ||
                  (spatial == 2 && m->name == "bicubic"));
    if (!known)
      diag_.fatal(m->loc, std::string("'mode' is nearest, nearest_exact") +
                              (spatial == 2 ? ", bilinear or bicubic for an image"
                                            : " or linear for a sequence"));
    mode = m->name;
  }
  bool alignCorners = false;
  if (const Expr *ac = a.get("align_corners")) {
    alignCorners = scalarLiteral(*ac, "align_corners") != 0;
    if (mode == "nearest" || mode == "nearest_exact")
      diag_.fatal(ac->loc, "'align_corners' applies to linear, bilinear and bicubic upsampling only");
  }
  if (!a.get("scale_factor") == !a.get("size"))
    diag_.fatal(e.loc, "'upsample' takes either 'size' or 'scale_factor'");
  std::vector<int64_t> out;
  std::vector<double> factors(spatial, 0.0); // 0: none given (the scale is I/O)
  if (a.get("size")) {
    out = sizes("size");
  } else {
    factors = perAxis("scale_factor", [&](const Expr &p) {
      std::vector<double> v;
      if (p.kind == Expr::Kind::Array)
        for (const auto &item : p.operands)
          v.push_back(scalarLiteral(*item, "scale_factor"));
      else
        v.push_back(scalarLiteral(p, "scale_factor"));
      for (double f : v)
        if (!(f > 0) || f > (1 << 20))
          diag_.fatal(p.loc, "'scale_factor' must be positive");
      return v;
    });
    for (size_t axis = 0; axis < spatial; ++axis) {
      // Python's floor(float(size) * scale_factor), as nn.Upsample.
      int64_t o = int64_t(std::floor(double(dims[axis]) * factors[axis]));
      if (o < 1 || o > (1 << 20))
        diag_.fatal(a.loc("scale_factor"), "'scale_factor' gives an output of " +
                                               std::to_string(o) + " along an axis of " +
                                               std::to_string(dims[axis]));
      out.push_back(o);
    }
  }
  // The last axis first: bilinear then sums as PyTorch's kernel does,
  // h0·(w0·x00 + w1·x01) + h1·(w0·x10 + w1·x11).
  Node *y = x;
  for (int64_t axis = int64_t(spatial) - 1; axis >= 0; --axis) {
    int64_t in = dims[axis];
    bool f32 = x->type.dtype != DType::F64;
    if (mode == "nearest" || mode == "nearest_exact") {
      std::vector<int64_t> index;
      for (int64_t o = 0; o < out[axis]; ++o)
        index.push_back(mode == "nearest" ? nearestSource(o, in, out[axis], factors[axis])
                                          : nearestExactSource(o, in, out[axis], factors[axis]));
      y = pick(g, y, axis, index);
    } else if (mode == "bicubic") {
      y = interpolateCubic(g, y, axis, cubicTaps(in, out[axis], alignCorners, factors[axis], f32));
    } else {
      y = interpolate(g, y, axis, linearTaps(in, out[axis], alignCorners, factors[axis],
                                             x->type.dtype != DType::F64));
    }
  }
  return y;
}

} // namespace nnc
