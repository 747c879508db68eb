//===- Resampling.cpp - sema: upsample, adaptive pooling, pixel shuffle ---===//
//
// Layers that change an image's (or a sequence's) size by a rule fixed at
// compile time, so each is a constant map applied to the tensor:
//   - nearest upsampling gathers rows and columns at constant indices;
//   - linear/bilinear upsampling and adaptive average pooling are separable
//     weighted sums, one constant matrix per spatial axis (a GEMM each);
//   - pixel shuffle is a reshape and a transpose.
// Indices and weights follow PyTorch 1.13's CPU kernels (UpSample.h,
// AdaptiveAveragePooling.cpp; support/Interpolation.h), computed in the
// model's float type as PyTorch computes them, so the numbers are PyTorch's.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"
#include "support/Interpolation.h"

#include <cmath>

namespace nnc {

static const std::set<std::string> kResamplingLayers = {"upsample", "adaptive_avgpool",
                                                        "pixel_shuffle", "pixel_unshuffle"};

bool isResamplingLayer(const std::string &name) { return kResamplingLayers.count(name) != 0; }

/// x with axis `axis` (of size I) replaced by M @ that axis, M a constant
/// [O, I]: the axis is moved last, multiplied by M^T and moved back.
static Node *alongAxis(Graph &g, Node *x, int64_t axis, int64_t outSize,
                       const std::vector<double> &M) {
  int64_t rank = int64_t(x->type.dims.size()), inSize = x->type.dims[axis];
  std::vector<int64_t> toLast, back(rank);
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      toLast.push_back(i);
  toLast.push_back(axis);
  for (int64_t i = 0; i < rank; ++i)
    back[toLast[i]] = i;
  Node *m = g.constant(x->type.dtype, {outSize, inSize}, M);
  Node *y = g.matmul(g.transpose(x, toLast), m, false, true);
  return g.transpose(y, back);
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
      y = alongAxis(g, y, int64_t(axis), out[axis], adaptiveAverageWeights(dims[axis], out[axis]));
    return y;
  }

  // upsample(x, scale_factor | size, mode = nearest, align_corners = false)
  std::string mode = "nearest";
  if (const Expr *m = a.get("mode")) {
    const char *linear = spatial == 2 ? "bilinear" : "linear";
    if (m->kind != Expr::Kind::Name || (m->name != "nearest" && m->name != linear))
      diag_.fatal(m->loc, std::string("'mode' is nearest or ") + linear + " for " +
                              (spatial == 2 ? "an image" : "a sequence"));
    mode = m->name;
  }
  bool alignCorners = false;
  if (const Expr *ac = a.get("align_corners")) {
    alignCorners = scalarLiteral(*ac, "align_corners") != 0;
    if (mode == "nearest")
      diag_.fatal(ac->loc, "'align_corners' applies to linear and bilinear upsampling only");
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
  Node *y = x;
  for (size_t axis = 0; axis < spatial; ++axis) {
    int64_t in = dims[axis];
    if (mode == "nearest") {
      std::vector<double> index;
      for (int64_t o = 0; o < out[axis]; ++o)
        index.push_back(double(nearestSource(o, in, out[axis], factors[axis])));
      y = g.gather(y, g.constant(DType::I32, {out[axis]}, index), int64_t(axis));
    } else {
      std::vector<double> M = linearWeights(in, out[axis], alignCorners, factors[axis],
                                            x->type.dtype != DType::F64);
      y = alongAxis(g, y, int64_t(axis), out[axis], M);
    }
  }
  return y;
}

} // namespace nnc
