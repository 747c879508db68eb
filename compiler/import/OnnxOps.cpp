//===- OnnxOps.cpp - what each ONNX op becomes in .nn source ---------------===//
//
// One function per op family, looked up by op type in kOps at the bottom.
// Each reads its inputs through the GraphTranslator, writes a .nn
// expression, and defines its outputs with their ONNX shapes. Layers are
// used where one fits (Conv -> conv2d, Gemm -> dense, MaxPool -> maxpool):
// their weights are moved into nnc's layout here, once.
//
//===----------------------------------------------------------------------===//
#include "import/GraphTranslator.h"
#include "support/Interpolation.h"
#include "support/StoredValues.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>

namespace nnc::onnx_import {

namespace {

using T = GraphTranslator;

std::string list(const std::vector<int64_t> &v) { return dimsText(v); }

/// Whether numpy broadcasting joins the two shapes (the batch axis aside).
bool broadcastable(const Value &a, const Value &b) {
  size_t r = std::min(a.dims.size(), b.dims.size());
  for (size_t k = 1; k <= r; ++k) {
    int64_t da = a.dims[a.dims.size() - k], db = b.dims[b.dims.size() - k];
    bool batch = (a.batched && static_cast<int>(a.dims.size() - k) == a.batchAxis) ||
                 (b.batched && static_cast<int>(b.dims.size() - k) == b.batchAxis);
    if (da != db && da != 1 && db != 1 && !batch)
      return false;
  }
  return true;
}

std::vector<int64_t> broadcastDims(const Value &a, const Value &b) {
  size_t r = std::max(a.dims.size(), b.dims.size());
  std::vector<int64_t> out(r, 1);
  for (size_t k = 0; k < r; ++k) {
    int64_t da = k < r - a.dims.size() ? 1 : a.dims[k - (r - a.dims.size())];
    int64_t db = k < r - b.dims.size() ? 1 : b.dims[k - (r - b.dims.size())];
    out[k] = da == 1 ? db : da;
  }
  return out;
}


/// `e` reshaped to the per-sample dims; to a scalar (no dims) as the sum of
/// its one element, since a reshape keeps at least one axis.
std::string reshapeTo(const std::string &e, const std::vector<int64_t> &dims) {
  return dims.empty() ? "sum(" + e + ")" : "reshape(" + e + ", " + list(dims) + ")";
}

/// A constant's value as an integer (an index, a size, an axis): NaN and
/// magnitudes past 2^62 are refused, not converted (undefined behaviour).
int64_t integer(T &t, double v) {
  if (!(std::fabs(v) <= double(int64_t(1) << 62)))
    t.fail("the integer " + (std::isnan(v) ? std::string("NaN") : std::to_string(v)) +
           " is out of range");
  return static_cast<int64_t>(v);
}

/// `e` (of ONNX type `from`) cast to the nnc type `to` computes in, when
/// they differ (integers compute in f64, floats in f32).
std::string inTypeOf(const std::string &e, int32_t from, int32_t to) {
  std::string want = T::nnType(to, {});
  return T::nnType(from, {}) == want ? e : "cast(" + e + ", " + want + ")";
}

/// The number of elements of a tensor of `dims` (1 for none).
int64_t product(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// The constant [0, 1, ..., size - 1], which an index is compared with
/// (OneHot, GridSample's pixels, GatherElements and ScatterElements).
Value positionsOf(int64_t size, int32_t elemType) {
  Value v;
  v.elemType = elemType;
  v.dims = {size};
  Tensor r;
  r.elemType = elemType;
  r.dims = {size};
  for (int64_t i = 0; i < size; ++i)
    r.values.push_back(double(i));
  v.constant = r;
  return v;
}

// --- shapes computed at import time ------------------------------------------

bool isConstant(const Value &v) { return v.constant && v.id.empty(); }

std::vector<int64_t> stridesOf(const std::vector<int64_t> &dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int k = static_cast<int>(dims.size()) - 2; k >= 0; --k)
    s[k] = s[k + 1] * dims[k + 1];
  return s;
}

/// A constant whose element at each index of `dims` is x's element at the
/// flat index `source` gives (slices and permutations of shape arithmetic).
Tensor remapConstant(const Tensor &x, const std::vector<int64_t> &dims,
                     const std::function<int64_t(const std::vector<int64_t> &)> &source) {
  Tensor out;
  out.elemType = x.elemType;
  out.dims = dims;
  std::vector<int64_t> so = stridesOf(dims), coords(dims.size());
  for (int64_t o = 0; o < out.count(); ++o) {
    for (size_t k = 0; k < dims.size(); ++k)
      coords[k] = (o / so[k]) % dims[k];
    out.values.push_back(x.values[source(coords)]);
  }
  return out;
}

/// The element of constant `x` that element `o` of a broadcast result of
/// `dims` (strides `so`) reads, with numpy broadcasting.
int64_t broadcastSource(const Tensor &x, const std::vector<int64_t> &dims,
                        const std::vector<int64_t> &so, int64_t o) {
  int64_t i = 0, stride = 1;
  for (int k = static_cast<int>(x.dims.size()) - 1, ko = static_cast<int>(dims.size()) - 1;
       k >= 0; --k, --ko) {
    int64_t coord = (o / so[size_t(ko)]) % dims[size_t(ko)];
    i += (x.dims[size_t(k)] == 1 ? 0 : coord) * stride;
    stride *= x.dims[size_t(k)];
  }
  return i;
}

/// Elementwise arithmetic of two constants with numpy broadcasting.
Tensor foldBinary(T &t, const Tensor &a, const Tensor &b, const std::string &op) {
  Value va, vb;
  va.dims = a.dims;
  vb.dims = b.dims;
  Tensor out;
  out.elemType = a.elemType;
  out.dims = broadcastDims(va, vb);
  int64_t n = out.count();
  std::vector<int64_t> so = stridesOf(out.dims);
  auto index = [&](const Tensor &x, int64_t o) { return broadcastSource(x, out.dims, so, o); };
  bool integer = isInteger(a.elemType);
  for (int64_t o = 0; o < n; ++o) {
    double x = a.values[index(a, o)], y = b.values[index(b, o)];
    if (x == kBatchSize || y == kBatchSize) {
      if (op == "max" || op == "min")
        t.fail("compares the batch size with a number");
      t.notPerSample("computes with the batch size");
    }
    double r = op == "+" ? x + y : op == "-" ? x - y : op == "*" ? x * y
             : op == "/" ? (integer ? (y == 0 ? 0 : std::trunc(x / y)) : x / y) // C's division
             : op == "^" ? std::pow(x, y) : op == "fmod" ? std::fmod(x, y)
             : op == "%" ? x - y * std::floor(x / y) // the sign of the divisor
             : op == "<" ? double(x < y) : op == "<=" ? double(x <= y)
             : op == ">" ? double(x > y) : op == ">=" ? double(x >= y)
             : op == "==" ? double(x == y) : op == "!=" ? double(x != y)
             : op == "max" ? std::max(x, y) : std::min(x, y);
    if (integer && (op == "/" || op == "%" || op == "fmod") && y == 0)
      t.fail("divides an integer by zero");
    out.values.push_back(r);
  }
  return out;
}

void shape(T &t) {
  Value &x = t.input(0);
  Tensor out;
  out.elemType = onnx::TensorProto_DataType_INT64;
  int64_t r = x.rank();
  int64_t start = t.intAttr("start", 0), end = t.intAttr("end", r);
  start = std::clamp<int64_t>(start < 0 ? start + r : start, 0, r);
  end = std::clamp<int64_t>(end < 0 ? end + r : end, 0, r);
  for (int64_t k = start; k < end; ++k)
    out.values.push_back(x.batched && k == x.batchAxis ? kBatchSize : double(x.dims[k]));
  out.dims = {static_cast<int64_t>(out.values.size())};
  t.defineConstant(0, out);
}

std::string indexMatches(T &t, Value &idx, int64_t size, int32_t elemType,
                         std::vector<int64_t> column = {});
void gatherComputed(T &t, Value &data, Value &idx, int64_t a);

/// Gather(weight, token ids): an embedding layer.
void embedding(T &t, Value &table, Value &ids) {
  const Tensor &w = *table.constant;
  std::string name = t.layerName(table.initializer, "");
  t.addWeight(name + ".weight", w.dims, w.values);
  std::vector<int64_t> dims = ids.dims;
  dims.push_back(w.dims[1]);
  t.define(0, "embedding(" + ids.id + ", " + std::to_string(w.dims[0]) + ", " +
                  std::to_string(w.dims[1]) + ", name: \"" + name + "\")",
           dims, table.elemType, ids.batched);
}

void gather(T &t) {
  Value &data = t.input(0);
  if (!t.input(1).constant && t.input(1).indices && isConstant(data) && !t.sharedWeight(data) &&
      !data.initializer.empty() && data.rank() == 2 && t.intAttr("axis", 0) == 0) {
    embedding(t, data, t.input(1));
    return;
  }
  int64_t a = t.axis(t.intAttr("axis", 0), data.rank());
  if (!t.input(1).constant && !isFloat(t.input(1).elemType)) {
    // Indices fed at run time (a class(N) input): data[:, ..., idx].
    Value &ids = t.input(1);
    if (!ids.indices) { // integers computed in the graph (numbers in f64)
      gatherComputed(t, data, ids, a);
      return;
    }
    if (ids.batched && (data.batched || a != 0))
      t.notPerSample("gathers with indices per sample along an axis other than a table's first");
    if (data.batched && a == 0)
      t.notPerSample("gathers along the batch axis");
    std::string items;
    for (int k = data.batched ? 1 : 0; k < data.rank(); ++k)
      items += (items.empty() ? "" : ", ") + (k == a ? t.onnxOrder(ids) : std::string(":"));
    std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + a);
    dims.insert(dims.end(), ids.dims.begin(), ids.dims.end());
    dims.insert(dims.end(), data.dims.begin() + a + 1, data.dims.end());
    t.define(0, t.onnxOrder(data) + "[" + items + "]", dims, data.elemType,
             data.batched || ids.batched);
    return;
  }
  const Tensor &idx = t.constantInput(1, "the indices");
  if (!isConstant(data)) {
    // Constant indices into a computed tensor (z[:, -1]): an index, or
    // slices joined along the axis.
    if (data.batched && a == 0)
      t.notPerSample("gathers along the batch axis");
    if (idx.count() > 64 || idx.dims.size() > 1)
      t.fail("more than 64 constant indices, or indices of rank 2 or more, are not supported");
    std::string xe = t.onnxOrder(data);
    int first = data.batched ? 1 : 0;
    auto item = [&](const std::string &at) {
      std::string items;
      for (int k = first; k < data.rank(); ++k)
        items += (items.empty() ? "" : ", ") + (k == a ? at : std::string(":"));
      return xe + "[" + items + "]";
    };
    auto index = [&](double v) {
      int64_t i = integer(t, v);
      if (i < -data.dims[a] || i >= data.dims[a])
        t.fail("index " + std::to_string(i) + " is out of range for " + std::to_string(data.dims[a]) +
               " entries");
      return i < 0 ? i + data.dims[a] : i;
    };
    std::vector<int64_t> dims = data.dims;
    if (idx.dims.empty()) {
      dims.erase(dims.begin() + a);
      t.define(0, item(std::to_string(index(idx.values[0]))), dims, data.elemType, data.batched);
      return;
    }
    std::string parts;
    for (double v : idx.values) {
      int64_t i = index(v);
      parts += (parts.empty() ? "" : ", ") + item(std::to_string(i) + ":" + std::to_string(i + 1));
    }
    dims[a] = idx.count();
    t.define(0, idx.count() == 1 ? parts : "concat(" + parts + ", axis: " + std::to_string(a - first) + ")",
             dims, data.elemType, data.batched);
    return;
  }
  const Tensor &d = *data.constant;
  Tensor out;
  out.elemType = d.elemType;
  out.dims.assign(d.dims.begin(), d.dims.begin() + a);
  out.dims.insert(out.dims.end(), idx.dims.begin(), idx.dims.end());
  out.dims.insert(out.dims.end(), d.dims.begin() + a + 1, d.dims.end());
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < a; ++k)
    outer *= d.dims[k];
  for (size_t k = a + 1; k < d.dims.size(); ++k)
    inner *= d.dims[k];
  for (int64_t o = 0; o < outer; ++o)
    for (double iv : idx.values) {
      int64_t i = integer(t, iv);
      if (i < 0)
        i += d.dims[a];
      if (i < 0 || i >= d.dims[a])
        t.fail("index " + std::to_string(integer(t, iv)) + " is out of range for " +
               std::to_string(d.dims[a]) + " entries");
      for (int64_t k = 0; k < inner; ++k)
        out.values.push_back(d.values[(o * d.dims[a] + i) * inner + k]);
    }
  t.defineConstant(0, out);
}

void pad(T &t) {
  Value &x = t.input(0);
  std::string mode = t.stringAttr("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    t.fail("mode '" + mode + "' is not an ONNX padding mode");
  std::vector<int64_t> pads;
  double value = 0;
  if (t.opset() < 11) {
    pads = t.intsAttr(t.opset() < 2 ? "paddings" : "pads");
    value = t.floatAttr("value", 0);
  } else {
    for (double v : t.constantInput(1, "the pads").values)
      pads.push_back(integer(t, v));
    if (t.hasInput(2))
      value = t.constantInput(2, "the padding value").values.at(0);
    if (t.hasInput(3))
      t.fail("the axes input is not supported");
  }
  if (static_cast<int>(pads.size()) != 2 * x.rank())
    t.fail("pads has " + std::to_string(pads.size()) + " entries for a tensor of rank " +
           std::to_string(x.rank()));
  if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) {
    t.alias(0, x);
    return;
  }
  std::string e = t.onnxOrder(x);
  std::vector<int64_t> dims = x.dims;
  int first = x.batched ? 1 : 0;
  for (int k = 0; k < x.rank(); ++k) {
    int64_t before = pads[k], after = pads[k + x.rank()];
    if (before == 0 && after == 0)
      continue;
    if (before < 0 || after < 0)
      t.fail("negative pads (cropping) are not supported");
    double blockElements = double(std::max(before, after));
    for (int j = 0; j < x.rank(); ++j)
      if (j != k && !(x.batched && j == x.batchAxis))
        blockElements *= double(dims[j]);
    if (std::max(before, after) > 65536 || blockElements > double(int64_t(1) << 28))
      t.fail("padding of " + std::to_string(std::max(before, after)) + " is too large");
    if (x.batched && k == 0)
      t.notPerSample("pads the batch axis");
    if (mode != "constant") {
      // Reflect (mirror without the edge) or edge (repeat it): slices of
      // one element along the axis, concatenated around the tensor.
      int64_t size = dims[k];
      if (mode == "reflect" && (before >= size || after >= size))
        t.fail("reflect padding of " + std::to_string(std::max(before, after)) +
               " needs more than " + std::to_string(size) + " elements along the axis");
      auto at = [&](int64_t i) {
        std::string items;
        for (int j = first; j < x.rank(); ++j)
          items += (items.empty() ? "" : ", ") +
                   (j == k ? std::to_string(i) + ":" + std::to_string(i + 1) : std::string(":"));
        return e + "[" + items + "]";
      };
      std::string parts;
      for (int64_t i = before; i >= 1; --i)
        parts += at(mode == "reflect" ? i : 0) + ", ";
      parts += e;
      for (int64_t i = 1; i <= after; ++i)
        parts += ", " + at(mode == "reflect" ? size - 1 - i : size - 1);
      dims[k] += before + after;
      e = t.temporary(t.node().output(0) + "_pad", "concat(" + parts + ", axis: " +
                                                       std::to_string(k - first) + ")");
      continue;
    }
    // Concatenate constant blocks before and after along the axis.
    std::vector<int64_t> block(dims.begin() + first, dims.end());
    std::string parts;
    for (int64_t n : {before, after}) {
      if (n == 0) {
        parts += parts.empty() ? e : "";
        continue;
      }
      block[k - first] = n;
      Tensor c;
      c.elemType = x.elemType;
      c.dims = block;
      c.values.assign(static_cast<size_t>(c.count()), value);
      Value cv;
      cv.constant = c;
      cv.elemType = c.elemType;
      cv.dims = c.dims;
      std::string id = t.onnxOrder(cv);
      parts += parts.empty() && n == before ? id + ", " + e : ", " + id;
    }
    dims[k] += before + after;
    e = "concat(" + parts + ", axis: " + std::to_string(k - first) + ")";
    if (k + 1 < x.rank()) // name the intermediate for the next axis
      e = t.temporary(t.node().output(0) + "_pad", e);
  }
  t.define(0, e, dims, x.elemType, x.batched);
}

void slice(T &t) {
  Value &x = t.input(0);
  std::vector<int64_t> starts, ends, axes, steps;
  if (t.opset() < 10) {
    starts = t.intsAttr("starts");
    ends = t.intsAttr("ends");
    axes = t.intsAttr("axes");
  } else {
    auto ints = [&](int i, const char *what) {
      std::vector<int64_t> v;
      for (double d : t.constantInput(i, what).values)
        v.push_back(d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : static_cast<int64_t>(d));
      return v;
    };
    starts = ints(1, "starts");
    ends = ints(2, "ends");
    if (t.hasInput(3))
      axes = ints(3, "axes");
    if (t.hasInput(4))
      steps = ints(4, "steps");
  }
  if (axes.empty())
    for (size_t k = 0; k < starts.size(); ++k)
      axes.push_back(static_cast<int64_t>(k));
  if (starts.size() != axes.size() || ends.size() != axes.size() ||
      (!steps.empty() && steps.size() != axes.size()))
    t.fail("starts, ends, axes and steps have different lengths");
  if (x.fill) { // a fill sliced along its other axes is a smaller fill
    Value v = x;
    for (size_t k = 0; k < axes.size(); ++k) {
      int64_t a = t.axis(axes[k], x.rank()), d = x.dims[a];
      if (a == x.batchAxis)
        t.notPerSample("slices the batch axis");
      if (!steps.empty() && steps[k] != 1)
        t.fail("steps other than 1 are not supported here");
      auto wrap = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + d : i, 0, d); };
      v.dims[a] = std::max<int64_t>(0, wrap(ends[k]) - wrap(starts[k]));
    }
    t.alias(0, v);
    return;
  }
  std::vector<int64_t> lo(x.rank(), 0), hi(x.dims.begin(), x.dims.end()), step(x.rank(), 1);
  for (size_t k = 0; k < axes.size(); ++k) {
    int64_t a = t.axis(axes[k], x.rank());
    int64_t st = steps.empty() ? 1 : steps[k];
    if (st == 0)
      t.fail("a step of 0 is not allowed");
    int64_t d = x.dims[a];
    auto wrap = [&](int64_t v) { return v < 0 ? (v == INT64_MIN ? -1 : v + d) : v; };
    if (st > 0) {
      lo[a] = std::clamp<int64_t>(wrap(starts[k]), 0, d);
      hi[a] = std::max(lo[a], std::clamp<int64_t>(wrap(ends[k]), 0, d));
    } else { // backwards: from lo down to (not including) hi
      lo[a] = std::clamp<int64_t>(wrap(starts[k]), 0, d - 1);
      hi[a] = std::clamp<int64_t>(ends[k] == INT64_MIN ? -1 : wrap(ends[k]), -1, d - 1);
    }
    step[a] = st;
    if (x.batched && a == 0 && (lo[a] != 0 || hi[a] != d || st != 1))
      t.notPerSample("slices the batch axis");
  }
  std::vector<int64_t> dims;
  for (int k = 0; k < x.rank(); ++k) {
    int64_t n = step[k] > 0 ? (hi[k] - lo[k] + step[k] - 1) / step[k]
                            : std::max<int64_t>(0, (lo[k] - hi[k] - step[k] - 1) / -step[k]);
    dims.push_back(x.batched && k == 0 ? x.dims[0] : n);
  }
  if (!isConstant(x))
    for (int k = 0; k < x.rank(); ++k)
      if (dims[k] == 0)
        t.fail("the slice is empty along axis " + std::to_string(k));
  if (isConstant(x)) {
    std::vector<int64_t> si = stridesOf(x.dims);
    t.defineConstant(0, remapConstant(*x.constant, dims, [&](const std::vector<int64_t> &c) {
                       int64_t i = 0;
                       for (int k = 0; k < x.rank(); ++k)
                         i += (c[k] * step[k] + lo[k]) * si[k];
                       return i;
                     }));
    return;
  }
  int first = x.batched ? 1 : 0;
  std::string e = t.onnxOrder(x), items;
  bool sliced = false;
  for (int k = first; k < x.rank(); ++k) {
    bool whole = (lo[k] == 0 && hi[k] == x.dims[k]) || step[k] != 1;
    sliced |= !whole;
    items += (items.empty() ? "" : ", ") +
             (whole ? std::string(":") : std::to_string(lo[k]) + ":" + std::to_string(hi[k]));
  }
  std::string expr = sliced ? e + "[" + items + "]" : e;
  // Other steps (x[::2], a reversal): the picked entries joined along the
  // axis, as a Gather of constant indices is.
  for (int k = first; k < x.rank(); ++k) {
    if (step[k] == 1)
      continue;
    if (dims[k] > 64)
      t.fail("a step other than 1 that picks more than 64 entries is not supported");
    std::string base = expr.find('[') == std::string::npos && expr.find('(') == std::string::npos
                           ? expr
                           : t.temporary(t.node().output(0) + "_part", expr);
    std::string parts;
    for (int64_t j = 0; j < dims[k]; ++j) {
      int64_t i = lo[k] + j * step[k];
      std::string at;
      for (int m = first; m < x.rank(); ++m)
        at += (at.empty() ? "" : ", ") +
              (m == k ? std::to_string(i) + ":" + std::to_string(i + 1) : std::string(":"));
      parts += (parts.empty() ? "" : ", ") + base + "[" + at + "]";
    }
    expr = dims[k] == 1 ? parts : "concat(" + parts + ", axis: " + std::to_string(k - first) + ")";
  }
  t.define(0, expr, dims, x.elemType, x.batched);
}

// --- elementwise -------------------------------------------------------------

/// Unary ops of a constant computed at import time (shape arithmetic).
bool foldUnary(T &t, const std::string &op) {
  Value &x = t.input(0);
  if (!isConstant(x) || !x.initializer.empty())
    return false;
  static const std::map<std::string, double (*)(double)> fns = {
      {"Neg", [](double v) { return -v; }},       {"Abs", [](double v) { return std::fabs(v); }},
      {"Sqrt", [](double v) { return std::sqrt(v); }}, {"Exp", [](double v) { return std::exp(v); }},
      {"Log", [](double v) { return std::log(v); }},   {"Reciprocal", [](double v) { return 1 / v; }},
      {"Relu", [](double v) { return std::max(v, 0.0); }},
      {"Floor", [](double v) { return std::floor(v); }}, {"Ceil", [](double v) { return std::ceil(v); }},
      {"Round", [](double v) { return std::nearbyint(v); }}}; // half to even
  auto it = fns.find(op);
  if (it == fns.end())
    return false;
  Tensor c = *x.constant;
  for (double &v : c.values) {
    if (v == kBatchSize)
      t.notPerSample("computes with the batch size");
    v = it->second(v);
  }
  t.defineConstant(0, c);
  return true;
}

/// trunc(expr), written with floor: ONNX's integer division rounds toward zero.
std::string truncated(T &t, const std::string &expr);
/// `expr` (an integer op's result in f64) wrapped into the range of the
/// 8-, 16- or 32-bit type as fixed-width arithmetic wraps, so that Max, Div,
/// comparisons and the rest see ONNX's value; 64-bit types are left alone
/// (f64 is exact only to 2^53 anyway, see docs/onnx-import.md).
std::string wrapped(T &t, const std::string &expr, int32_t elemType);

void unary(T &t, const std::function<std::string(const std::string &)> &f) {
  Value &x = t.input(0);
  if (foldUnary(t, t.node().op_type()))
    return;
  if (x.constant && x.id.empty())
    t.onnxOrder(x);
  // Neg and Abs of an 8- to 32-bit integer's minimum wrap back to it.
  std::string expr = f(x.id);
  const std::string &op = t.node().op_type();
  if (isInteger(x.elemType) && (op == "Neg" || op == "Abs"))
    expr = wrapped(t, expr, x.elemType);
  t.define(0, expr, x.dims, x.elemType, x.batched, x.perm);
}

std::string call(const std::string &fn, const std::string &x, const std::string &args = "") {
  return fn + "(" + x + (args.empty() ? "" : ", " + args) + ")";
}

/// Opset 6's Add/Sub/Mul/Div with broadcast=1 and `axis`: B's dims line up
/// with A's from `axis` on (not from the right); B gets trailing 1s.
void legacyBroadcast(T &t) {
  if (t.opset() >= 7 || !t.intAttr("broadcast", 0) || !t.hasAttr("axis"))
    return;
  Value &a = t.input(0), &b = t.input(1);
  int64_t axis = t.axis(t.intAttr("axis", 0), a.rank());
  int64_t trailing = a.rank() - axis - b.rank();
  if (trailing <= 0)
    return;
  if (!b.constant || !b.id.empty())
    t.fail("broadcast with an axis needs a constant B");
  b.dims.insert(b.dims.end(), static_cast<size_t>(trailing), 1);
  b.constant->dims = b.dims;
}

struct Operands {
  std::string l, r;
  std::vector<int64_t> dims;
  int32_t elemType = 0;
  bool batched = false;
  std::vector<int> perm;
};
Operands binaryOperands(T &t);

void binary(T &t, const std::string &op) {
  legacyBroadcast(t);
  Value *a = &t.input(0), *b = &t.input(1);
  if (!broadcastable(*a, *b))
    t.fail("shapes " + list(a->dims) + " and " + list(b->dims) + " do not broadcast");
  bool isInt = isInteger(a->elemType);
  if (a->constant && b->constant && a->id.empty() && b->id.empty() &&
      (isInt || (a->initializer.empty() && b->initializer.empty()))) {
    t.defineConstant(0, foldBinary(t, *a->constant, *b->constant, op));
    return;
  }
  Operands o = binaryOperands(t);
  std::string expr;
  if (op == "max" || op == "min")
    expr = std::string(op == "max" ? "maximum" : "minimum") + "(" + o.l + ", " + o.r + ")";
  else
    expr = o.l + " " + op + " " + o.r;
  if (isInt && op == "/")
    expr = truncated(t, expr);
  else if (isInt && (op == "+" || op == "-" || op == "*" || op == "^"))
    expr = wrapped(t, expr, o.elemType);
  t.define(0, expr, o.dims, o.elemType, o.batched, o.perm);
}

std::string truncated(T &t, const std::string &expr) {
  std::string q = t.temporary(t.node().output(0) + "_quotient", expr);
  return "where(" + q + " < 0, -floor(-" + q + "), floor(" + q + "))";
}

std::string wrapped(T &t, const std::string &expr, int32_t elemType) {
  Storage s = storageOf(elemType);
  int bits = storageBits(s);
  if (!isIntegerStorage(s) || bits == 64)
    return expr;
  std::string v = t.temporary(t.node().output(0) + "_wide", expr);
  std::string m = std::to_string(uint64_t(1) << bits);
  if (!isSignedStorage(s))
    return v + " - " + m + " * floor(" + v + " / " + m + ")";
  std::string half = std::to_string(uint64_t(1) << (bits - 1));
  return v + " - " + m + " * floor((" + v + " + " + half + ") / " + m + ")";
}

/// The two operands of a broadcasting binary node as expressions in one
/// layout, and the result's dims.
Operands binaryOperands(T &t) {
  Value *a = &t.input(0), *b = &t.input(1);
  // The batched (or computed) operand sets the layout; constants follow it.
  bool swap = !a->batched && b->batched;
  Value &lead = swap ? *b : *a, &other = swap ? *a : *b;
  if (lead.id.empty())
    t.onnxOrder(lead);
  if (other.batched && lead.batched) {
    if (other.rank() != lead.rank())
      t.notPerSample("broadcasts tensors of ranks " + std::to_string(lead.rank()) + " and " +
                     std::to_string(other.rank()) + " against the batch axis");
    if (other.perm != lead.perm) {
      t.onnxOrder(lead);
      t.onnxOrder(other);
    }
  } else if (!other.constant && !lead.perm.empty()) {
    t.onnxOrder(lead);
  }
  std::string oe = t.operandFor(other, lead), le = lead.id;
  Operands o;
  o.l = swap ? oe : le;
  o.r = swap ? le : oe;
  o.dims = broadcastDims(*a, *b);
  if (lead.batched && !o.dims.empty())
    o.dims[0] = lead.dims[0];
  o.elemType = lead.elemType;
  o.batched = lead.batched || other.batched;
  o.perm = lead.perm;
  return o;
}

/// Mod: fmod 1 (C's fmod, the sign of the dividend) is x - y * trunc(x / y);
/// ONNX defines fmod 0 (the sign of the divisor, x - y * floor(x / y)) for
/// integers only.
void mod(T &t) {
  Value &a = t.input(0), &b = t.input(1);
  bool fmod = t.intAttr("fmod", 0) != 0;
  if (!broadcastable(a, b))
    t.fail("shapes " + list(a.dims) + " and " + list(b.dims) + " do not broadcast");
  if (isConstant(a) && isConstant(b) && a.initializer.empty() && b.initializer.empty()) {
    t.defineConstant(0, foldBinary(t, *a.constant, *b.constant, fmod ? "fmod" : "%"));
    return;
  }
  if (!fmod && !isInteger(a.elemType))
    t.fail("fmod 0 on " + elemTypeName(a.elemType) + " is not defined by ONNX (floating-point "
           "inputs need fmod 1)");
  Operands o = binaryOperands(t);
  if (!fmod) { // integers: the sign of the divisor, as Python's %
    std::string q = t.temporary(t.node().output(0) + "_quotient", "floor(" + o.l + " / " + o.r + ")");
    t.define(0, o.l + " - " + o.r + " * " + q, o.dims, o.elemType, o.batched, o.perm);
    return;
  }
  std::string q = t.temporary(t.node().output(0) + "_quotient", o.l + " / " + o.r);
  t.define(0, o.l + " - " + o.r + " * where(" + q + " < 0, -floor(-" + q + "), floor(" + q + "))",
           o.dims, o.elemType, o.batched, o.perm);
}

void variadic(T &t, const std::string &op) {
  int n = t.inputCount();
  if (n == 1) {
    t.alias(0, t.input(0));
    return;
  }
  if (n == 2 && op != "mean") {
    binary(t, op);
    return;
  }
  // a op b op c ...: every operand broadcast in ONNX order.
  std::string expr;
  std::vector<int64_t> dims;
  bool batched = false;
  Value *lead = nullptr;
  for (int i = 0; i < n; ++i)
    if (t.input(i).batched || !lead)
      lead = lead && lead->batched ? lead : &t.input(i);
  t.onnxOrder(*lead);
  for (int i = 0; i < n; ++i) {
    Value &v = t.input(i);
    if (v.batched && v.rank() != lead->rank())
      t.notPerSample("broadcasts tensors of different ranks against the batch axis");
    std::string e = &v == lead ? v.id : (v.batched ? t.onnxOrder(v) : t.operandFor(v, *lead));
    expr = i == 0 ? e
           : op == "max" ? "maximum(" + expr + ", " + e + ")"
           : op == "min" ? "minimum(" + expr + ", " + e + ")"
                         : expr + " + " + e;
    Value vd;
    vd.dims = v.dims;
    Value dd;
    dd.dims = dims;
    dims = i == 0 ? v.dims : broadcastDims(dd, vd);
    batched |= v.batched;
  }
  if (batched)
    dims[0] = lead->dims[0];
  if (op == "mean")
    expr = "(" + expr + ") / " + std::to_string(n);
  if (op == "+" && isInteger(lead->elemType))
    expr = wrapped(t, expr, lead->elemType);
  if (op == "mean" && isInteger(lead->elemType))
    t.fail("Mean of integers is not supported");
  t.define(0, expr, dims, lead->elemType, batched);
}

// --- matrix products -------------------------------------------------------------

/// dense(x, units) with weight [units, in] = W (or Wᵀ) and an optional bias.
void dense(T &t, Value &x, const Tensor &w, bool transposed, double alpha, const Tensor *bias,
           double beta, const std::string &weightInit, const std::string &biasInit, int out) {
  int64_t in = transposed ? w.dims[1] : w.dims[0], units = transposed ? w.dims[0] : w.dims[1];
  if (in < 1 || units < 1 || units > (int64_t(1) << 24))
    t.fail("a weight of shape " + list(w.dims) + " is not supported (1 to 2^24 units)");
  if (x.rank() < 1 || x.dims.back() != in)
    t.fail("the weight's shape " + list(w.dims) + " does not match the input's last axis");
  std::vector<double> weight(static_cast<size_t>(units * in));
  for (int64_t u = 0; u < units; ++u)
    for (int64_t k = 0; k < in; ++k)
      weight[u * in + k] = alpha * (transposed ? w.values[u * in + k] : w.values[k * units + u]);
  std::string name = t.layerName(weightInit, biasInit);
  t.addWeight(name + ".weight", {units, in}, weight);
  if (bias) {
    std::vector<double> b(static_cast<size_t>(units));
    for (int64_t u = 0; u < units; ++u)
      b[u] = beta * bias->values[bias->count() == 1 ? 0 : u];
    t.addWeight(name + ".bias", {units}, b);
  }
  std::string xe = t.onnxOrder(x);
  std::vector<int64_t> dims = x.dims;
  dims.back() = units;
  t.define(out, "dense(" + xe + ", " + std::to_string(units) + (bias ? "" : ", bias: false") +
                    ", name: \"" + name + "\")",
           dims, x.elemType, x.batched);
}

/// A dense product whose weight (or bias) other nodes use too: written with
/// the one parameter each initializer is (onnxOrder), in ONNX's layout, so
/// the uses train as one weight, as in PyTorch.
void sharedDense(T &t, Value &x, Value &w, bool transposed, double alpha, Value *bias, double beta) {
  if (w.rank() != 2)
    t.fail("the weight must be a matrix");
  int64_t in = transposed ? w.dims[1] : w.dims[0], units = transposed ? w.dims[0] : w.dims[1];
  if (x.rank() < 1 || x.dims.back() != in)
    t.fail("the weight's shape " + list(w.dims) + " does not match the input's last axis");
  std::string we = t.onnxOrder(w);
  std::string expr = "(" + t.onnxOrder(x) + " @ " + (transposed ? "transpose(" + we + ", [1, 0])" : we) + ")";
  if (alpha != 1.0)
    expr = T::number(alpha, x.elemType) + " * " + expr;
  Value result;
  result.dims = x.dims;
  result.dims.back() = units;
  result.batched = x.batched;
  result.elemType = x.elemType;
  if (bias && beta != 0.0)
    expr += " + " + (beta != 1.0 ? T::number(beta, x.elemType) + " * " : std::string()) +
            t.operandFor(*bias, result);
  t.define(0, expr, result.dims, x.elemType, x.batched);
}

void gemmComputed(T &t);

void gemm(T &t) {
  Value &a = t.input(0);
  if (t.sharedWeight(t.input(1)) || (t.hasInput(2) && t.sharedWeight(t.input(2)))) {
    if (t.intAttr("transA", 0) || a.rank() != 2)
      t.fail("A must be a matrix, not transposed, when B is a weight other nodes use too");
    sharedDense(t, a, t.input(1), t.intAttr("transB", 0) != 0, t.floatAttr("alpha", 1.0),
                t.hasInput(2) ? &t.input(2) : nullptr, t.floatAttr("beta", 1.0));
    return;
  }
  if (!t.input(1).constant || !t.input(1).id.empty() || (t.hasInput(2) && !t.input(2).constant)) {
    gemmComputed(t);
    return;
  }
  if (t.intAttr("transA", 0)) {
    if (a.batched)
      t.notPerSample("transposes its batched input A");
    t.fail("transA with a constant A is not supported");
  }
  if (a.rank() != 2)
    t.fail("A must be a matrix");
  const Tensor &w = t.constantInput(1, "B");
  if (w.dims.size() != 2 || w.count() == 0)
    t.fail("B must be a non-empty matrix");
  const Tensor *bias = nullptr;
  std::string biasInit;
  bool transB = t.intAttr("transB", 0) != 0;
  int64_t units = transB ? w.dims[0] : w.dims[1];
  if (t.hasInput(2)) {
    const Tensor &c = t.constantInput(2, "C");
    bool perUnit = c.count() == 1 || (c.count() == units && c.dims.back() == units &&
                                      (c.dims.size() == 1 || c.dims[0] == 1));
    if (!perUnit)
      t.fail("C of shape " + list(c.dims) + " is not a bias (one value per output column)");
    bias = &c;
    biasInit = t.input(2).initializer;
  }
  dense(t, a, w, transB, t.floatAttr("alpha", 1.0), bias, t.floatAttr("beta", 1.0),
        t.input(1).initializer, biasInit, 0);
}

void matmul(T &t) {
  Value &a = t.input(0), &b = t.input(1);
  if (a.rank() < 1 || b.rank() < 1)
    t.fail("a scalar operand is not a matrix");
  if (t.sharedWeight(b) && b.rank() == 2 && a.rank() >= 2 && !a.constant) {
    sharedDense(t, a, b, false, 1.0, nullptr, 1.0);
    return;
  }
  if (isConstant(b) && b.rank() == 2 && !isConstant(a) && a.rank() >= 2 &&
      (a.batched || !b.initializer.empty())) {
    // x @ W + bias (PyTorch's Linear on a sequence): one dense layer; the
    // Add is then skipped.
    std::string biasName;
    if (const Tensor *bias = t.fusableBias(b.dims[1], biasName)) {
      dense(t, a, *b.constant, false, 1.0, bias, 1.0, b.initializer, biasName, 0);
      t.fuseNextAdd();
      return;
    }
    dense(t, a, *b.constant, false, 1.0, nullptr, 1.0, b.initializer, "", 0);
    return;
  }
  if ((a.batched && a.rank() < 2) || (b.batched && b.rank() < 3))
    t.notPerSample("multiplies across the batch axis");
  if ((a.batched && !b.batched && b.rank() >= a.rank()) ||
      (b.batched && !a.batched && a.rank() >= b.rank()))
    t.notPerSample("broadcasts a stack against the batch");
  std::string ae = t.onnxOrder(a), be = t.onnxOrder(b);
  // torch.matmul's shapes: vectors become a row / a column, stacks broadcast.
  std::vector<int64_t> da = a.dims, db = b.dims;
  if (da.size() == 1)
    da.insert(da.begin(), 1);
  if (db.size() == 1)
    db.push_back(1);
  Value sa, sb;
  sa.dims.assign(da.begin(), da.end() - 2);
  sb.dims.assign(db.begin(), db.end() - 2);
  std::vector<int64_t> dims = broadcastDims(sa, sb);
  if (a.rank() > 1)
    dims.push_back(da[da.size() - 2]);
  if (b.rank() > 1)
    dims.push_back(db.back());
  if (a.batched && b.batched)
    dims[0] = a.dims[0];
  t.define(0, ae + " @ " + be, dims, a.elemType, a.batched || b.batched);
}

// --- convolution and pooling ---------------------------------------------------

struct Window {
  std::vector<int64_t> kernel, strides, dilations, pads; // pads: top, bottom, left, right
  std::vector<int64_t> out;
};

/// A window's attributes along each spatial axis of `in` (n axes): ONNX's
/// strides, dilations, pads ([begin..., end...]) and auto_pad, checked, with
/// the output size per axis.
struct AxisWindows {
  std::vector<int64_t> kernel, strides, dilations, begin, end, out;
};

AxisWindows axisWindows(T &t, const std::vector<int64_t> &in, const std::vector<int64_t> &kernel) {
  size_t n = in.size();
  AxisWindows w;
  w.kernel = kernel;
  w.strides = t.intsAttr("strides", std::vector<int64_t>(n, 1));
  w.dilations = t.intsAttr("dilations", std::vector<int64_t>(n, 1));
  std::vector<int64_t> pads = t.intsAttr("pads", std::vector<int64_t>(2 * n, 0));
  if (w.strides.size() != n || w.dilations.size() != n || pads.size() != 2 * n)
    t.fail("strides, dilations and pads must have " + std::to_string(n) + ", " + std::to_string(n) +
           " and " + std::to_string(2 * n) + " entries for " + std::to_string(n) + "-D data");
  for (int64_t v : w.strides)
    if (v < 1 || v > 65536)
      t.fail("stride " + std::to_string(v) + " is out of range (1 to 65536)");
  for (int64_t v : w.dilations)
    if (v < 1 || v > 65536)
      t.fail("dilation " + std::to_string(v) + " is out of range (1 to 65536)");
  std::string autoPad = t.stringAttr("auto_pad", "NOTSET");
  w.begin.assign(pads.begin(), pads.begin() + n);
  w.end.assign(pads.begin() + n, pads.end());
  for (size_t k = 0; k < n; ++k) {
    int64_t effective = (kernel[k] - 1) * w.dilations[k] + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (in[k] + w.strides[k] - 1) / w.strides[k];
      int64_t total = std::max<int64_t>((out - 1) * w.strides[k] + effective - in[k], 0);
      int64_t small = total / 2, large = total - small;
      w.begin[k] = autoPad == "SAME_UPPER" ? small : large;
      w.end[k] = autoPad == "SAME_UPPER" ? large : small;
    } else if (autoPad == "VALID") {
      w.begin[k] = w.end[k] = 0;
    } else if (autoPad != "NOTSET") {
      t.fail("auto_pad '" + autoPad + "' is not an ONNX value");
    }
    for (int64_t p : {w.begin[k], w.end[k]})
      if (p < 0 || p > 65536)
        t.fail("padding " + std::to_string(p) + " is out of range (0 to 65536)");
    int64_t span = in[k] + w.begin[k] + w.end[k] - effective;
    if (span < 0)
      t.fail("the window (" + std::to_string(effective) + ") is larger than the padded input (" +
             std::to_string(in[k] + w.begin[k] + w.end[k]) + ")");
    w.out.push_back(span / w.strides[k] + 1);
  }
  return w;
}

/// The window attributes of a 1-D or 2-D Conv or pool, as 2-D (a 1-D
/// window is 1 x K over a 1 x L image).
Window window(T &t, const Value &x, std::vector<int64_t> kernel) {
  bool oneD = x.rank() == 3;
  std::vector<int64_t> in(x.dims.begin() + 2, x.dims.end());
  AxisWindows a = axisWindows(t, in, kernel);
  if (oneD) {
    a.kernel.insert(a.kernel.begin(), 1);
    a.strides.insert(a.strides.begin(), 1);
    a.dilations.insert(a.dilations.begin(), 1);
    a.begin.insert(a.begin.begin(), 0);
    a.end.insert(a.end.begin(), 0);
    a.out.insert(a.out.begin(), 1);
  }
  return Window{a.kernel, a.strides, a.dilations, {a.begin[0], a.end[0], a.begin[1], a.end[1]}, a.out};
}

/// `defaultStride`: the layer's own (1 for conv2d, the window for pooling).
std::string windowArgs(const Window &w, bool dilation, const std::vector<int64_t> &defaultStride) {
  std::string s = w.strides == defaultStride ? "" : ", stride: " + list(w.strides);
  if (w.pads != std::vector<int64_t>{0, 0, 0, 0})
    s += ", padding: " + list(w.pads);
  if (dilation && w.dilations != std::vector<int64_t>{1, 1})
    s += ", dilation: " + list(w.dilations);
  return s;
}

/// The input of a 1-D or 2-D Conv or pool as an [H, W, C] expression (a
/// 1-D [C, L] sample becomes [1, L, C]).
std::string imageOf(T &t, Value &x) {
  if (x.rank() == 4)
    return t.channelsLast(x);
  std::string xe = t.onnxOrder(x);
  return "reshape(transpose(" + xe + ", [1, 0]), " + list({1, x.dims[2], x.dims[1]}) + ")";
}

/// Defines output `i` of a Conv or pool (of x's type unless `elemType`
/// says otherwise) from its [OH, OW, C] expression.
void defineImage(T &t, const Value &x, const std::string &expr, int64_t channels, const Window &w,
                 int i = 0, int32_t elemType = 0) {
  int32_t type = elemType ? elemType : x.elemType;
  if (x.rank() == 4) {
    t.define(i, expr, {x.dims[0], channels, w.out[0], w.out[1]}, type, true, {1, 2, 0});
    return;
  }
  t.define(i, "reshape(" + expr + ", " + list({w.out[1], channels}) + ")",
           {x.dims[0], channels, w.out[1]}, type, true, {1, 0});
}

/// Input 0 of a Conv or pool: a batch of 1-D [N, C, L] or 2-D [N, C, H, W] data.
Value &imageInput(T &t, const std::string &what) {
  Value &x = t.input(0);
  if (x.rank() != 4 && x.rank() != 3)
    t.fail(what + " over " + std::to_string(x.rank() - 2) +
           "-D data is not supported (1-D [N, C, L] and 2-D [N, C, H, W] only)");
  if (!x.batched)
    t.notPerSample("needs the batch on axis 0");
  return x;
}

/// A Conv's or ConvTranspose's optional bias (input 2), one value per filter.
const Tensor *convBias(T &t, int64_t filters) {
  if (!t.hasInput(2))
    return nullptr;
  const Tensor &bias = t.constantInput(2, "the bias");
  if (bias.count() != filters)
    t.fail("the bias has " + std::to_string(bias.count()) + " values for " +
           std::to_string(filters) + " filters");
  return &bias;
}

/// The image of a Conv or ConvTranspose whose weight is not a constant: the
/// import then takes whole tensors as samples (the weight is one more
/// per-sample tensor), and nnc's layers take one [H, W, C] image per
/// sample, so N must be 1. A 1-D [1, C, L] input becomes [1, L, C].
std::string singleImage(T &t, Value &x, const std::string &what) {
  if (x.rank() != 4 && x.rank() != 3)
    t.fail(what + " over " + std::to_string(x.rank() - 2) +
           "-D data is not supported (1-D [N, C, L] and 2-D [N, C, H, W] only)");
  if (x.batched || t.input(1).batched)
    t.notPerSample("takes its weight from a tensor that is not a constant");
  if (x.dims[0] != 1)
    t.fail(what + " with a weight that is not a constant takes one image (N = 1), not " +
           std::to_string(x.dims[0]));
  std::string xe = t.onnxOrder(x);
  if (x.rank() == 4)
    return "transpose(reshape(" + xe + ", " + list({x.dims[1], x.dims[2], x.dims[3]}) +
           "), [1, 2, 0])";
  return "reshape(transpose(reshape(" + xe + ", " + list({x.dims[1], x.dims[2]}) + "), [1, 0]), " +
         list({1, x.dims[2], x.dims[1]}) + ")";
}

/// Defines the [1, F, spatial...] result of a Conv or ConvTranspose from its
/// single image y [OH, OW, F] (singleImage's case).
void defineSingleImage(T &t, const Value &x, const std::string &y, std::vector<int64_t> dims) {
  std::string ye = t.temporary(t.node().output(0) + "_hwc", y);
  t.define(0, "reshape(transpose(" + ye + ", [2, 0, 1]), " + list(dims) + ")", dims, x.elemType,
           false);
}

/// Conv with a weight that is not a constant: conv2d's `weight:` form, the
/// [F, C / group, KH, KW] tensor transposed to nnc's [KH, KW, C / group, F]
/// in the model; the bias, if any, added after.
void convComputed(T &t) {
  Value &x = t.input(0);
  std::string xe = singleImage(t, x, "convolution");
  Value &wv = t.input(1);
  bool oneD = x.rank() == 3;
  if (wv.rank() != x.rank())
    t.fail("the weight must have shape [filters, channels, kernel...]");
  int64_t group = t.intAttr("group", 1);
  int64_t F = wv.dims[0], C = wv.dims[1], KH = oneD ? 1 : wv.dims[2], KW = wv.dims.back();
  if (group < 1 || x.dims[1] % group != 0 || F % group != 0 || C * group != x.dims[1])
    t.fail("group " + std::to_string(group) + " does not fit the " + std::to_string(x.dims[1]) +
           " channels and the weight " + list(wv.dims));
  std::vector<int64_t> kernel(wv.dims.begin() + 2, wv.dims.end());
  if (t.intsAttr("kernel_shape", kernel) != kernel)
    t.fail("kernel_shape does not match the weight");
  Window win = window(t, x, oneD ? std::vector<int64_t>{KW} : std::vector<int64_t>{KH, KW});
  std::string we = t.onnxOrder(wv);
  we = oneD ? "reshape(transpose(" + we + ", [2, 1, 0]), " + list({1, KW, C, F}) + ")"
            : "transpose(" + we + ", [2, 3, 1, 0])";
  std::string y = "conv2d(" + xe + ", weight: " + we + windowArgs(win, true, {1, 1}) +
                  (group > 1 ? ", groups: " + std::to_string(group) : "") + ")";
  if (t.hasInput(2)) {
    Value &b = t.input(2);
    if (b.rank() != 1 || b.dims[0] != F)
      t.fail("the bias must have " + std::to_string(F) + " values");
    y += " + " + t.onnxOrder(b);
  }
  std::vector<int64_t> dims = {1, F, win.out[0], win.out[1]};
  if (oneD)
    dims.erase(dims.begin() + 2);
  defineSingleImage(t, x, y, dims);
}

// --- 3-D convolution and pooling, through the 2-D layers ---------------------------

/// A batch of volumes [N, C, D, H, W] as a [D, H, W, C] expression per
/// sample; the value is then held in that layout (as channelsLast does), so
/// its other 3-D readers take it without another transpose.
std::string volumeOf(T &t, Value &x) {
  if (!x.batched)
    t.notPerSample("needs the batch on axis 0");
  if (x.perm == std::vector<int>{1, 2, 3, 0})
    return x.id;
  std::string id = t.temporary(t.node().input(0) + "_dhwc", "transpose(" + t.onnxOrder(x) + ", [1, 2, 3, 0])");
  x.id = id;
  x.perm = {1, 2, 3, 0};
  return id;
}

/// Rows lo, lo + step, ... (n of them) of a [L, E] expression that has at
/// least lo + step * n rows: a slice, then every step-th row of it.
std::string everyNth(const std::string &e, int64_t lo, int64_t step, int64_t n, int64_t E) {
  std::string part = e + "[" + std::to_string(lo) + ":" + std::to_string(lo + step * n) + "]";
  return step == 1 ? part : "reshape(" + part + ", " + list({n, step, E}) + ")[:, 0]";
}

/// A 3-D kernel [P, Q, KD, KH, KW] as the 2-D layers' [KH, KW, KD * Q, P]:
/// the depth taps joined with Q (Conv's input channels, ConvTranspose's
/// filters), tap kd's q at kd * Q + q.
std::vector<double> planarKernel(const Tensor &w, int64_t P, int64_t Q, int64_t KD, int64_t KH,
                                 int64_t KW) {
  std::vector<double> out(static_cast<size_t>(P * Q * KD * KH * KW));
  for (int64_t p = 0; p < P; ++p)
    for (int64_t q = 0; q < Q; ++q)
      for (int64_t kd = 0; kd < KD; ++kd)
        for (int64_t i = 0; i < KH; ++i)
          for (int64_t j = 0; j < KW; ++j)
            out[((i * KW + j) * (KD * Q) + kd * Q + q) * P + p] =
                w.values[(((p * Q + q) * KD + kd) * KH + i) * KW + j];
  return out;
}

/// Conv over 3-D data with a constant weight, as one conv2d: each output
/// depth's KD input depths (padded, strided, dilated) become channels, the
/// OD results are stacked along the height (each block padded to a whole
/// number of height strides), and the rows between blocks are dropped. The
/// conv2d's weight [KH, KW, KD * C / group, F] holds ONNX's [F, C / group,
/// KD, KH, KW]; its bias is ONNX's.
void conv3d(T &t) {
  Value &x = t.input(0);
  if (!t.input(1).constant)
    t.fail("3-D convolution needs a constant weight");
  const Tensor &w = t.constantInput(1, "the weight");
  if (w.dims.size() != 5)
    t.fail("the weight must have shape [filters, channels, KD, KH, KW]");
  int64_t group = t.intAttr("group", 1);
  int64_t C = x.dims[1], D = x.dims[2], H = x.dims[3], W = x.dims[4];
  int64_t F = w.dims[0], Cg = w.dims[1], KD = w.dims[2], KH = w.dims[3], KW = w.dims[4];
  if (group < 1 || C % group != 0 || F % group != 0 || Cg * group != C)
    t.fail("group " + std::to_string(group) + " does not fit the " + std::to_string(C) +
           " channels and the weight " + list(w.dims));
  std::vector<int64_t> kernel = {KD, KH, KW};
  if (t.intsAttr("kernel_shape", kernel) != kernel)
    t.fail("kernel_shape " + list(t.intsAttr("kernel_shape")) + " does not match the weight");
  AxisWindows a = axisWindows(t, {D, H, W}, kernel);
  int64_t OD = a.out[0], OH = a.out[1], OW = a.out[2];
  int64_t sd = a.strides[0], sh = a.strides[1], dd = a.dilations[0];
  if (double(OD) * double(H + a.begin[1] + a.end[1] + sh) * double(W) * double(KD * C) >
      double(int64_t(1) << 32))
    t.fail("the volume is too large for nnc's 3-D convolution (its stacked image would hold "
           "more than 2^32 elements per sample)");
  const Tensor *bias = convBias(t, F);
  std::string name = t.layerName(t.input(1).initializer, bias ? t.input(2).initializer : "");
  std::string out = t.node().output(0);
  // The depth taps of every output depth, as channels: [OD, H, W, KD * C].
  int64_t E = H * W * C;
  int64_t rows = std::max(D + a.begin[0] + a.end[0], (KD - 1) * dd + sd * OD);
  std::string seq = "reshape(" + volumeOf(t, x) + ", " + list({D, E}) + ")";
  if (rows != D)
    seq = "pad(" + seq + ", " + list({a.begin[0], rows - D - a.begin[0]}) + ")";
  seq = t.temporary(out + "_depths", seq);
  std::string taps;
  for (int64_t kd = 0; kd < KD; ++kd)
    taps += (kd ? ", " : "") + std::string("reshape(") + everyNth(seq, kd * dd, sd, OD, E) + ", " +
            list({OD, H, W, 1, C}) + ")";
  std::string stack = KD == 1 ? taps : "concat(" + taps + ", axis: 3)"; // [OD, H, W, KD, C]
  if (group > 1 && KD > 1) // channels grouped first: [OD, H, W, group, KD, C / group]
    stack = "transpose(reshape(" + stack + ", " + list({OD, H, W, KD, group, Cg}) +
            "), [0, 1, 2, 4, 3, 5])";
  // Each block padded in height (ONNX's pads, then up to a whole number
  // of strides), the blocks stacked along the height.
  int64_t padded = H + a.begin[1] + a.end[1];
  int64_t block = (padded + sh - 1) / sh * sh;
  std::string image = stack;
  if (block != H)
    image = "pad(reshape(" + stack + ", " + list({OD, H, W * KD * C}) + "), " +
            list({0, 0, a.begin[1], block - H - a.begin[1]}) + ")";
  image = t.temporary(out + "_blocks", "reshape(" + image + ", " + list({OD * block, W, KD * C}) + ")");
  t.addWeight(name + ".weight", {KH, KW, KD * Cg, F}, planarKernel(w, F, Cg, KD, KH, KW));
  if (bias)
    t.addWeight(name + ".bias", {F}, bias->values);
  // The bottom padding keeps the last block's rows (the windows that run
  // past it read zeros and are dropped).
  std::vector<int64_t> pad2 = {0, (KH - 1) * a.dilations[1], a.begin[2], a.end[2]};
  std::string conv = "conv2d(" + image + ", filters: " + std::to_string(F) + ", kernel: " +
                     list({KH, KW}) +
                     (sh != 1 || a.strides[2] != 1 ? ", stride: " + list({sh, a.strides[2]}) : "") +
                     ", padding: " + list(pad2) +
                     (a.dilations[1] != 1 || a.dilations[2] != 1
                          ? ", dilation: " + list({a.dilations[1], a.dilations[2]})
                          : "") +
                     (group > 1 ? ", groups: " + std::to_string(group) : "") +
                     (bias ? "" : ", bias: false") + ", name: \"" + name + "\")";
  std::string y = "reshape(" + t.temporary(out + "_rows", conv) + ", " +
                  list({OD, block / sh, OW, F}) + ")";
  if (block / sh != OH)
    y += "[:, 0:" + std::to_string(OH) + "]";
  t.define(0, y, {x.dims[0], F, OD, OH, OW}, x.elemType, true, {1, 2, 3, 0});
}

/// MaxPool or AveragePool over 3-D data: the box is separable, so a 2-D
/// pool over height and width (the depths as channels), then one over the
/// depth (height and width as the image's columns). The maximum of the
/// maxima is the maximum, and the first maximum in (depth, row, column)
/// order is picked, as PyTorch's max_pool3d; an average's count of the
/// inside taps is the product of the two counts.
void pool3d(T &t, bool isMax) {
  Value &x = t.input(0);
  if (t.outputUsed(1))
    t.fail("the Indices output is not supported");
  std::vector<int64_t> kernel = t.intsAttr("kernel_shape");
  if (kernel.size() != 3)
    t.fail("kernel_shape must have 3 entries");
  for (int64_t k : kernel)
    if (k < 1 || k > 65536)
      t.fail("kernel size " + std::to_string(k) + " is out of range (1 to 65536)");
  if (t.intAttr("ceil_mode", 0) != 0)
    t.fail("ceil_mode 1 is not supported for 3-D pooling");
  int64_t C = x.dims[1], D = x.dims[2], H = x.dims[3], W = x.dims[4];
  AxisWindows a = axisWindows(t, {D, H, W}, kernel);
  if (!isMax && a.dilations != std::vector<int64_t>{1, 1, 1})
    t.fail("dilated average pooling is not supported (MaxPool takes dilations)");
  bool hasPads = a.begin != std::vector<int64_t>{0, 0, 0} || a.end != std::vector<int64_t>{0, 0, 0};
  bool includePad = !isMax && hasPads && t.intAttr("count_include_pad", 0);
  std::string fn = isMax ? "maxpool(" : "avgpool(";
  auto args = [&](std::vector<int64_t> size, std::vector<int64_t> stride,
                  std::vector<int64_t> padding, std::vector<int64_t> dilation) {
    std::string s = ", size: " + list(size);
    if (stride != size)
      s += ", stride: " + list(stride);
    if (padding != std::vector<int64_t>{0, 0, 0, 0})
      s += ", padding: " + list(padding);
    if (isMax && dilation != std::vector<int64_t>{1, 1})
      s += ", dilation: " + list(dilation);
    return s + (includePad ? ", count_include_pad: true" : "") + ")";
  };
  std::string out = t.node().output(0);
  int64_t OD = a.out[0], OH = a.out[1], OW = a.out[2];
  std::string planes = "reshape(transpose(" + volumeOf(t, x) + ", [1, 2, 0, 3]), " +
                       list({H, W, D * C}) + ")";
  std::string pooled = t.temporary(
      out + "_hw", fn + planes + args({a.kernel[1], a.kernel[2]}, {a.strides[1], a.strides[2]},
                                      {a.begin[1], a.end[1], a.begin[2], a.end[2]},
                                      {a.dilations[1], a.dilations[2]}));
  std::string depths = "transpose(reshape(" + pooled + ", " + list({OH * OW, D, C}) + "), [1, 0, 2])";
  std::string y = fn + depths + args({a.kernel[0], 1}, {a.strides[0], 1},
                                     {a.begin[0], a.end[0], 0, 0}, {a.dilations[0], 1});
  t.define(0, "reshape(" + t.temporary(out + "_d", y) + ", " + list({OD, OH, OW, C}) + ")",
           {x.dims[0], C, OD, OH, OW}, x.elemType, true, {1, 2, 3, 0});
}

void conv(T &t) {
  if (t.input(0).rank() == 5)
    return conv3d(t);
  if (!t.input(1).constant)
    return convComputed(t);
  Value &x = imageInput(t, "convolution");
  const Tensor &w = t.constantInput(1, "the weight");
  if (w.dims.size() != static_cast<size_t>(x.rank()))
    t.fail("the weight must have shape [filters, channels, kernel...]");
  int64_t group = t.intAttr("group", 1);
  if (group < 1 || x.dims[1] % group != 0 || w.dims[0] % group != 0)
    t.fail("group " + std::to_string(group) + " does not divide the " +
           std::to_string(x.dims[1]) + " channels and " + std::to_string(w.dims[0]) + " filters");
  bool oneD = x.rank() == 3;
  int64_t F = w.dims[0], C = w.dims[1], KH = oneD ? 1 : w.dims[2], KW = w.dims.back();
  if (C * group != x.dims[1])
    t.fail("the weight has " + std::to_string(C) + " input channels per group; the input has " +
           std::to_string(x.dims[1]) + " in " + std::to_string(group) + " groups");
  std::vector<int64_t> ks = t.intsAttr("kernel_shape", std::vector<int64_t>(w.dims.begin() + 2, w.dims.end()));
  if (ks != std::vector<int64_t>(w.dims.begin() + 2, w.dims.end()))
    t.fail("kernel_shape " + list(ks) + " does not match the weight");
  Window win = window(t, x, oneD ? std::vector<int64_t>{KW} : std::vector<int64_t>{KH, KW});
  const Tensor *bias = convBias(t, F);
  if (t.sharedWeight(t.input(1)) || (bias && t.sharedWeight(t.input(2)))) {
    // A weight other nodes use too: conv2d's `weight:` form with the one
    // parameter it is (onnxOrder), OIHW transposed to HWIO in the model.
    std::string xe = imageOf(t, x), we = t.onnxOrder(t.input(1));
    std::string hwio = oneD ? "reshape(transpose(" + we + ", [2, 1, 0]), " + list({1, KW, C, F}) + ")"
                            : "transpose(" + we + ", [2, 3, 1, 0])";
    std::string expr = "conv2d(" + xe + ", weight: " + hwio + windowArgs(win, true, {1, 1}) +
                       (group > 1 ? ", groups: " + std::to_string(group) : "") + ")";
    if (bias)
      expr += " + " + t.onnxOrder(t.input(2));
    defineImage(t, x, expr, F, win);
    return;
  }
  std::string name = t.layerName(t.input(1).initializer, bias ? t.input(2).initializer : "");
  std::string xe = imageOf(t, x);
  // OIHW -> HWIO, nnc's conv2d layout [KH, KW, C / group, F]; ONNX's
  // grouping is conv2d's `groups:` (group g owns filters g·F/G ...).
  std::vector<double> hwio(static_cast<size_t>(KH * KW * C * F));
  for (int64_t f = 0; f < F; ++f)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < KH; ++i)
        for (int64_t j = 0; j < KW; ++j)
          hwio[((i * KW + j) * C + c) * F + f] = w.values[((f * C + c) * KH + i) * KW + j];
  t.addWeight(name + ".weight", {KH, KW, C, F}, hwio);
  if (bias)
    t.addWeight(name + ".bias", {F}, bias->values);
  std::string expr = "conv2d(" + xe + ", filters: " + std::to_string(F) + ", kernel: " +
                     list({KH, KW}) + windowArgs(win, true, {1, 1}) +
                     (group > 1 ? ", groups: " + std::to_string(group) : "") +
                     (bias ? "" : ", bias: false") + ", name: \"" + name + "\")";
  defineImage(t, x, expr, F, win);
}

/// ConvTranspose over 1-D or 2-D data, group 1: conv2d_transpose (a 1-D one
/// is 1 x K over a [1, L, C] image), the weight [C, F, KH, KW] stored as
/// nnc's [KH, KW, F, C]. Symmetric pads (what PyTorch's ConvTranspose2d
/// exports) are its `padding:`; other pads, `output_shape` and SAME auto
/// padding crop the unpadded output (its `output_padding:` extended to what
/// the crop reaches past it). A weight that is not a constant is
/// conv2d_transpose's `weight:` on one image (singleImage), transposed to
/// nnc's layout in the model.
/// A ConvTranspose's attributes along each of its n spatial axes: ONNX's
/// strides, dilations, output_padding, and where the output [begin, begin +
/// out) lies in the unpadded result of `full` elements (pads, output_shape
/// and SAME auto padding, split as ONNX's spec says).
struct TransposedAxes {
  std::vector<int64_t> strides, dilations, outPad, begin, end, full, out;
};

TransposedAxes transposedAxes(T &t, const std::vector<int64_t> &in, const std::vector<int64_t> &kernel) {
  size_t n = in.size();
  std::string autoPad = t.stringAttr("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    t.fail("auto_pad '" + autoPad + "' is not an ONNX value");
  TransposedAxes a;
  a.strides = t.intsAttr("strides", std::vector<int64_t>(n, 1));
  a.dilations = t.intsAttr("dilations", std::vector<int64_t>(n, 1));
  std::vector<int64_t> pads = t.intsAttr("pads", std::vector<int64_t>(2 * n, 0));
  a.outPad = t.intsAttr("output_padding", std::vector<int64_t>(n, 0));
  std::vector<int64_t> outputShape = t.intsAttr("output_shape");
  if (a.strides.size() != n || a.dilations.size() != n || pads.size() != 2 * n ||
      a.outPad.size() != n || !(outputShape.empty() || outputShape.size() == n))
    t.fail("strides, dilations, pads, output_padding and output_shape must have " +
           std::to_string(n) + ", " + std::to_string(n) + ", " + std::to_string(2 * n) + ", " +
           std::to_string(n) + " and " + std::to_string(n) + " entries");
  // ONNX's pads are [begin..., end...]; `begin` and `end` per axis, then
  // out = full + output_padding - begin - end with full the unpadded size.
  a.begin.resize(n);
  a.end.resize(n);
  a.full.resize(n);
  a.out.resize(n);
  for (size_t k = 0; k < n; ++k) {
    if (a.strides[k] < 1 || a.strides[k] > 65536 || a.dilations[k] < 1 || a.dilations[k] > 65536)
      t.fail("strides and dilations must be 1 to 65536");
    if (a.outPad[k] < 0 || a.outPad[k] >= a.strides[k])
      t.fail("output_padding must be 0 or more and smaller than the stride");
    a.full[k] = a.strides[k] * (in[k] - 1) + (kernel[k] - 1) * a.dilations[k] + 1;
    a.begin[k] = pads[k];
    a.end[k] = pads[k + n];
    bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
    if (autoPad == "VALID")
      a.begin[k] = a.end[k] = 0;
    if (!outputShape.empty() || same) {
      // ONNX's total padding, split as its spec says (floor division).
      int64_t want = outputShape.empty() ? in[k] * a.strides[k] : outputShape[k];
      int64_t total = a.full[k] + a.outPad[k] - want;
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      a.begin[k] = autoPad == "SAME_UPPER" ? half : total - half;
      a.end[k] = total - a.begin[k];
    }
    if (a.begin[k] < 0 || a.begin[k] > 65536 || a.end[k] > 65536)
      t.fail("pads must be 0 to 65536");
    a.out[k] = a.full[k] + a.outPad[k] - a.begin[k] - a.end[k];
    if (a.out[k] < 1)
      t.fail("the padding leaves no output");
  }
  return a;
}

/// ConvTranspose over 3-D data as one conv2d_transpose per group: the input
/// depths stacked along the height (each block followed by enough zero rows
/// that the blocks' outputs do not overlap), with KD * F filters (one set
/// per depth tap); each tap's depths are then spread by the depth stride,
/// shifted by the tap's offset and summed. With groups, each group's
/// channels go through this with its share of the weight and the results
/// are joined along the filters. Pads and output_padding crop or extend the
/// result, and the bias is added last (output_padding's rows hold the bias
/// only, as in PyTorch). A weight that is not a constant is the layer's
/// `weight:` on one volume (N = 1).
void convTranspose3d(T &t) {
  Value &x = t.input(0);
  bool computed = !t.input(1).constant;
  const std::vector<int64_t> wd = t.input(1).dims;
  if (wd.size() != 5 || wd[0] != x.dims[1])
    t.fail("the weight must have shape [" + std::to_string(x.dims[1]) + ", filters, KD, KH, KW]");
  int64_t C = wd[0], group = t.intAttr("group", 1), KD = wd[2], KH = wd[3], KW = wd[4];
  if (group < 1 || group > 1024 || C % group != 0)
    t.fail("group " + std::to_string(group) + " does not divide the " + std::to_string(C) +
           " input channels (or is more than 1024)");
  // Group g maps input channels g·Cg ... to output channels g·Fg ...
  int64_t Cg = C / group, Fg = wd[1], F = Fg * group;
  int64_t D = x.dims[2], H = x.dims[3], W = x.dims[4];
  std::vector<int64_t> kernel = {KD, KH, KW};
  if (t.intsAttr("kernel_shape", kernel) != kernel)
    t.fail("kernel_shape does not match the weight");
  TransposedAxes a = transposedAxes(t, {D, H, W}, kernel);
  int64_t sd = a.strides[0], sh = a.strides[1], dd = a.dilations[0], dh = a.dilations[1];
  int64_t Hf = a.full[1], Wf = a.full[2], Df = a.full[0];
  int64_t gap = std::max<int64_t>(0, ((KH - 1) * dh + 1 - sh + sh - 1) / sh);
  int64_t Hb = H + gap;
  if (double(D) * double(Hb * sh) * double(Wf) * double(KD * F) > double(int64_t(1) << 32))
    t.fail("the volume is too large for nnc's 3-D transposed convolution (its stacked result "
           "would hold more than 2^32 elements per sample)");
  std::string out = t.node().output(0);
  std::string volume;
  if (computed) {
    if (x.batched || t.input(1).batched)
      t.notPerSample("takes its weight from a tensor that is not a constant");
    if (x.dims[0] != 1)
      t.fail("transposed convolution with a weight that is not a constant takes one volume "
             "(N = 1), not " + std::to_string(x.dims[0]));
    volume = "transpose(reshape(" + t.onnxOrder(x) + ", " + list({C, D, H, W}) + "), [1, 2, 3, 0])";
    if (group > 1) // read by every group
      volume = t.temporary(out + "_dhwc", volume);
  } else {
    volume = volumeOf(t, x);
  }
  std::string args = ", kernel: " + list({KH, KW}) +
                     (sh != 1 || a.strides[2] != 1 ? ", stride: " + list({sh, a.strides[2]}) : "") +
                     (dh != 1 || a.dilations[2] != 1 ? ", dilation: " + list({dh, a.dilations[2]}) : "");
  std::string name;
  const Tensor *bias = nullptr;
  if (!computed) {
    bias = convBias(t, F);
    name = t.layerName(t.input(1).initializer, bias ? t.input(2).initializer : "");
  }
  // Group g's [Df, Hf * Wf * Fg] result, before output_padding and the crop.
  auto groupResult = [&](int64_t g) {
    std::string suffix = group > 1 ? "_g" + std::to_string(g) : "";
    std::string channels = group > 1 ? "[:, :, :, " + std::to_string(g * Cg) + ":" +
                                           std::to_string((g + 1) * Cg) + "]"
                                     : "";
    // The depths stacked along the height, each followed by `gap` zero rows.
    std::string image = volume + channels;
    if (gap)
      image = "pad(reshape(" + image + ", " + list({D, H, W * Cg}) + "), " + list({0, 0, 0, gap}) + ")";
    image = t.temporary(out + "_blocks" + suffix, "reshape(" + image + ", " + list({D * Hb, W, Cg}) + ")");
    std::string layer;
    if (computed) {
      std::string w = t.onnxOrder(t.input(1));
      if (group > 1)
        w += "[" + std::to_string(g * Cg) + ":" + std::to_string((g + 1) * Cg) + "]";
      std::string we = "reshape(transpose(" + w + ", [3, 4, 2, 1, 0]), " +
                       list({KH, KW, KD * Fg, Cg}) + ")";
      layer = "conv2d_transpose(" + image + ", weight: " + we + args + ")";
    } else {
      const Tensor &w = t.constantInput(1, "the weight");
      std::string layerName = group > 1 ? name + "." + std::to_string(g) : name;
      // Group g's rows of the weight; filter kd * Fg + f of its
      // conv2d_transpose is tap kd's f.
      size_t per = static_cast<size_t>(Cg * Fg * KD * KH * KW);
      Tensor wg{w.elemType, {Cg, Fg, KD, KH, KW},
                std::vector<double>(w.values.begin() + g * per, w.values.begin() + (g + 1) * per)};
      t.addWeight(layerName + ".weight", {KH, KW, KD * Fg, Cg}, planarKernel(wg, Cg, Fg, KD, KH, KW));
      layer = "conv2d_transpose(" + image + ", filters: " + std::to_string(KD * Fg) + args +
              ", bias: false, name: \"" + layerName + "\")";
    }
    // Every block's Hb * sh rows (its Hf, then zeros), as [KD, D, Hf * Wf * Fg].
    int64_t rows = sh * (D * Hb - 1) + (KH - 1) * dh + 1, want = D * Hb * sh;
    std::string z = t.temporary(out + "_taps" + suffix, layer);
    z = rows < want ? "pad(" + z + ", " + list({0, want - rows, 0, 0}) + ")"
                    : rows > want ? z + "[0:" + std::to_string(want) + "]" : z;
    z = "reshape(" + z + ", " + list({D, Hb * sh, Wf, KD * Fg}) + ")";
    if (Hb * sh != Hf)
      z += "[:, 0:" + std::to_string(Hf) + "]";
    int64_t E = Hf * Wf * Fg;
    z = t.temporary(out + "_bytap" + suffix, "reshape(transpose(reshape(" + z + ", " +
                                                 list({D, Hf * Wf, KD, Fg}) + "), [2, 0, 1, 3]), " +
                                                 list({KD, D, E}) + ")");
    // Tap kd's depth d lands on d * sd + kd * dd.
    int64_t spread = (D - 1) * sd + 1;
    std::string sum;
    for (int64_t kd = 0; kd < KD; ++kd) {
      std::string u = z + "[" + std::to_string(kd) + "]";
      if (sd > 1)
        u = "reshape(pad(reshape(" + u + ", " + list({D, 1, E}) + "), " + list({0, 0, 0, sd - 1}) +
            "), " + list({D * sd, E}) + ")[0:" + std::to_string(spread) + "]";
      if (Df != spread)
        u = "pad(" + u + ", " + list({kd * dd, Df - kd * dd - spread}) + ")";
      sum += (kd ? " + " : "") + u;
    }
    return sum;
  };
  std::string y;
  if (group == 1) {
    y = t.temporary(out + "_full", groupResult(0)); // [Df, Hf * Wf * F]
  } else {
    // Each group's [Df, Hf * Wf * Fg] seen as [Df, Hf, Wf, Fg], joined along the filters.
    std::string parts;
    for (int64_t g = 0; g < group; ++g)
      parts += std::string(g ? ", " : "") + "reshape(" +
               t.temporary(out + "_full_g" + std::to_string(g), groupResult(g)) + ", " +
               list({Df, Hf, Wf, Fg}) + ")";
    y = t.temporary(out + "_full", "reshape(concat(" + parts + ", axis: 3), " +
                                       list({Df, Hf * Wf * F}) + ")");
  }
  // output_padding (or an output_shape past the result) extends the end.
  std::vector<int64_t> ext(3);
  for (int k = 0; k < 3; ++k)
    ext[k] = std::max<int64_t>(0, a.begin[k] + a.out[k] - a.full[k]);
  if (ext[0])
    y = "pad(" + y + ", " + list({0, ext[0]}) + ")";
  int64_t De = Df + ext[0], He = Hf + ext[1], We = Wf + ext[2];
  if (ext[1])
    y = "pad(reshape(" + y + ", " + list({De, Hf, Wf * F}) + "), " + list({0, 0, 0, ext[1]}) + ")";
  if (ext[2])
    y = "pad(reshape(" + y + ", " + list({De * He, Wf, F}) + "), " + list({0, 0, 0, ext[2]}) + ")";
  y = "reshape(" + y + ", " + list({De, He, We, F}) + ")";
  bool crop = false;
  std::string items;
  for (int k = 0; k < 3; ++k) {
    int64_t whole = k == 0 ? De : k == 1 ? He : We;
    crop |= a.begin[k] != 0 || a.out[k] != whole;
    items += (k ? ", " : "") + std::to_string(a.begin[k]) + ":" + std::to_string(a.begin[k] + a.out[k]);
  }
  if (crop)
    y = t.temporary(out + "_uncropped", y) + "[" + items + "]";
  if (computed && t.hasInput(2)) {
    Value &b = t.input(2);
    if (b.rank() != 1 || b.dims[0] != F)
      t.fail("the bias must have " + std::to_string(F) + " values");
    y = t.temporary(out + "_conv", y) + " + " + t.onnxOrder(b);
  } else if (bias) {
    Tensor b = *bias;
    b.dims = {F};
    y = t.temporary(out + "_conv", y) + " + " + t.declareParam(name + ".bias", b, true);
  }
  std::vector<int64_t> dims = {x.dims[0], F, a.out[0], a.out[1], a.out[2]};
  if (computed)
    t.define(0, "reshape(transpose(" + t.temporary(out + "_dhwc", y) + ", [3, 0, 1, 2]), " +
                    list(dims) + ")", dims, x.elemType, false);
  else
    t.define(0, y, dims, x.elemType, true, {1, 2, 3, 0});
}

void convTranspose(T &t) {
  if (t.input(0).rank() == 5)
    return convTranspose3d(t);
  bool computed = !t.input(1).constant;
  Value &x = t.input(0);
  std::string image = computed ? singleImage(t, x, "transposed convolution")
                               : (imageInput(t, "transposed convolution"), std::string());
  bool oneD = x.rank() == 3;
  const std::vector<int64_t> wd = t.input(1).dims;
  if (wd.size() != static_cast<size_t>(x.rank()) || wd[0] != x.dims[1])
    t.fail("the weight must have shape [" + std::to_string(x.dims[1]) + ", filters, " +
           (oneD ? "K]" : "KH, KW]"));
  int64_t C = wd[0], group = t.intAttr("group", 1), KH = oneD ? 1 : wd[2], KW = wd.back();
  if (group < 1 || group > 1024 || C % group != 0)
    t.fail("group " + std::to_string(group) + " does not divide the " + std::to_string(C) +
           " input channels (or is more than 1024)");
  // Group g maps input channels g·Cg ... to output channels g·Fg ...
  int64_t Cg = C / group, Fg = wd[1], F = Fg * group;
  std::vector<int64_t> kernel(wd.begin() + 2, wd.end());
  if (t.intsAttr("kernel_shape", kernel) != kernel)
    t.fail("kernel_shape does not match the weight");
  TransposedAxes a = transposedAxes(t, std::vector<int64_t>(x.dims.begin() + 2, x.dims.end()), kernel);
  if (oneD) { // as 2-D: a 1 x K window over a 1 x L image
    for (auto *v : {&a.strides, &a.dilations})
      v->insert(v->begin(), 1);
    for (auto *v : {&a.outPad, &a.begin, &a.end})
      v->insert(v->begin(), 0);
    a.full.insert(a.full.begin(), 1);
    a.out.insert(a.out.begin(), 1);
  }
  std::vector<int64_t> strides = a.strides, dilations = a.dilations, outPad = a.outPad;
  std::vector<int64_t> begin = a.begin, end = a.end, full = a.full, out = a.out;
  // Symmetric pads are the layer's padding; else the crop [begin, begin +
  // out) of the output with padding 0 and the output_padding it reaches.
  bool symmetric = begin == end && end[0] >= 0 && end[1] >= 0;
  std::vector<int64_t> layerPad = symmetric ? begin : std::vector<int64_t>{0, 0}, layerOutPad = outPad;
  for (int k = 0; k < 2 && !symmetric; ++k) {
    layerOutPad[k] = std::max<int64_t>(begin[k] + out[k] - full[k], 0);
    if (layerOutPad[k] >= strides[k])
      t.fail("the output reaches " + std::to_string(layerOutPad[k]) +
             " past the unpadded one, not less than the stride " + std::to_string(strides[k]));
  }
  auto unless = [](const std::vector<int64_t> &v, const std::vector<int64_t> &plain,
                   const std::string &key) {
    return v == plain ? std::string() : ", " + key + ": " + list(v);
  };
  std::string args = unless(strides, {1, 1}, "stride") + unless(layerPad, {0, 0}, "padding") +
                     unless(layerOutPad, {0, 0}, "output_padding") +
                     unless(dilations, {1, 1}, "dilation");
  // The [OH, OW, F] result, cropped when the pads are not the layer's.
  bool crop = !symmetric && (begin != std::vector<int64_t>{0, 0} ||
                             out[0] != full[0] + layerOutPad[0] ||
                             out[1] != full[1] + layerOutPad[1]);
  auto cropped = [&](const std::string &y) {
    if (!crop)
      return y;
    std::string ye = t.temporary(t.node().output(0) + "_full", y);
    return ye + "[" + std::to_string(begin[0]) + ":" + std::to_string(begin[0] + out[0]) + ", " +
           std::to_string(begin[1]) + ":" + std::to_string(begin[1] + out[1]) + "]";
  };
  std::vector<int64_t> dims = {x.dims[0], F, out[0], out[1]};
  if (oneD)
    dims.erase(dims.begin() + 2);
  // With groups, one layer per group over its channels, joined (conv2d_transpose has no groups).
  if (!computed)
    image = imageOf(t, x);
  if (group > 1 && image.find_first_of("([ ") != std::string::npos) // read by every group
    image = t.temporary(t.node().output(0) + "_image", image);
  auto grouped = [&](const std::function<std::string(int64_t, const std::string &)> &layer) {
    if (group == 1)
      return layer(0, image);
    std::string parts;
    for (int64_t g = 0; g < group; ++g)
      parts += (g ? ", " : "") + layer(g, image + "[:, :, " + std::to_string(g * Cg) + ":" +
                                              std::to_string((g + 1) * Cg) + "]");
    return "concat(" + parts + ", axis: 2)";
  };
  if (computed) {
    std::string W = t.onnxOrder(t.input(1));
    std::string y = grouped([&](int64_t g, const std::string &in) {
      std::string we = group == 1 ? W
                                  : W + "[" + std::to_string(g * Cg) + ":" +
                                        std::to_string((g + 1) * Cg) + "]";
      we = oneD ? "reshape(transpose(" + we + ", [2, 1, 0]), " + list({1, KW, Fg, Cg}) + ")"
                : "transpose(" + we + ", [2, 3, 1, 0])";
      return "conv2d_transpose(" + in + ", weight: " + we + args + ")";
    });
    if (t.hasInput(2)) {
      Value &b = t.input(2);
      if (b.rank() != 1 || b.dims[0] != F)
        t.fail("the bias must have " + std::to_string(F) + " values");
      y = t.temporary(t.node().output(0) + "_conv", y) + " + " + t.onnxOrder(b);
    }
    defineSingleImage(t, x, cropped(y), dims);
    return;
  }
  const Tensor &w = t.constantInput(1, "the weight");
  const Tensor *bias = convBias(t, F);
  std::string name = t.layerName(t.input(1).initializer, bias ? t.input(2).initializer : "");
  // Group g's layer (NAME.g with groups): its weight [C / group, F / group, KH, KW]
  // stored as nnc's [KH, KW, F / group, C / group], and its share of the bias.
  std::string expr = cropped(grouped([&](int64_t g, const std::string &in) {
    std::string layer = group == 1 ? name : name + "." + std::to_string(g);
    std::vector<double> hwfc(static_cast<size_t>(KH * KW * Fg * Cg));
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t f = 0; f < Fg; ++f)
        for (int64_t i = 0; i < KH; ++i)
          for (int64_t j = 0; j < KW; ++j)
            hwfc[((i * KW + j) * Fg + f) * Cg + c] =
                w.values[(((g * Cg + c) * Fg + f) * KH + i) * KW + j];
    t.addWeight(layer + ".weight", {KH, KW, Fg, Cg}, hwfc);
    if (bias) {
      auto share = bias->values.begin() + g * Fg;
      t.addWeight(layer + ".bias", {Fg}, std::vector<double>(share, share + Fg));
    }
    return "conv2d_transpose(" + in + ", filters: " + std::to_string(Fg) + ", kernel: " +
           list({KH, KW}) + args + (bias ? "" : ", bias: false") + ", name: \"" + layer + "\")";
  }));
  if (oneD)
    t.define(0, "reshape(" + expr + ", " + list({out[1], F}) + ")", dims, x.elemType, true, {1, 0});
  else
    t.define(0, expr, dims, x.elemType, true, {1, 2, 0});
}

/// ONNX's source coordinate of output `o` along an axis resized from `in`
/// to `out` elements with `scale` (Resize's coordinate_transformation_mode).
static double onnxSource(const std::string &mode, int64_t o, int64_t in, int64_t out,
                         double scale) {
  if (mode == "half_pixel")
    return (double(o) + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel")
    return out > 1 ? (double(o) + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners") {
    // ONNX's length_resized is in·scale, not rounded (the reference and
    // onnxruntime): with scales that do not land on whole sizes it is not
    // PyTorch's (in - 1) / (out - 1).
    double resized = double(in) * scale;
    return out == 1 || resized == 1 ? 0.0 : double(o) * double(in - 1) / (resized - 1);
  }
  if (mode == "asymmetric")
    return double(o) / scale;
  return (double(o) + 0.5) / scale; // tf_half_pixel_for_nn
}

/// One resized axis as ONNX's reference (onnx/backend/test/case/node/
/// resize.py) interpolates it, for any mode: row o of an [out, in] matrix
/// holds output o's weights over the input. With tf_crop_and_resize, a row
/// whose source lies outside the input is zeros and `inside[o]` false (the
/// output is then extrapolation_value).
struct ResizeRule {
  std::string mode, coordinates, rounding;
  double cubicA = -0.75;
  bool excludeOutside = false;
  double roiStart = 0, roiEnd = 1; // of this axis, tf_crop_and_resize
  std::vector<double> roi;         // every axis' starts, then ends
};

std::vector<double> resizeMatrix(const ResizeRule &r, int64_t in, int64_t out, double scale,
                                 std::vector<bool> &inside) {
  std::vector<double> m(size_t(out * in), 0.0);
  inside.assign(size_t(out), true);
  double width = scale * double(in); // the reference's output_width, not rounded
  for (int64_t o = 0; o < out; ++o) {
    double x;
    const std::string &c = r.coordinates;
    if (c == "align_corners")
      x = width == 1 ? 0.0 : double(o) * double(in - 1) / (width - 1);
    else if (c == "asymmetric")
      x = double(o) / scale;
    else if (c == "tf_crop_and_resize") {
      x = width == 1 ? (r.roiEnd - r.roiStart) * double(in - 1) / 2
                     : double(o) * (r.roiEnd - r.roiStart) * double(in - 1) / (width - 1);
      x += r.roiStart * double(in - 1);
      if (x < 0 || x > double(in - 1)) {
        inside[size_t(o)] = false;
        continue;
      }
    } else if (c == "pytorch_half_pixel")
      x = width == 1 ? -0.5 : (double(o) + 0.5) / scale - 0.5;
    else if (c == "tf_half_pixel_for_nn")
      x = (double(o) + 0.5) / scale;
    else
      x = (double(o) + 0.5) / scale - 0.5; // half_pixel
    double base = std::floor(x), ratio = x - base;
    std::vector<std::pair<int64_t, double>> taps; // index (maybe outside), weight
    if (ratio == 0) // the reference's taps then put all weight on x itself
      taps = {{int64_t(base), 1.0}};
    else if (r.mode == "nearest") {
      bool up = r.rounding == "ceil" || (r.rounding == "round_prefer_floor" && ratio > 0.5) ||
                (r.rounding == "round_prefer_ceil" && ratio >= 0.5);
      taps = {{int64_t(base) + (up ? 1 : 0), 1.0}};
    } else if (r.mode == "linear") {
      taps = {{int64_t(base), 1 - ratio}, {int64_t(base) + 1, ratio}};
    } else { // cubic: the reference's cubic_coeffs(ratio)
      double A = r.cubicA, p = ratio + 1, q = 1 - ratio, s = 2 - ratio;
      taps = {{int64_t(base) - 1, ((A * p - 5 * A) * p + 8 * A) * p - 4 * A},
              {int64_t(base), ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1},
              {int64_t(base) + 1, ((A + 2) * q - (A + 3)) * q * q + 1},
              {int64_t(base) + 2, ((A * s - 5 * A) * s + 8 * A) * s - 4 * A}};
    }
    if (r.excludeOutside && taps.size() > 1) {
      double sum = 0;
      for (auto &[i, w] : taps) {
        if (i < 0 || i >= in)
          w = 0;
        sum += w;
      }
      for (auto &tap : taps)
        tap.second /= sum;
    }
    for (const auto &[i, w] : taps) // the edges padded: indices clamped
      m[size_t(o * in + std::clamp<int64_t>(i, 0, in - 1))] += w;
  }
  return m;
}

/// Resize by constant interpolation matrices, one per resized axis
/// (separable, as the reference): per sample y = M_H @ x @ M_Wᵀ, plus
/// extrapolation_value where tf_crop_and_resize falls outside. Any ONNX
/// mode, exact; the matrices are parameters that are not trained.
void resizeByMatrices(T &t, Value &x, const ResizeRule &rule, const std::vector<double> &scale,
                      const std::vector<int64_t> &outDims, double extrapolation) {
  std::string e = t.onnxOrder(x), base = firstOutput(t.node());
  std::vector<std::vector<bool>> inside(size_t(x.rank()));
  bool extrapolates = false;
  for (int k = x.rank() - 1; k >= 2; --k) {
    int64_t in = x.dims[k], out = outDims[k];
    if (double(in) * double(out) > double(1 << 24))
      t.fail("resizing " + std::to_string(in) + " to " + std::to_string(out) +
             " entries needs an interpolation matrix too large for nnc (2^24 entries)");
    ResizeRule axisRule = rule;
    if (!rule.roi.empty()) {
      axisRule.roiStart = rule.roi[size_t(k)];
      axisRule.roiEnd = rule.roi[size_t(x.rank() + k)];
    }
    std::vector<double> m = resizeMatrix(axisRule, in, out, scale[size_t(k)], inside[size_t(k)]);
    for (bool b : inside[size_t(k)])
      extrapolates = extrapolates || !b;
    Tensor mt;
    mt.elemType = x.elemType;
    const char *axis = k == x.rank() - 1 ? "_w" : "_h";
    if (k == x.rank() - 1) { // x @ Mᵀ over the last axis
      mt.dims = {in, out};
      mt.values.resize(m.size());
      for (int64_t o = 0; o < out; ++o)
        for (int64_t i = 0; i < in; ++i)
          mt.values[size_t(i * out + o)] = m[size_t(o * in + i)];
      e = e + " @ " + t.declareParam(base + ".resize" + axis, mt, false);
    } else { // M @ x over the one before it
      mt.dims = {out, in};
      mt.values = m;
      e = t.declareParam(base + ".resize" + axis, mt, false) + " @ (" + e + ")";
    }
  }
  if (extrapolates) { // extrapolation_value where any axis falls outside
    Tensor fill;
    fill.elemType = x.elemType;
    fill.dims.assign(outDims.begin() + 2, outDims.end());
    fill.values.assign(size_t(fill.count()), 0.0);
    for (size_t i = 0; i < fill.values.size(); ++i) {
      size_t rest = i;
      bool in = true;
      for (int k = x.rank() - 1; k >= 2; --k) {
        in = in && inside[size_t(k)][rest % size_t(outDims[k])];
        rest /= size_t(outDims[k]);
      }
      fill.values[i] = in ? 0.0 : extrapolation;
    }
    e = e + " + " + t.declareParam(base + ".extrapolation", fill, false);
  }
  t.define(0, e, outDims, x.elemType, x.batched);
}

/// Resize (opset 10+) and Upsample (7-9) of the spatial axes of an
/// [N, C, H, W] or [N, C, L] batch as `upsample`. nnc's upsample has
/// PyTorch's index rules (support/Interpolation.h); the node is accepted
/// when its own rule (coordinate mode, nearest mode) picks the same input
/// elements, or the same two-tap weights, on every resized axis.
void resize(T &t) {
  // The roi, scales and sizes decide the output's shape: constants, asked
  // for before the image so that the message says so.
  for (int i = 1; i < t.inputCount(); ++i)
    if (t.hasInput(i))
      t.constantInput(i, "input " + std::to_string(i) + " (the roi, scales or sizes)");
  Value &x = imageInput(t, "resizing");
  bool upsampleOp = t.node().op_type() == "Upsample";
  std::string mode = t.stringAttr("mode", "nearest");
  if (mode == "bilinear")
    mode = "linear"; // Upsample-7's name
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    t.fail("mode '" + mode + "' is not supported (nearest, linear and cubic)");
  if (mode == "cubic" && x.rank() != 4)
    t.fail("cubic resizing of a sequence is not supported (PyTorch's bicubic is 2-D)");
  double cubicA = t.floatAttr("cubic_coeff_a", -0.75);
  // Modes PyTorch's upsample lacks go through interpolation matrices.
  bool byMatrices = t.intAttr("exclude_outside", 0) != 0;
  // Before Resize-11: asymmetric coordinates, nearest rounds down.
  bool legacy = upsampleOp || t.opset() < 11;
  std::string coordinates = legacy ? "asymmetric"
                                   : t.stringAttr("coordinate_transformation_mode", "half_pixel");
  std::string rounding = legacy ? "floor" : t.stringAttr("nearest_mode", "round_prefer_floor");
  if (coordinates == "tf_crop_and_resize")
    byMatrices = true;
  std::vector<double> scales, sizes;
  if (upsampleOp && t.opset() < 9) {
    if (const onnx::AttributeProto *a = t.attr("scales"))
      scales.assign(a->floats().begin(), a->floats().end());
  } else {
    int scalesAt = (upsampleOp || t.opset() < 11) ? 1 : 2;
    if (t.hasInput(scalesAt) && !t.constantInput(scalesAt, "the scales").values.empty())
      scales = t.constantInput(scalesAt, "the scales").values;
    else if (!upsampleOp && t.opset() >= 11 && t.hasInput(3))
      sizes = t.constantInput(3, "the sizes").values; // the batch may be kBatchSize
  }
  size_t rank = size_t(x.rank());
  if (scales.size() != rank && sizes.size() != rank)
    t.fail("needs " + std::to_string(rank) + " scales or sizes");
  if (!scales.empty() ? (scales[0] != 1 || scales[1] != 1)
                      : ((sizes[0] != double(x.dims[0]) && sizes[0] != kBatchSize) ||
                         sizes[1] != double(x.dims[1])))
    t.fail("resizing the batch or channel axis is not supported");
  std::vector<int64_t> outDims = x.dims, spatialOut;
  std::vector<double> factors, axisScales(rank, 1.0);
  std::vector<int> nearestRules;
  for (size_t k = 2; k < rank; ++k) {
    int64_t in = x.dims[k];
    double scale = scales.empty() ? double(sizes[k]) / double(in) : scales[k];
    if (!(scale > 0) || scale > (1 << 20))
      t.fail("scale " + std::to_string(scale) + " is out of range");
    int64_t out = scales.empty() ? integer(t, sizes[k]) : int64_t(std::floor(double(in) * scale));
    if (out < 1 || out > (1 << 20))
      t.fail("an output size of " + std::to_string(out) + " is out of range");
    outDims[k] = out;
    axisScales[k] = scale;
    spatialOut.push_back(out);
    factors.push_back(scales.empty() ? 0.0 : scale);
    // Does nnc's rule pick what ONNX's does on this axis?
    bool same = true;
    if (mode == "nearest") {
      // PyTorch's nearest or nearest-exact, one of them on every axis.
      bool floorRule = true, exactRule = true;
      for (int64_t o = 0; o < out; ++o) {
        double src = onnxSource(coordinates, o, in, out, scale);
        double r = rounding == "floor" ? std::floor(src)
                   : rounding == "ceil" ? std::ceil(src)
                   : rounding == "round_prefer_ceil" ? std::floor(src + 0.5)
                                                     : std::ceil(src - 0.5);
        int64_t i = std::clamp<int64_t>(int64_t(r), 0, in - 1);
        floorRule = floorRule && i == nearestSource(o, in, out, factors.back());
        exactRule = exactRule && i == nearestExactSource(o, in, out, factors.back());
      }
      nearestRules.push_back(floorRule ? (exactRule ? 3 : 1) : (exactRule ? 2 : 0));
      same = floorRule || exactRule;
    } else if (mode == "cubic") {
      CubicTaps nnc = cubicTaps(in, out, coordinates == "align_corners", factors.back(),
                                x.elemType != 11);
      for (int64_t o = 0; o < out && same; ++o) {
        // Both as {input index: weight}; ONNX's reference pads the edges
        // (exclude_outside 0), which is clamping the taps.
        double src = onnxSource(coordinates, o, in, out, scale);
        int64_t i0 = int64_t(std::floor(src));
        double w[4];
        cubicWeights(src - double(i0), cubicA, w);
        std::map<int64_t, double> theirs, ours;
        for (int k = 0; k < 4; ++k) {
          theirs[std::clamp<int64_t>(i0 - 1 + k, 0, in - 1)] += w[k];
          ours[nnc.index[k][o]] += nnc.weight[k][o];
        }
        for (auto *m : {&theirs, &ours})
          for (auto &[i, v] : *m) {
            double other = (m == &theirs ? ours : theirs)[i];
            same = same && std::fabs(v - other) <= 1e-4;
          }
      }
    } else {
      LinearTaps nnc = linearTaps(in, out, coordinates == "align_corners", factors.back(),
                                  x.elemType != 11);
      for (int64_t o = 0; o < out && same; ++o) {
        // Both as {input index: weight}, edges clamped as ONNX's reference
        // pads them; equal up to float rounding.
        double src = onnxSource(coordinates, o, in, out, scale);
        int64_t i0 = int64_t(std::floor(src));
        double lambda = src - double(i0);
        std::map<int64_t, double> theirs, ours;
        theirs[std::clamp<int64_t>(i0, 0, in - 1)] += 1 - lambda;
        theirs[std::clamp<int64_t>(i0 + 1, 0, in - 1)] += lambda;
        ours[nnc.index0[o]] += nnc.weight0[o];
        ours[nnc.index1[o]] += nnc.weight1[o];
        for (auto *m : {&theirs, &ours})
          for (auto &[i, w] : *m) {
            double other = (m == &theirs ? ours : theirs)[i];
            same = same && std::fabs(w - other) <= 1e-4;
          }
      }
    }
    byMatrices = byMatrices || !same;
  }
  // One nearest rule for every axis: bit 1 nearest, bit 2 nearest_exact.
  int rules = 3;
  for (int r : nearestRules)
    rules &= r;
  if (byMatrices || (mode == "nearest" && rules == 0)) {
    ResizeRule rule{mode, coordinates, rounding, cubicA, t.intAttr("exclude_outside", 0) != 0, 0, 1, {}};
    if (coordinates == "tf_crop_and_resize") {
      const Tensor &roi = t.constantInput(1, "the roi");
      if (roi.count() != int64_t(2 * rank))
        t.fail("the roi has " + std::to_string(roi.count()) + " values, not " +
               std::to_string(2 * rank));
      rule.roi = roi.values;
    }
    resizeByMatrices(t, x, rule, axisScales, outDims, t.floatAttr("extrapolation_value", 0.0));
    return;
  }
  std::string args;
  if (scales.empty()) {
    args = "size: " + list(spatialOut);
  } else {
    std::string items;
    for (double f : factors) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.9g", f);
      items += (items.empty() ? "" : ", ") + std::string(buf);
    }
    args = "scale_factor: [" + items + "]";
  }
  if (mode == "linear" || mode == "cubic")
    args += std::string(", mode: ") + (mode == "cubic" ? "bicubic" : rank == 4 ? "bilinear" : "linear") +
            (coordinates == "align_corners" ? ", align_corners: true" : "");
  if (mode == "nearest" && !(rules & 1))
    args += ", mode: nearest_exact";
  if (rank == 4) {
    t.define(0, "upsample(" + t.channelsLast(x) + ", " + args + ")", outDims, x.elemType, true,
             {1, 2, 0});
    return;
  }
  std::string seq = "transpose(" + t.onnxOrder(x) + ", [1, 0])";
  t.define(0, "upsample(" + seq + ", " + args + ")", outDims, x.elemType, true, {1, 0});
}

/// MaxPool's Indices: each window's first maximum (row-major over the
/// taps, as onnxruntime) as the flat index into X, ((n * C + c) * H + h) *
/// W + w (storage_order 1: (n * C + c) * H * W + w * H + h). Every tap's
/// strided view of the padded image is stacked, its argmax picks the tap,
/// and the index is a constant per output position plus the tap's offset.
/// The sample's n is known only for a batch of one.
void maxPoolIndices(T &t, const Value &x, const std::string &xe, const Window &win) {
  if (x.dims[0] != 1)
    t.fail("the Indices output counts the sample n in its flat index, which a model "
           "computed per sample does not know; nnc gives it for a static batch of one (N = 1), "
           "not N = " + (x.dims[0] > 0 ? std::to_string(x.dims[0]) : std::string("dynamic")));
  int64_t order = t.intAttr("storage_order", 0);
  if (order != 0 && order != 1)
    t.fail("storage_order " + std::to_string(order) + " is not 0 or 1");
  int64_t C = x.dims[1], H = x.rank() == 4 ? x.dims[2] : 1, W = x.dims.back();
  int64_t KH = win.kernel[0], KW = win.kernel[1], OH = win.out[0], OW = win.out[1];
  int64_t sh = win.strides[0], sw = win.strides[1], dh = win.dilations[0], dw = win.dilations[1];
  if (KH * KW > 1024)
    t.fail("the Indices output of a window of " + std::to_string(KH * KW) +
           " taps is not supported (at most 1024)");
  // Padded so that every tap's view of OH x OW strides fits; the padding
  // (the type's lowest) never wins against a value of the image.
  int64_t top = win.pads[0], left = win.pads[2];
  int64_t bottom = std::max(win.pads[1], (KH - 1) * dh + OH * sh - H - top);
  int64_t right = std::max(win.pads[3], (KW - 1) * dw + OW * sw - W - left);
  bool f64 = x.elemType == onnx::TensorProto_DataType_DOUBLE;
  std::string out = t.node().output(1);
  std::string lowest = f64 ? "-1.7976931348623157e308" : "-3.4028234663852886e38";
  std::string padded = xe;
  if (top || bottom || left || right)
    padded = t.temporary(out + "_padded", "pad(" + xe + ", " + list({top, bottom, left, right}) +
                                              ", value: " + lowest + ")");
  std::vector<std::string> taps; // [OH, OW, C, 1] each
  std::vector<double> offsets;
  int64_t rowStep = order == 0 ? W : 1, colStep = order == 0 ? 1 : H;
  for (int64_t i = 0; i < KH; ++i)
    for (int64_t j = 0; j < KW; ++j) {
      std::string view = padded + "[" + std::to_string(i * dh) + ":" +
                         std::to_string(i * dh + OH * sh) + ", " + std::to_string(j * dw) + ":" +
                         std::to_string(j * dw + OW * sw) + "]";
      taps.push_back("reshape(reshape(" + view + ", " + list({OH, sh, OW, sw, C}) +
                     ")[:, 0, :, 0], " + list({OH, OW, C, 1}) + ")");
      offsets.push_back(double(i * dh * rowStep + j * dw * colStep));
    }
  std::string stacked;
  for (const std::string &v : taps)
    stacked += (stacked.empty() ? "" : ", ") + v;
  if (taps.size() > 1)
    stacked = "concat(" + stacked + ", axis: 3)";
  std::string tap = "argmax(" + stacked + ", axis: -1)";
  // The flat index of each output position's tap (0, 0), per [OH, OW, C].
  std::vector<double> base;
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow)
      for (int64_t c = 0; c < C; ++c)
        base.push_back(double(c * H * W + (oh * sh - top) * rowStep + (ow * sw - left) * colStep));
  auto constant = [&](std::vector<int64_t> dims, std::vector<double> values) {
    Value v;
    v.elemType = onnx::TensorProto_DataType_DOUBLE;
    v.dims = dims;
    v.constant = Tensor{v.elemType, dims, std::move(values)};
    return t.onnxOrder(v);
  };
  std::string expr = constant({OH, OW, C}, base) + " + " + constant({KH * KW}, offsets) + "[" +
                     t.temporary(out + "_tap", tap) + "]";
  defineImage(t, x, expr, C, win, 1, onnx::TensorProto_DataType_INT64);
}

void pool(T &t, bool isMax) {
  if (t.input(0).rank() == 5)
    return pool3d(t, isMax);
  Value &x = imageInput(t, "pooling");
  std::vector<int64_t> kernel = t.intsAttr("kernel_shape");
  if (kernel.size() != static_cast<size_t>(x.rank() - 2))
    t.fail("kernel_shape must have " + std::to_string(x.rank() - 2) + " entries");
  for (int64_t k : kernel)
    if (k < 1 || k > 65536)
      t.fail("kernel size " + std::to_string(k) + " is out of range (1 to 65536)");
  Window win = window(t, x, kernel);
  kernel = win.kernel;
  if (!isMax && win.dilations != std::vector<int64_t>{1, 1})
    t.fail("dilated average pooling is not supported (MaxPool takes dilations)");
  bool hasPads = win.pads != std::vector<int64_t>{0, 0, 0, 0};
  bool includePad = !isMax && hasPads && t.intAttr("count_include_pad", 0);
  bool ceil = t.intAttr("ceil_mode", 0) != 0;
  if (ceil) {
    // ONNX rounds the output size up; PyTorch (and nnc's ceil_mode) then
    // drop a last window that would start in the bottom / right padding.
    int64_t in[2] = {x.rank() == 3 ? 1 : x.dims[2], x.dims.back()};
    std::vector<int64_t> out;
    for (int k = 0; k < 2; ++k) {
      int64_t lo = win.pads[2 * k], hi = win.pads[2 * k + 1], s = win.strides[k];
      int64_t span = in[k] + lo + hi - (kernel[k] - 1) * win.dilations[k] - 1;
      int64_t n = (span + s - 1) / s + 1;
      if ((n - 1) * s >= in[k] + lo)
        t.fail("ceil_mode 1 adds a window that starts in the padding here, which ONNX keeps "
               "and PyTorch (and nnc) drop");
      bool overflow = (n - 1) * s + (kernel[k] - 1) * win.dilations[k] + 1 > in[k] + lo + hi;
      if (includePad && overflow)
        t.fail("ceil_mode 1 with count_include_pad 1 and padding is not supported here (the "
               "last window runs past the padding)");
      out.push_back(n);
    }
    win.out = out;
  }
  std::string xe = imageOf(t, x);
  if (t.outputUsed(1))
    maxPoolIndices(t, x, xe, win);
  std::string expr = std::string(isMax ? "maxpool(" : "avgpool(") + xe + ", size: " +
                     list(kernel) + windowArgs(win, isMax, kernel) +
                     (ceil ? ", ceil_mode: true" : "") +
                     (includePad ? ", count_include_pad: true" : "") + ")";
  defineImage(t, x, expr, x.dims[1], win);
}

void globalPool(T &t, bool isMax) {
  Value &x = t.input(0);
  if (x.rank() != 4 || !x.batched)
    t.fail("only 2-D image batches [N, C, H, W] are supported");
  std::string xe = t.channelsLast(x);
  std::string c = std::to_string(x.dims[1]);
  std::string pooled = isMax ? "max(" + xe + ", axis: [0, 1])" : "global_avgpool(" + xe + ")";
  t.define(0, "reshape(" + pooled + ", [" + c + ", 1, 1])", {x.dims[0], x.dims[1], 1, 1},
           x.elemType, true);
}

// --- normalisation -------------------------------------------------------------------

/// A per-channel input of BatchNormalization or InstanceNormalization that
/// is not a constant (a graph input, a computed tensor): [C] reshaped to
/// [C, 1, ...] to meet x [N, C, spatial...] right-aligned (as [C] against a
/// channels-last image). A whole tensor, so the batch cannot be axis 0.
std::string channelStatistic(T &t, const Value &x, int i, const std::string &role,
                             const std::string &suffix, bool channelsLast) {
  Value &v = t.input(i);
  int64_t C = x.dims[1];
  if (v.batched)
    t.notPerSample("takes " + role + " from a tensor that is not a constant");
  if (v.rank() != 1 || v.dims[0] != C)
    t.fail(role + " must have shape [" + std::to_string(C) + "], got " + list(v.dims));
  std::string id = t.onnxOrder(v);
  if (channelsLast || x.rank() == 2)
    return id;
  std::vector<int64_t> dims(static_cast<size_t>(x.rank() - 1), 1);
  dims[0] = C;
  return t.temporary(t.node().output(0) + "_" + suffix,
                     "reshape(" + id + ", " + list(dims) + ")");
}

/// BatchNormalization in training mode over a whole tensor [N, C, ...]: the
/// mean and the biased variance over every axis but the channel's normalise
/// it; the running statistics ids[2], ids[3] ([C, 1, ...]) move towards them
/// by 1 - momentum (ONNX's reference).
void batchNormTraining(T &t, const Value &x, const std::string &xe, const std::string ids[4],
                       double eps) {
  int64_t C = x.dims[1];
  std::vector<int64_t> axes = {0};
  for (int k = 2; k < x.rank(); ++k)
    axes.push_back(k);
  std::string over = ", axis: " + list(axes) + ", keepdims: true)";
  std::string base = t.node().output(0);
  std::string mean = t.temporary(base + "_batch_mean", "mean(" + xe + over);
  std::string var = t.temporary(base + "_batch_var", "mean((" + xe + " - " + mean + ") ^ 2" + over);
  t.define(0, "(" + xe + " - " + mean + ") / sqrt(" + var + " + " + T::number(eps, x.elemType) +
                  ") * " + ids[0] + " + " + ids[1],
           x.dims, x.elemType, false);
  double momentum = t.floatAttr("momentum", 0.9);
  std::string m = T::number(momentum, x.elemType), rest = T::number(1 - momentum, x.elemType);
  for (int o = 1; o <= 2; ++o)
    if (t.outputUsed(o))
      t.define(o, "reshape(" + ids[o + 1] + ", [" + std::to_string(C) + "]) * " + m +
                      " + reshape(" + (o == 1 ? mean : var) + ", [" + std::to_string(C) + "]) * " + rest,
               {C}, x.elemType, false);
}

void batchNorm(T &t) {
  Value &x = t.input(0);
  // Training mode (opset 14's attribute): the batch's own statistics, and
  // the running ones updated as outputs 1 and 2. Before opset 14 extra
  // outputs asked for it with other semantics, which nnc does not import.
  bool training = t.intAttr("training_mode", 0) != 0;
  if (!training && (t.outputUsed(1) || t.outputUsed(2)))
    t.fail("training mode (batch statistics) before opset 14 is not supported; export the "
           "model in eval mode");
  if (training && x.batched)
    t.notPerSample("computes statistics over the batch (training mode)");
  if (x.rank() < 2)
    t.fail("the input must have a channel axis (axis 1)");
  int64_t C = x.dims[1];
  double eps = t.floatAttr("epsilon", 1e-5);
  // The scale and bias train; the running statistics stay as exported, as
  // PyTorch's BatchNorm does in eval mode.
  const char *roles[4] = {"the scale", "the bias", "the mean", "the variance"};
  const char *suffixes[4] = {"scale", "bias", "mean", "var"};
  std::string ids[4];
  bool channelsLast = x.perm.size() == 3 && x.perm == std::vector<int>{1, 2, 0};
  std::string xe = channelsLast ? x.id : t.onnxOrder(x);
  for (int k = 0; k < 4; ++k) {
    if (!t.input(k + 1).constant) {
      ids[k] = channelStatistic(t, x, k + 1, roles[k], suffixes[k], channelsLast);
      continue;
    }
    const Tensor &v = t.constantInput(k + 1, roles[k]);
    if (v.count() != C)
      t.fail(std::string(roles[k]) + " has " + std::to_string(v.count()) + " values for " +
             std::to_string(C) + " channels");
    // Channels last: [C]; else [C, 1, ...] right-aligned with [C, H, W].
    Tensor shaped = v;
    shaped.dims = {C};
    if (!channelsLast)
      shaped.dims.resize(static_cast<size_t>(x.rank() - 1), 1);
    std::string init = t.input(k + 1).initializer;
    ids[k] = t.declareParam(init.empty() ? t.node().output(0) + ".bn" + std::to_string(k) : init,
                            shaped, k < 2);
  }
  if (training) {
    batchNormTraining(t, x, xe, ids, eps);
    return;
  }
  std::string expr = "(" + xe + " - " + ids[2] + ") / sqrt(" + ids[3] + " + " +
                     T::number(eps, x.elemType) + ") * " + ids[0] + " + " + ids[1];
  t.define(0, expr, x.dims, x.elemType, x.batched, channelsLast ? x.perm : std::vector<int>{});
}

// --- softmax -----------------------------------------------------------------------

/// The normalising axis of Softmax, LogSoftmax and Hardmax (default 1 before
/// opset 13, -1 from it), which must not be the batch's.
int64_t softmaxAxis(T &t, const Value &x) {
  int64_t a = t.axis(t.intAttr("axis", t.opset() >= 13 ? -1 : 1), x.rank());
  if (x.batched && a == 0)
    t.notPerSample("normalises over the batch axis");
  return a;
}

/// `f` applied to the rows of x seen as the matrix [before axis, from axis
/// on] (the softmax family before opset 13), reshaped back.
std::string overRows(const Value &x, const std::string &xe, int64_t a, int64_t &cols,
                     const std::function<std::string(const std::string &)> &f) {
  int64_t rows = 1;
  cols = 1;
  for (int k = x.batched ? 1 : 0; k < x.rank(); ++k)
    (k < a ? rows : cols) *= x.dims[k];
  std::vector<int64_t> sample = x.sampleDims();
  return "reshape(" + f("reshape(" + xe + ", " + list({rows, cols}) + ")") + ", " +
         list(sample.empty() ? std::vector<int64_t>{1} : sample) + ")";
}

void softmax(T &t, const std::string &fn) {
  Value &x = t.input(0);
  int64_t a = softmaxAxis(t, x);
  std::string xe = t.onnxOrder(x);
  int first = x.batched ? 1 : 0;
  if (t.opset() >= 13 || a == x.rank() - 1) {
    t.define(0, fn + "(" + xe + ", axis: " + std::to_string(a - first) + ")", x.dims, x.elemType,
             x.batched);
    if (a == x.rank() - 1)
      t.markSoftmaxOf(0, xe);
    return;
  }
  int64_t cols = 0;
  t.define(0, overRows(x, xe, a, cols, [&](const std::string &m) { return fn + "(" + m + ", axis: -1)"; }),
           x.dims, x.elemType, x.batched);
}

// --- shapes ------------------------------------------------------------------------

void flatten(T &t) {
  Value &x = t.input(0);
  int64_t a = t.intAttr("axis", 1);
  if (a < -x.rank() || a > x.rank())
    t.fail("axis " + std::to_string(a) + " is out of range for a tensor of rank " +
           std::to_string(x.rank()));
  if (a < 0)
    a += x.rank();
  int64_t before = 1, after = 1;
  for (int k = 0; k < x.rank(); ++k)
    if (!(x.batched && k == 0))
      (k < a ? before : after) *= x.dims[k];
  std::string xe = t.onnxOrder(x);
  if (x.batched) {
    if (a == 0 || before != 1)
      t.notPerSample("flattens the batch axis into others");
    t.define(0, "reshape(" + xe + ", [" + std::to_string(after) + "])", {x.dims[0], after},
             x.elemType, true);
    return;
  }
  t.define(0, "reshape(" + xe + ", " + list({before, after}) + ")", {before, after}, x.elemType,
           false);
}

void reshape(T &t) {
  Value &x = t.input(0);
  std::vector<int64_t> shape;
  if (t.opset() < 5 || t.hasAttr("shape"))
    shape = t.intsAttr("shape");
  else
    for (double v : t.constantInput(1, "the shape").values)
      shape.push_back(integer(t, v));
  bool allowZero = t.intAttr("allowzero", 0) != 0;
  int b = x.batched ? x.batchAxis : -1; // the batch's axis, kept in place
  // x.view(x.size(0), -1): the batch size from a Shape keeps the batch.
  for (size_t k = 0; k < shape.size(); ++k)
    if (double(shape[k]) == kBatchSize) {
      if (static_cast<int>(k) != b)
        t.notPerSample("moves the batch size to another axis");
      shape[k] = 0;
    }
  int64_t total = 1;
  for (int k = 0; k < x.rank(); ++k)
    if (k != b)
      total *= x.dims[k];
  std::vector<int64_t> out(shape.size());
  int inferred = -1;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == 0 && !allowZero) {
      if (k >= x.dims.size())
        t.fail("shape entry 0 at axis " + std::to_string(k) + " has no input axis to copy");
      out[k] = x.dims[k];
    } else if (shape[k] == -1) {
      if (inferred >= 0)
        t.fail("the shape has more than one -1");
      inferred = static_cast<int>(k);
    } else if (shape[k] <= 0 || shape[k] > (int64_t(1) << 32)) {
      t.fail("shape entry " + std::to_string(shape[k]) + " is not supported");
    } else {
      out[k] = shape[k];
    }
  }
  if (b >= 0) {
    // The batch stays on its axis when it is copied (0), inferred from the
    // other entries, or the exported batch itself, and the axes before it
    // are kept as they are.
    if (static_cast<int>(shape.size()) <= b)
      t.notPerSample("reshapes the batch axis away");
    for (int k = 0; k < b; ++k)
      if (out[k] != x.dims[k] || inferred == k)
        t.notPerSample("reshapes the axes before the batch");
    bool batchKept = (shape[b] == 0 && !allowZero) || inferred == b ||
                     (x.dims[b] > 0 && shape[b] == x.dims[b] && inferred != b);
    if (!batchKept)
      t.notPerSample("reshapes the batch axis");
    out[b] = x.dims[b];
    if (inferred == b) {
      int64_t rest = 1;
      for (size_t k = 0; k < out.size(); ++k)
        if (static_cast<int>(k) != b)
          rest *= out[k];
      if (rest != total)
        t.notPerSample("reshapes the batch axis");
      inferred = -1;
    }
  }
  int64_t known = 1;
  double knownReal = 1;
  for (size_t k = 0; k < out.size(); ++k)
    if (static_cast<int>(k) != inferred && static_cast<int>(k) != b) {
      knownReal *= double(out[k]);
      if (knownReal > double(uint64_t(1) << 40))
        t.fail("shape " + list(shape) + " has more elements than the input's " +
               std::to_string(total));
      known *= out[k];
    }
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      t.fail("cannot infer the -1 entry of " + list(shape) + " for " + std::to_string(total) +
             " elements");
    out[inferred] = total / known;
    known *= out[inferred];
  }
  if (known != total)
    t.fail("shape " + list(shape) + " holds " + std::to_string(known) + " elements, not " +
           std::to_string(total));
  std::vector<int64_t> sample = out;
  if (b >= 0)
    sample.erase(sample.begin() + b);
  if (x.constant && !x.batched) {
    Tensor c = *x.constant;
    c.dims = out;
    t.defineConstant(0, c);
    return;
  }
  std::string xe = t.onnxOrder(x);
  t.define(0, reshapeTo(xe, sample), out, x.elemType, x.batched, {}, std::max(b, 0));
}

void transpose(T &t) {
  Value &x = t.input(0);
  std::vector<int64_t> perm = t.intsAttr("perm");
  if (perm.empty())
    for (int k = x.rank() - 1; k >= 0; --k)
      perm.push_back(k);
  if (static_cast<int>(perm.size()) != x.rank())
    t.fail("perm has " + std::to_string(perm.size()) + " entries for a tensor of rank " +
           std::to_string(x.rank()));
  std::vector<bool> seen(perm.size(), false);
  for (int64_t &p : perm) {
    p = t.axis(p, x.rank());
    if (seen[p])
      t.fail("perm " + list(t.intsAttr("perm")) + " names an axis twice");
    seen[p] = true;
  }
  std::vector<int64_t> dims;
  for (int64_t p : perm)
    dims.push_back(x.dims[t.axis(p, x.rank())]);
  if (isConstant(x) && (x.initializer.empty() || !(x.elemType == onnx::TensorProto_DataType_FLOAT ||
                                                    x.elemType == onnx::TensorProto_DataType_DOUBLE))) {
    // Shape arithmetic: permute the values now.
    std::vector<int64_t> si = stridesOf(x.dims);
    t.defineConstant(0, remapConstant(*x.constant, dims, [&](const std::vector<int64_t> &c) {
                       int64_t i = 0;
                       for (size_t k = 0; k < perm.size(); ++k)
                         i += c[k] * si[perm[k]];
                       return i;
                     }));
    return;
  }
  if (x.batched && !isConstant(x)) {
    // Only the axis order changes (and where the batch is): the value is the
    // same tensor, its order written out when an op needs ONNX's.
    int rank = x.rank();
    int batchOut = 0;
    for (int j = 0; j < rank; ++j)
      if (t.axis(perm[j], rank) == x.batchAxis)
        batchOut = j;
    auto sampleIndex = [](int axis, int batchAxis) { return axis - (axis > batchAxis ? 1 : 0); };
    std::vector<int> inverse(static_cast<size_t>(rank - 1));
    for (int j = 0; j < rank; ++j)
      if (j != batchOut)
        inverse[sampleIndex(static_cast<int>(t.axis(perm[j], rank)), x.batchAxis)] =
            sampleIndex(j, batchOut);
    Value v = x;
    v.dims = dims;
    v.batchAxis = batchOut;
    v.perm.assign(static_cast<size_t>(rank - 1), 0);
    bool identity = true;
    for (int i = 0; i + 1 < rank; ++i) {
      v.perm[i] = inverse[x.perm.empty() ? i : x.perm[i]];
      identity &= v.perm[i] == i;
    }
    if (identity)
      v.perm.clear();
    v.initializer.clear();
    t.alias(0, v);
    return;
  }
  std::string xe = t.onnxOrder(x);
  if (x.batched) {
    if (perm[0] != 0)
      t.notPerSample("moves the batch axis");
    std::vector<int64_t> sample;
    for (size_t k = 1; k < perm.size(); ++k)
      sample.push_back(perm[k] - 1);
    t.define(0, "transpose(" + xe + ", " + list(sample) + ")", dims, x.elemType, true);
    return;
  }
  t.define(0, "transpose(" + xe + ", " + list(perm) + ")", dims, x.elemType, false);
}

void concat(T &t) {
  Value &first = t.input(0);
  int64_t a = t.axis(t.intAttr("axis", 1), first.rank());
  for (int i = 1; i < t.inputCount(); ++i) {
    const Value &v = t.input(i);
    if (v.rank() != first.rank())
      t.fail("its inputs have ranks " + std::to_string(first.rank()) + " and " +
             std::to_string(v.rank()) + "; they must agree");
    for (int k = 0; k < v.rank(); ++k)
      if (k != a && v.dims[k] != first.dims[k] && !(v.batched && k == v.batchAxis))
        t.fail("its inputs differ in axis " + std::to_string(k) + " (" +
               std::to_string(first.dims[k]) + " and " + std::to_string(v.dims[k]) + ")");
  }
  bool batched = false;
  for (int i = 0; i < t.inputCount(); ++i)
    batched |= t.input(i).batched;
  if (batched && a == 0)
    t.notPerSample("concatenates along the batch axis");
  bool allConstant = true;
  for (int i = 0; i < t.inputCount(); ++i)
    allConstant &= isConstant(t.input(i)) && t.input(i).initializer.empty();
  if (allConstant) {
    Tensor out;
    out.elemType = first.elemType;
    out.dims = first.dims;
    out.dims[a] = 0;
    for (int i = 0; i < t.inputCount(); ++i)
      out.dims[a] += t.input(i).dims[a];
    int64_t outer = 1;
    for (int64_t k = 0; k < a; ++k)
      outer *= first.dims[k];
    for (int64_t o = 0; o < outer; ++o)
      for (int i = 0; i < t.inputCount(); ++i) {
        const Tensor &c = *t.input(i).constant;
        int64_t chunk = c.count() / std::max<int64_t>(outer, 1);
        out.values.insert(out.values.end(), c.values.begin() + o * chunk,
                          c.values.begin() + (o + 1) * chunk);
      }
    t.defineConstant(0, out);
    return;
  }
  std::string args;
  std::vector<int64_t> dims = first.dims;
  dims[a] = 0;
  for (int i = 0; i < t.inputCount(); ++i) {
    Value &v = t.input(i);
    if (batched && !v.batched)
      t.notPerSample("concatenates a constant to every sample (a batch-wide tensor)");
    args += (i ? ", " : "") + t.onnxOrder(v);
    dims[a] += v.dims[a];
  }
  if (t.inputCount() == 1) {
    t.alias(0, first);
    return;
  }
  t.define(0, "concat(" + args + ", axis: " + std::to_string(a - (batched ? 1 : 0)) + ")", dims,
           first.elemType, batched);
}

std::vector<int64_t> axesOf(T &t, int inputIndex, int rank) {
  std::vector<int64_t> axes;
  if (t.hasAttr("axes"))
    axes = t.intsAttr("axes");
  else if (t.hasInput(inputIndex))
    for (double v : t.constantInput(inputIndex, "axes").values)
      axes.push_back(integer(t, v));
  for (int64_t &a : axes)
    a = t.axis(a, rank);
  std::sort(axes.begin(), axes.end());
  return axes;
}

void squeezeLike(T &t, bool squeeze) {
  Value &x = t.input(0);
  if (x.fill)
    t.notPerSample("reshapes a tensor filled to the batch size");
  std::vector<int64_t> dims;
  int batchAxis = x.batchAxis;
  if (squeeze) {
    std::vector<int64_t> axes = axesOf(t, 1, x.rank());
    for (int k = 0; k < x.rank(); ++k) {
      bool drop = axes.empty() ? x.dims[k] == 1 && !(x.batched && k == x.batchAxis)
                               : std::count(axes.begin(), axes.end(), k) > 0;
      if (drop && x.batched && k == x.batchAxis)
        t.notPerSample("squeezes the batch axis");
      if (drop && x.dims[k] != 1)
        t.fail("axis " + std::to_string(k) + " has size " + std::to_string(x.dims[k]) + ", not 1");
      if (drop && k < x.batchAxis)
        --batchAxis;
      if (!drop)
        dims.push_back(x.dims[k]);
    }
  } else {
    size_t added = t.hasAttr("axes") ? t.intsAttr("axes").size()
                                     : static_cast<size_t>(t.constantInput(1, "axes").count());
    std::vector<int64_t> axes = axesOf(t, 1, x.rank() + static_cast<int>(added));
    dims = x.dims;
    for (int64_t a : axes) {
      if (x.batched && a <= batchAxis)
        ++batchAxis;
      dims.insert(dims.begin() + std::min<int64_t>(a, static_cast<int64_t>(dims.size())), 1);
    }
  }
  if (x.constant && x.id.empty()) {
    Tensor c = *x.constant;
    c.dims = dims;
    if (x.initializer.empty()) {
      t.defineConstant(0, c);
      return;
    }
  }
  std::string xe = t.onnxOrder(x);
  std::vector<int64_t> sample = dims;
  if (x.batched)
    sample.erase(sample.begin() + batchAxis);
  t.define(0, reshapeTo(xe, sample), dims, x.elemType, x.batched, {}, batchAxis);
}

/// ReduceProd: the reduced axes moved last and flattened, their entries
/// multiplied one by one (exact, with PyTorch's gradient at zeros), at most
/// 64 of them.
void reduceProduct(T &t, const Value &x, const std::string &xe, const std::vector<int64_t> &axes,
                   const std::vector<int64_t> &outDims) {
  std::vector<int64_t> sample = x.sampleDims(), perm, kept;
  int64_t reduced = 1, keptCount = 1;
  for (int64_t k = 0; k < static_cast<int64_t>(sample.size()); ++k)
    if (!std::count(axes.begin(), axes.end(), k)) {
      perm.push_back(k);
      kept.push_back(sample[k]);
      keptCount *= sample[k];
    }
  for (int64_t a : axes) {
    perm.push_back(a);
    reduced *= sample[a];
  }
  if (reduced > 64)
    t.fail("a product of more than 64 entries is not supported");
  bool identity = true;
  for (size_t k = 0; k < perm.size(); ++k)
    identity &= perm[k] == static_cast<int64_t>(k);
  std::string moved = identity ? xe : "transpose(" + xe + ", " + list(perm) + ")";
  std::vector<int64_t> flat = kept.empty() ? std::vector<int64_t>{reduced}
                                           : std::vector<int64_t>{keptCount, reduced};
  std::string rows = identity && flat == sample
                         ? xe
                         : t.temporary(t.node().output(0) + "_factors",
                                       "reshape(" + moved + ", " + list(flat) + ")");
  std::string product;
  for (int64_t i = 0; i < reduced; ++i)
    product += (i ? " * " : "") + rows + (kept.empty() ? "[" : "[:, ") + std::to_string(i) + "]";
  std::vector<int64_t> outSample = outDims;
  if (x.batched)
    outSample.erase(outSample.begin());
  std::string expr = product;
  std::vector<int64_t> productDims = kept.empty() ? std::vector<int64_t>{}
                                                  : std::vector<int64_t>{keptCount};
  if (!outSample.empty() && outSample != productDims)
    expr = "reshape(" + (reduced > 1 ? "(" + product + ")" : product) + ", " + list(outSample) + ")";
  else if (outSample.empty() && !kept.empty())
    expr = "sum(" + product + ")";
  t.define(0, expr, outDims, x.elemType, x.batched);
}

void reduce(T &t, const std::string &fn) {
  Value &x = t.input(0);
  // ReduceSum takes axes as an input from opset 13; the others from 18.
  std::vector<int64_t> axes = axesOf(t, 1, x.rank());
  bool keep = t.intAttr("keepdims", 1) != 0;
  if (axes.empty()) {
    if (t.intAttr("noop_with_empty_axes", 0)) {
      t.alias(0, x);
      return;
    }
    for (int k = 0; k < x.rank(); ++k)
      axes.push_back(k);
  }
  int first = x.batched ? 1 : 0;
  std::vector<int64_t> nnAxes, dims;
  for (int64_t a : axes) {
    if (x.batched && a == 0)
      t.notPerSample("reduces over the batch axis");
    nnAxes.push_back(a - first);
  }
  for (int k = 0; k < x.rank(); ++k) {
    bool reduced = std::count(axes.begin(), axes.end(), k) > 0;
    if (!reduced || keep)
      dims.push_back(reduced ? 1 : x.dims[k]);
  }
  std::string xe = t.onnxOrder(x);
  if (fn == "prod") {
    reduceProduct(t, x, xe, nnAxes, dims);
    return;
  }
  std::string args = ", axis: " + list(nnAxes) + (keep ? ", keepdims: true" : "");
  std::string expr = fn == "min"           ? "-max(-" + xe + args + ")"
                     : fn == "sum_square"  ? "sum(" + xe + " ^ 2" + args + ")"
                     : fn == "l1"          ? "sum(abs(" + xe + ")" + args + ")"
                     : fn == "l2"          ? "sqrt(sum(" + xe + " ^ 2" + args + "))"
                     : fn == "log_sum"     ? "log(sum(" + xe + args + "))"
                     : fn == "log_sum_exp" ? "log(sum(exp(" + xe + ")" + args + "))"
                                           : fn + "(" + xe + args + ")";
  t.define(0, expr, dims, x.elemType, x.batched);
}

// --- einsum -------------------------------------------------------------------------

/// One operand of an Einsum: its expression, a letter per per-sample axis,
/// and the sizes.
struct EinsumTerm {
  std::string expr;
  std::string letters;
  std::vector<int64_t> dims;
};

std::string permuted(const std::string &e, const std::string &from, const std::string &to) {
  if (from == to)
    return e;
  std::vector<int64_t> perm;
  for (char c : to)
    perm.push_back(static_cast<int64_t>(from.find(c)));
  return "transpose(" + e + ", " + list(perm) + ")";
}

std::string reshaped(const std::string &e, const std::vector<int64_t> &from,
                     const std::vector<int64_t> &to) {
  return from == to ? e : reshapeTo(e, to);
}

/// Sums away the axes whose letters are not in `keep`.
void sumAxesNotIn(EinsumTerm &x, const std::string &keep) {
  std::vector<int64_t> axes, dims;
  std::string letters;
  for (size_t k = 0; k < x.letters.size(); ++k) {
    if (keep.find(x.letters[k]) == std::string::npos) {
      axes.push_back(static_cast<int64_t>(k));
    } else {
      letters += x.letters[k];
      dims.push_back(x.dims[k]);
    }
  }
  if (axes.empty())
    return;
  x.expr = letters.empty() ? "sum(" + x.expr + ")" : "sum(" + x.expr + ", axis: " + list(axes) + ")";
  x.letters = letters;
  x.dims = dims;
}

/// A repeated letter takes the diagonal: where(eye, x, 0) summed over the
/// second of the two axes.
void takeDiagonals(T &t, EinsumTerm &x) {
  for (size_t q = 0; q < x.letters.size(); ++q) {
    size_t p = x.letters.find(x.letters[q]);
    if (p == q)
      continue;
    if (x.dims[p] != x.dims[q])
      t.fail("the repeated letter '" + std::string(1, x.letters[p]) + "' spans axes of sizes " +
             std::to_string(x.dims[p]) + " and " + std::to_string(x.dims[q]));
    if (x.dims[p] > 4096)
      t.fail("a diagonal of more than 4096 entries is not supported");
    Value mask;
    mask.elemType = onnx::TensorProto_DataType_BOOL;
    mask.dims.assign(x.dims.size(), 1);
    mask.dims[p] = mask.dims[q] = x.dims[p];
    Tensor eye;
    eye.elemType = mask.elemType;
    eye.dims = mask.dims;
    for (int64_t i = 0; i < x.dims[p]; ++i)
      for (int64_t j = 0; j < x.dims[p]; ++j)
        eye.values.push_back(i == j);
    mask.constant = eye;
    x.expr = "sum(where(" + t.onnxOrder(mask) + ", " + x.expr + ", 0), axis: [" +
             std::to_string(q) + "])";
    x.letters.erase(q, 1);
    x.dims.erase(x.dims.begin() + static_cast<long>(q));
    q = 0;
  }
}

/// Einsum of one or two operands. Ellipses become digits (broadcast axes,
/// right-aligned). One operand: diagonals, sums, a transpose. Two: letters
/// of one operand only summed first, then [shared, freeA, contracted] @
/// [shared, contracted, freeB], reshaped and transposed to the output.
void einsum(T &t) {
  std::string eq;
  for (char c : t.stringAttr("equation", ""))
    if (c != ' ')
      eq += c;
  size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow), rhs = arrow == std::string::npos ? "" : eq.substr(arrow + 2);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if (static_cast<int>(terms.size()) != t.inputCount())
    t.fail("the equation names " + std::to_string(terms.size()) + " operands for " +
           std::to_string(t.inputCount()) + " inputs");
  if (terms.size() > 2)
    t.fail("more than two operands are not supported");
  // Ellipses: as many digits as the operand has unnamed axes.
  int ellipsis = 0;
  for (int i = 0; i < static_cast<int>(terms.size()); ++i) {
    size_t dots = terms[i].find("...");
    int named = static_cast<int>(terms[i].size()) - (dots == std::string::npos ? 0 : 3);
    int extra = t.input(i).rank() - named;
    if (dots == std::string::npos ? extra != 0 : extra < 0)
      t.fail("term '" + terms[i] + "' does not match the rank " + std::to_string(t.input(i).rank()) +
             " of input " + std::to_string(i));
    ellipsis = std::max(ellipsis, extra);
  }
  auto digits = [](int n, int of) {
    std::string d;
    for (int k = of - n; k < of; ++k)
      d += static_cast<char>('0' + k);
    return d;
  };
  if (ellipsis > 10)
    t.fail("an ellipsis of more than 10 axes is not supported");
  for (int i = 0; i < static_cast<int>(terms.size()); ++i) {
    size_t dots = terms[i].find("...");
    if (dots != std::string::npos)
      terms[i].replace(dots, 3, digits(t.input(i).rank() - (static_cast<int>(terms[i].size()) - 3), ellipsis));
    for (char c : terms[i])
      if (!std::isalnum(static_cast<unsigned char>(c)))
        t.fail("the equation has the character '" + std::string(1, c) + "'");
  }
  std::string out;
  if (arrow != std::string::npos) {
    size_t dots = rhs.find("...");
    out = rhs;
    if (dots != std::string::npos)
      out.replace(dots, 3, digits(ellipsis, ellipsis));
  } else { // implicit: the broadcast axes, then the letters used once, sorted
    std::string once;
    for (char c = 'A'; c <= 'z'; ++c) {
      int n = 0;
      for (const auto &term : terms)
        n += static_cast<int>(std::count(term.begin(), term.end(), c));
      if (n == 1 && std::isalpha(static_cast<unsigned char>(c)))
        once += c;
    }
    out = digits(ellipsis, ellipsis) + once;
  }
  std::map<char, int64_t> size;
  for (int i = 0; i < static_cast<int>(terms.size()); ++i)
    for (size_t k = 0; k < terms[i].size(); ++k) {
      int64_t d = t.input(i).dims[k];
      auto [it, fresh] = size.emplace(terms[i][k], d);
      if (!fresh && it->second != d)
        t.fail("the letter '" + std::string(1, terms[i][k]) + "' spans axes of sizes " +
               std::to_string(it->second) + " and " + std::to_string(d) + " (broadcasting is not supported)");
    }
  for (char c : out)
    if (!size.count(c) || std::count(out.begin(), out.end(), c) > 1)
      t.fail("the output letter '" + std::string(1, c) + "' is not an input's, or repeats");
  // The batch: axis 0 of every batched operand, one letter, first in the output.
  char batch = 0;
  bool batched = false;
  for (int i = 0; i < static_cast<int>(terms.size()); ++i)
    if (t.input(i).batched) {
      if ((batched && terms[i][0] != batch) || t.input(i).batchAxis != 0)
        t.notPerSample("joins different axes with the batch");
      batch = terms[i][0];
      batched = true;
    }
  if (batched) {
    if (out.empty() || out[0] != batch)
      t.notPerSample("sums over the batch or moves it from axis 0");
    for (int i = 0; i < static_cast<int>(terms.size()); ++i)
      if (std::count(terms[i].begin(), terms[i].end(), batch) != (t.input(i).batched ? 1 : 0))
        t.notPerSample("uses the batch's letter on an axis other than the batch");
  }
  std::vector<EinsumTerm> xs;
  for (int i = 0; i < static_cast<int>(terms.size()); ++i) {
    EinsumTerm x{t.onnxOrder(t.input(i)), terms[i], t.input(i).sampleDims()};
    if (t.input(i).batched)
      x.letters.erase(0, 1);
    takeDiagonals(t, x);
    xs.push_back(x);
  }
  std::string want = batched ? out.substr(1) : out;
  auto dimsOf = [&](const std::string &letters) {
    std::vector<int64_t> d;
    for (char c : letters)
      d.push_back(size.at(c));
    return d;
  };
  auto product = [&](const std::string &letters) {
    int64_t n = 1;
    for (char c : letters)
      n *= size.at(c);
    return n;
  };
  EinsumTerm result;
  if (xs.size() == 1) {
    result = xs[0];
    sumAxesNotIn(result, want);
  } else {
    EinsumTerm &a = xs[0], &b = xs[1];
    sumAxesNotIn(a, want + b.letters);
    sumAxesNotIn(b, want + a.letters);
    std::string shared, freeA, freeB, contracted;
    for (char c : a.letters)
      (b.letters.find(c) == std::string::npos ? freeA
       : want.find(c) == std::string::npos    ? contracted
                                              : shared) += c;
    for (char c : b.letters)
      if (a.letters.find(c) == std::string::npos)
        freeB += c;
    std::vector<int64_t> da = dimsOf(shared), db = dimsOf(shared);
    da.push_back(product(freeA));
    da.push_back(product(contracted));
    db.push_back(product(contracted));
    db.push_back(product(freeB));
    std::string ae = reshaped(permuted(a.expr, a.letters, shared + freeA + contracted),
                              dimsOf(shared + freeA + contracted), da);
    std::string be = reshaped(permuted(b.expr, b.letters, shared + contracted + freeB),
                              dimsOf(shared + contracted + freeB), db);
    std::vector<int64_t> dr = dimsOf(shared);
    dr.push_back(da[da.size() - 2]);
    dr.push_back(db.back());
    result.letters = shared + freeA + freeB;
    result.dims = dimsOf(result.letters);
    result.expr = reshaped("(" + ae + " @ " + be + ")", dr, result.dims);
  }
  std::string expr = permuted(result.expr, result.letters, want);
  if (want.empty() && !result.letters.empty())
    expr = "sum(" + expr + ")";
  std::vector<int64_t> dims = dimsOf(out);
  if (batched)
    for (int i = 0; i < t.inputCount(); ++i)
      if (t.input(i).batched)
        dims[0] = t.input(i).dims[0];
  t.define(0, expr, dims, t.input(0).elemType, batched);
}

// --- constants ------------------------------------------------------------------------

void constant(T &t) {
  const onnx::NodeProto &n = t.node();
  for (const auto &a : n.attribute()) {
    Tensor c;
    if (a.name() == "value") {
      c = tensorValues(a.t(), "the value of Constant '" + n.output(0) + "'");
    } else if (a.name() == "value_float") {
      c.elemType = onnx::TensorProto_DataType_FLOAT;
      c.values = {a.f()};
    } else if (a.name() == "value_floats") {
      c.elemType = onnx::TensorProto_DataType_FLOAT;
      c.values.assign(a.floats().begin(), a.floats().end());
      c.dims = {static_cast<int64_t>(c.values.size())};
    } else if (a.name() == "value_int") {
      c.elemType = onnx::TensorProto_DataType_INT64;
      c.values = {double(a.i())};
    } else if (a.name() == "value_ints") {
      c.elemType = onnx::TensorProto_DataType_INT64;
      for (int64_t v : a.ints())
        c.values.push_back(double(v));
      c.dims = {static_cast<int64_t>(c.values.size())};
    } else {
      t.fail("attribute '" + a.name() + "' (a sparse or string constant) is not supported");
    }
    t.defineConstant(0, c);
    return;
  }
  t.fail("has no value");
}

void clip(T &t) {
  Value &x = t.input(0);
  if (x.id.empty())
    t.onnxOrder(x);
  std::string expr = x.id;
  bool computed = false;
  auto bound = [&](const char *name, int index, const char *attrName) {
    if (t.opset() < 11) {
      if (t.hasAttr(attrName))
        expr = std::string(name[1] == 'i' ? "maximum(" : "minimum(") + expr + ", " +
               T::number(t.floatAttr(attrName, 0), x.elemType) + ")";
      return;
    }
    if (!t.hasInput(index))
      return;
    Value &b = t.input(index);
    if (b.constant && b.id.empty() && b.constant->count() == 1 && !std::isfinite(b.constant->values[0]))
      return; // an infinite bound clips nothing
    if (!b.constant || !b.id.empty())
      computed = true;
    if (computed && !x.perm.empty())
      expr = t.onnxOrder(x);
    std::string be = b.batched ? t.onnxOrder(b) : t.operandFor(b, x);
    expr = std::string(name[1] == 'i' ? "maximum(" : "minimum(") + expr + ", " + be + ")";
  };
  bound("min", 1, "min");
  bound("max", 2, "max");
  t.define(0, expr, x.dims, x.elemType, x.batched, x.perm);
}

/// Cast (to: the attribute) and CastLike (to: input 1's type): constants
/// are converted at import time, values by `cast`. Integers compute in f64,
/// float16 and bool in f32 (bool in f64 too); a float becomes an integer by
/// truncation toward zero, an integer a narrower one by wrapping, as C++
/// converts. float16 is rounded only where it is a graph output.
void cast(T &t, bool like) {
  Value &x = t.input(0);
  int32_t from = x.elemType;
  int32_t to = static_cast<int32_t>(like ? t.input(1).elemType : t.intAttr("to", 0));
  if (to == from) {
    t.alias(0, x);
    return;
  }
  const int32_t kBool = onnx::TensorProto_DataType_BOOL, kHalf = onnx::TensorProto_DataType_FLOAT16;
  bool known = isFloat(to) || isInteger(to) || to == kBool || to == kHalf;
  if (!known || !(isFloat(from) || isInteger(from) || from == kBool || from == kHalf))
    t.fail("a cast from " + elemTypeName(from) + " to " + elemTypeName(to) + " is not supported");
  if (x.indices)
    t.fail("a cast of class indices (an ArgMax, a class(N) input) is not supported");
  if (x.constant && x.id.empty()) {
    Tensor c = *x.constant;
    c.elemType = to;
    for (double &v : c.values) {
      uint64_t bits = 0;
      if (v == kBatchSize) // the batch size is the batch size in any type
        continue;
      if (to == kBool)
        v = v != 0;
      else if (to == kHalf)
        v = halfValue(halfBits(v));
      else if (to == onnx::TensorProto_DataType_FLOAT)
        v = double(float(v));
      else if (isInteger(to) && std::isfinite(v) && integerBits(storageOf(to), std::trunc(v), bits))
        v = integerValue(storageOf(to), bits);
      else if (isInteger(to))
        t.fail("casts the constant " + std::to_string(v) + " to " + elemTypeName(to));
    }
    t.defineConstant(0, c);
    return;
  }
  std::string xe = t.onnxOrder(x);
  if (to == kBool) {
    t.define(0, xe + " != 0", x.dims, from, x.batched);
    t.markBool(0);
    return;
  }
  // The computing type of the result: f64 for integers and double, f32 else.
  std::string type = T::nnType(to, {});
  std::string expr = "cast(" + xe + ", " + type + ")";
  if (isInteger(to) && !isInteger(from) && from != kBool)
    expr = truncated(t, expr);
  if (isInteger(to) && isInteger(from) && storageBits(storageOf(to)) >= storageBits(storageOf(from)) &&
      isSignedStorage(storageOf(to)) == isSignedStorage(storageOf(from)))
    expr = xe; // widening: the same numbers
  else if (isInteger(to))
    expr = wrapped(t, expr, to);
  t.define(0, expr, x.dims, to, x.batched);
}

/// Identity of a weight is PyTorch's exporter sharing one initializer among
/// parameters with equal values (LayerNorm's ones): the output name is the
/// parameter's own, and it stays a parameter of its own.
void identity(T &t) {
  Value v = t.input(0);
  if (isConstant(v) && !v.initializer.empty()) {
    v.initializer = t.node().output(0);
    v.id.clear();
  }
  t.alias(0, v);
}

void dropout(T &t) {
  // Opset 12+: training_mode (input 2) true draws random masks, which an
  // imported model does not reproduce; inference is the identity.
  if (t.hasInput(2)) {
    const Tensor &training = t.constantInput(2, "training_mode");
    double ratio = t.hasInput(1) ? t.constantInput(1, "the ratio").values.at(0) : 0.5;
    if (!training.values.empty() && training.values[0] != 0 && ratio != 0)
      t.fail("training mode (random masks) is not supported; export the model in eval mode");
  }
  Value &x = t.input(0);
  t.alias(0, x);
  if (!t.outputUsed(1))
    return;
  // The mask keeps every element: true everywhere, NaN included.
  if (isConstant(x) || !x.batched) {
    Tensor ones;
    ones.elemType = onnx::TensorProto_DataType_BOOL;
    ones.dims = x.dims;
    ones.values.assign(static_cast<size_t>(ones.count()), 1.0);
    t.defineConstant(1, ones);
    return;
  }
  std::string xe = t.onnxOrder(x);
  t.define(1, "(" + xe + " == " + xe + ") + (" + xe + " != " + xe + ")", x.dims, x.elemType,
           x.batched);
  t.markBool(1);
}


/// Pow: the result has the base's type; an integer base with a float
/// exponent truncates toward zero (ONNX's reference casts the power).
void pow(T &t) {
  Value &x = t.input(0);
  Value &e = t.input(1);
  bool intBase = isInteger(x.elemType), floatExponent = !isInteger(e.elemType);
  auto finish = [&](std::string expr, std::vector<int64_t> dims, bool batched, std::vector<int> perm) {
    if (intBase && floatExponent)
      expr = truncated(t, expr);
    if (intBase)
      expr = wrapped(t, expr, x.elemType);
    t.define(0, expr, std::move(dims), x.elemType, batched, std::move(perm));
  };
  if (e.constant && e.constant->count() == 1) {
    if (x.constant && x.id.empty() && x.initializer.empty()) {
      binary(t, "^");
      return;
    }
    if (x.id.empty())
      t.onnxOrder(x);
    finish(x.id + " ^ " + T::number(e.constant->values[0], x.elemType), x.dims, x.batched, x.perm);
    return;
  }
  if (x.elemType == e.elemType || (x.constant && e.constant && x.id.empty() && e.id.empty())) {
    binary(t, "^");
    return;
  }
  // Mixed types: the exponent computed in the base's float type.
  if (!broadcastable(x, e))
    t.fail("shapes " + list(x.dims) + " and " + list(e.dims) + " do not broadcast");
  Operands o = binaryOperands(t);
  std::string type = T::nnType(x.elemType, {});
  std::string exponent = e.constant && e.constant->count() == 1 ? o.r : "cast(" + o.r + ", " + type + ")";
  finish(o.l + " ^ " + exponent, o.dims, o.batched, o.perm);
}


/// BitShift on unsigned integers: LEFT is x * 2^y wrapped to the type (the
/// bits shifted out are lost), RIGHT is floor(x / 2^y); both exact in f64
/// while x * 2^y stays within 2^53.
void bitShift(T &t) {
  Value &x = t.input(0), &y = t.input(1);
  if (!isInteger(x.elemType) || isSignedStorage(storageOf(x.elemType)))
    t.fail("it takes unsigned integers, not " + elemTypeName(x.elemType));
  std::string direction = t.stringAttr("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    t.fail("direction '" + direction + "' is not LEFT or RIGHT");
  if (!broadcastable(x, y))
    t.fail("shapes " + list(x.dims) + " and " + list(y.dims) + " do not broadcast");
  if (isConstant(x) && isConstant(y))
    t.fail("a BitShift of constants is not supported");
  Operands o = binaryOperands(t);
  std::string scale = "2 ^ " + o.r;
  std::string expr = direction == "LEFT" ? wrapped(t, o.l + " * " + scale, x.elemType)
                                         : "floor(" + o.l + " / " + scale + ")";
  t.define(0, expr, o.dims, x.elemType, o.batched, o.perm);
}

// --- comparisons and selection ---------------------------------------------------

/// a < b and friends: 1 or 0 in the operands' float type, marked bool.
void compare(T &t, const std::string &op) {
  bool integers = isInteger(t.input(0).elemType);
  binary(t, op);
  t.markBool(0, integers);
}

/// IsNaN as x != x; IsInf as a comparison with the largest finite number of
/// x's type (infinities lie beyond it; NaN compares false), on either side
/// as detect_positive and detect_negative ask.
void isNaN(T &t) {
  Value &x = t.input(0);
  std::string xe = t.onnxOrder(x);
  t.define(0, xe + " != " + xe, x.dims, x.elemType, x.batched);
  t.markBool(0);
}

void isInf(T &t) {
  Value &x = t.input(0);
  bool positive = t.intAttr("detect_positive", 1) != 0, negative = t.intAttr("detect_negative", 1) != 0;
  std::string xe = t.onnxOrder(x);
  double largest = x.elemType == onnx::TensorProto_DataType_DOUBLE
                       ? std::numeric_limits<double>::max()
                       : double(std::numeric_limits<float>::max());
  std::string bound = T::number(largest, x.elemType);
  std::string expr = positive && negative ? "abs(" + xe + ") > " + bound
                     : positive           ? xe + " > " + bound
                     : negative           ? xe + " < -" + bound
                                          : "0 * " + xe;
  t.define(0, expr, x.dims, x.elemType, x.batched);
  t.markBool(0);
}

/// Trilu: x where the column is at least (upper) or at most (lower) the row
/// plus k, else 0, over the last two axes: a constant mask.
void trilu(T &t) {
  Value &x = t.input(0);
  int64_t k = t.hasInput(1) ? integer(t, t.constantInput(1, "k").values.at(0)) : 0;
  bool upper = t.intAttr("upper", 1) != 0;
  if (x.batched && x.rank() < 3)
    t.notPerSample("takes the triangle of a matrix whose rows are the batch");
  if (x.rank() < 2)
    t.fail("needs a tensor of rank 2 or more");
  int64_t rows = x.dims[x.rank() - 2], cols = x.dims.back();
  Tensor mask;
  mask.elemType = onnx::TensorProto_DataType_BOOL;
  mask.dims = {rows, cols};
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      mask.values.push_back(upper ? j - i >= k : j - i <= k);
  if (isConstant(x)) {
    Tensor out = *x.constant;
    for (size_t e = 0; e < out.values.size(); ++e)
      if (!mask.values[e % mask.values.size()])
        out.values[e] = 0;
    t.defineConstant(0, out);
    return;
  }
  Value m;
  m.elemType = mask.elemType;
  m.dims = mask.dims;
  m.constant = mask;
  std::string xe = t.onnxOrder(x);
  std::string me = t.operandFor(m, x);
  t.define(0, "where(" + me + ", " + xe + ", 0)", x.dims, x.elemType, x.batched);
}

/// Not, And, Or, Xor on ONNX's bools (1s and 0s): 1 - x, a * b, maximum(a, b),
/// a != b, marked bool.
void logical(T &t, const std::string &op) {
  for (int i = 0; i < t.inputCount(); ++i)
    if (t.input(i).elemType != onnx::TensorProto_DataType_BOOL)
      t.fail("input " + std::to_string(i) + " has element type " +
             elemTypeName(t.input(i).elemType) + "; it takes bool");
  if (op == "not") {
    Value &x = t.input(0);
    if (x.constant && x.id.empty()) {
      Tensor c = *x.constant;
      for (double &v : c.values)
        v = v != 0 ? 0 : 1;
      t.defineConstant(0, c);
    } else {
      if (x.id.empty())
        t.onnxOrder(x);
      t.define(0, "1 - " + x.id, x.dims, x.elemType, x.batched, x.perm);
    }
  } else {
    binary(t, op);
  }
  t.markBool(0);
}

/// Where of constants that are not weights: shape arithmetic (PyTorch's
/// expand(-1, ...) picks the sizes it keeps with Where), computed at import
/// time with numpy broadcasting.
bool foldWhere(T &t) {
  Value &c = t.input(0), &x = t.input(1), &y = t.input(2);
  for (Value *v : {&c, &x, &y})
    if (!isConstant(*v) || !v->initializer.empty())
      return false;
  Value d;
  d.dims = broadcastDims(c, x);
  Tensor out;
  out.elemType = x.elemType;
  out.dims = broadcastDims(d, y);
  std::vector<int64_t> so = stridesOf(out.dims);
  auto at = [&](const Tensor &v, int64_t o) { return broadcastSource(v, out.dims, so, o); };
  for (int64_t o = 0; o < out.count(); ++o)
    out.values.push_back(c.constant->values[size_t(at(*c.constant, o))] != 0
                             ? x.constant->values[size_t(at(*x.constant, o))]
                             : y.constant->values[size_t(at(*y.constant, o))]);
  t.defineConstant(0, out);
  return true;
}

void whereOp(T &t) {
  Value &c = t.input(0), &x = t.input(1), &y = t.input(2);
  if (foldWhere(t))
    return;
  Value *lead = x.batched ? &x : y.batched ? &y : c.batched ? &c : &x;
  t.onnxOrder(*lead);
  for (Value *v : {&c, &x, &y})
    if (v->batched && v->rank() != lead->rank())
      t.notPerSample("broadcasts tensors of different ranks against the batch axis");
  auto operand = [&](Value &v) {
    return &v == lead ? v.id : v.batched ? t.onnxOrder(v) : t.operandFor(v, *lead);
  };
  std::string ce = operand(c), xe = operand(x), ye = operand(y);
  std::vector<int64_t> dims = broadcastDims(c, x);
  Value d;
  d.dims = dims;
  dims = broadcastDims(d, y);
  bool batched = c.batched || x.batched || y.batched;
  if (batched)
    dims[0] = lead->dims[0];
  t.define(0, "where(" + ce + ", " + xe + ", " + ye + ")", dims, x.elemType, batched);
}

void prelu(T &t) {
  Value &x = t.input(0), &slope = t.input(1);
  // Opset 6: a [C] slope is per channel (axis 1), not right-aligned.
  if (t.opset() < 7 && slope.rank() == 1 && x.rank() > 2 && slope.dims[0] == x.dims[1] &&
      slope.constant && slope.id.empty()) {
    slope.dims.resize(static_cast<size_t>(x.rank() - 1), 1);
    slope.constant->dims = slope.dims;
  }
  if (x.id.empty())
    t.onnxOrder(x);
  if (!slope.constant && !x.perm.empty())
    t.onnxOrder(x);
  std::string se = t.operandFor(slope, x);
  std::string xe = x.id;
  t.define(0, "where(" + xe + " > 0, " + xe + ", " + se + " * " + xe + ")", x.dims, x.elemType,
           x.batched, x.perm);
}

void split(T &t) {
  Value &x = t.input(0);
  int64_t a = t.axis(t.intAttr("axis", 0), x.rank());
  if (x.batched && a == 0)
    t.notPerSample("splits the batch axis");
  std::vector<int64_t> sizes;
  if (t.hasAttr("split"))
    sizes = t.intsAttr("split");
  else if (t.hasInput(1))
    for (double v : t.constantInput(1, "the split sizes").values)
      sizes.push_back(integer(t, v));
  int outputs = t.node().output_size();
  if (sizes.empty() && (t.hasAttr("split") || t.hasInput(1)))
    t.fail("the split sizes are empty");
  if (sizes.empty()) {
    if (x.dims[a] % outputs != 0)
      t.fail("axis " + std::to_string(a) + " of size " + std::to_string(x.dims[a]) +
             " does not split into " + std::to_string(outputs) + " equal parts");
    sizes.assign(static_cast<size_t>(outputs), x.dims[a] / outputs);
  }
  if (static_cast<int>(sizes.size()) != outputs)
    t.fail("split has " + std::to_string(sizes.size()) + " sizes for " +
           std::to_string(outputs) + " outputs");
  std::string xe = t.onnxOrder(x);
  int64_t lo = 0;
  for (int o = 0; o < outputs; ++o) {
    std::string items;
    for (int k = x.batched ? 1 : 0; k < x.rank(); ++k)
      items += (items.empty() ? "" : ", ") +
               (k == a ? std::to_string(lo) + ":" + std::to_string(lo + sizes[o]) : std::string(":"));
    std::vector<int64_t> dims = x.dims;
    dims[a] = sizes[o];
    if (sizes[o] <= 0)
      t.fail("a split of size " + std::to_string(sizes[o]) + " is not supported");
    t.define(o, xe + "[" + items + "]", dims, x.elemType, x.batched);
    lo += sizes[o];
  }
}

void expand(T &t) {
  Value &x = t.input(0);
  const Tensor &shape = t.constantInput(1, "the shape");
  Value target;
  for (double v : shape.values) {
    if (v == kBatchSize)
      target.dims.push_back(x.batched ? x.dims[0] : 1);
    else
      target.dims.push_back(integer(t, v));
  }
  double elements = 1;
  for (int64_t d : target.dims) {
    if (d < 1 || d > (int64_t(1) << 32))
      t.fail("shape entry " + std::to_string(d) + " is not supported");
    elements *= double(d);
  }
  if (elements > double(int64_t(1) << 28))
    t.fail("expanding to " + list(target.dims) + " is too large");
  if (!broadcastable(x, target))
    t.fail("shape " + list(target.dims) + " does not broadcast with " + list(x.dims));
  std::vector<int64_t> dims = broadcastDims(x, target);
  if (x.batched) {
    if (target.rank() > x.rank() || (target.rank() == x.rank() && target.dims[0] != 1 &&
                                     target.dims[0] != x.dims[0] && shape.values[0] != kBatchSize))
      t.notPerSample("expands along the batch axis");
    dims[0] = x.dims[0];
  }
  if (dims == x.dims) {
    t.alias(0, x);
    return;
  }
  if (isConstant(x) && !x.batched && x.initializer.empty()) {
    Tensor c;
    c.elemType = x.constant->elemType;
    c.dims = dims;
    Tensor zero;
    zero.elemType = c.elemType;
    zero.dims = dims;
    zero.values.assign(static_cast<size_t>(zero.count()), 0.0);
    t.defineConstant(0, foldBinary(t, *x.constant, zero, "+"));
    return;
  }
  // x + zeros of the target shape: the broadcast, as a sum.
  std::string xe = t.onnxOrder(x);
  Tensor zero;
  zero.elemType = x.elemType;
  zero.dims.assign(dims.begin() + (x.batched ? 1 : 0), dims.end());
  zero.values.assign(static_cast<size_t>(zero.count()), 0.0);
  Value z;
  z.constant = zero;
  z.elemType = zero.elemType;
  z.dims = zero.dims;
  std::string ze = t.onnxOrder(z);
  t.define(0, xe + " + " + ze, dims, x.elemType, x.batched);
}

/// Tile: r[k] copies of x side by side along each axis k (concat), folded
/// when x is a constant.
void tile(T &t) {
  Value &x = t.input(0);
  const Tensor &repeats = t.constantInput(1, "the repeats");
  if (repeats.count() != x.rank())
    t.fail("the repeats have " + std::to_string(repeats.count()) + " entries for a rank-" +
           std::to_string(x.rank()) + " input");
  std::vector<int64_t> r, dims = x.dims;
  double elements = 1;
  for (int k = 0; k < x.rank(); ++k) {
    r.push_back(integer(t, repeats.values[k]));
    if (r[k] < 1 || r[k] > 256)
      t.fail("repeat count " + std::to_string(r[k]) + " is not supported (1 to 256)");
    dims[k] *= r[k];
    elements *= double(dims[k]);
  }
  if (elements > double(int64_t(1) << 28))
    t.fail("tiling to " + list(dims) + " is too large");
  if (x.batched && r[0] != 1)
    t.notPerSample("repeats the batch axis");
  if (isConstant(x) && !x.batched) {
    const Tensor &c = *x.constant;
    Tensor out;
    out.elemType = c.elemType;
    out.dims = dims;
    out.values.resize(static_cast<size_t>(elements));
    for (size_t i = 0; i < out.values.size(); ++i) { // each output element's source
      size_t rest = i, from = 0, stride = 1;
      for (int k = x.rank() - 1; k >= 0; --k) {
        int64_t at = int64_t(rest % size_t(dims[k]));
        rest /= size_t(dims[k]);
        from += size_t(at % c.dims[k]) * stride;
        stride *= size_t(c.dims[k]);
      }
      out.values[i] = c.values[from];
    }
    t.defineConstant(0, out);
    return;
  }
  std::string e = t.onnxOrder(x);
  int first = x.batched ? 1 : 0, last = x.rank() - 1;
  while (last >= first && r[last] == 1)
    --last;
  for (int k = first; k <= last; ++k) { // the last axis tiled defines the output
    if (r[k] == 1)
      continue;
    std::string copies;
    for (int64_t c = 0; c < r[k]; ++c)
      copies += (c ? ", " : "") + e;
    e = "concat(" + copies + ", axis: " + std::to_string(k - first) + ")";
    if (k < last)
      e = t.temporary(firstOutput(t.node()) + "_tile", e);
  }
  t.define(0, e, dims, x.elemType, x.batched);
}

/// LayerNormalization with a computed scale or bias: the formula itself.
void layerNormExpression(T &t, Value &x, int64_t a) {
  std::string xe = t.onnxOrder(x);
  std::vector<int64_t> axes, statDims = x.dims;
  for (int k = static_cast<int>(a); k < x.rank(); ++k) {
    axes.push_back(k - (x.batched ? 1 : 0));
    statDims[k] = 1;
  }
  std::string args = ", axis: " + list(axes) + ", keepdims: true)";
  std::string eps = T::number(t.floatAttr("epsilon", 1e-5), x.elemType);
  std::string mean = t.temporary(t.node().output(0) + "_mean", "mean(" + xe + args);
  std::string centered = t.temporary(t.node().output(0) + "_centered", xe + " - " + mean);
  std::string inv = t.temporary(t.node().output(0) + "_inv",
                                "1 / sqrt(mean(" + centered + " ^ 2" + args + " + " + eps + ")");
  Value &scale = t.input(1);
  std::string expr = centered + " * " + inv + " * " +
                     (scale.batched ? t.onnxOrder(scale) : t.operandFor(scale, x));
  if (t.hasInput(2)) {
    Value &bias = t.input(2);
    expr += " + " + (bias.batched ? t.onnxOrder(bias) : t.operandFor(bias, x));
  }
  t.define(0, expr, x.dims, x.elemType, x.batched);
  if (t.outputUsed(1))
    t.define(1, mean, statDims, x.elemType, x.batched);
  if (t.outputUsed(2))
    t.define(2, inv, statDims, x.elemType, x.batched);
}

void layerNorm(T &t) {
  Value &x = t.input(0);
  int64_t a = t.axis(t.intAttr("axis", -1), x.rank());
  if (x.batched && a == 0)
    t.notPerSample("normalises over the batch axis");
  std::vector<int64_t> shape(x.dims.begin() + a, x.dims.end());
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  if (!isConstant(t.input(1)) || (t.hasInput(2) && !isConstant(t.input(2)))) {
    layerNormExpression(t, x, a);
    return;
  }
  const Tensor &scale = t.constantInput(1, "the scale");
  if (scale.count() != n)
    t.fail("the scale has " + std::to_string(scale.count()) + " values for " + std::to_string(n));
  std::string biasInit;
  std::vector<double> bias(static_cast<size_t>(n), 0.0);
  if (t.hasInput(2)) {
    const Tensor &b = t.constantInput(2, "the bias");
    if (b.count() != n)
      t.fail("the bias has " + std::to_string(b.count()) + " values for " + std::to_string(n));
    bias = b.values;
    biasInit = t.input(2).initializer;
  }
  std::string name = t.layerName(t.input(1).initializer, biasInit);
  t.addWeight(name + ".weight", shape, scale.values);
  t.addWeight(name + ".bias", shape, bias);
  std::string xe = t.onnxOrder(x);
  std::string eps = T::number(t.floatAttr("epsilon", 1e-5), x.elemType);
  t.define(0, "layer_norm(" + xe + ", shape: " + list(shape) + ", eps: " + eps + ", name: \"" +
                  name + "\")",
           x.dims, x.elemType, x.batched);
  if (t.outputUsed(1) || t.outputUsed(2)) {
    // The statistics, as training-mode exporters ask for them.
    std::vector<int64_t> axes, statDims = x.dims;
    for (int k = static_cast<int>(a); k < x.rank(); ++k) {
      axes.push_back(k - (x.batched ? 1 : 0));
      statDims[k] = 1;
    }
    std::string args = ", axis: " + list(axes) + ", keepdims: true)";
    std::string mean = t.temporary(t.node().output(0) + "_mean", "mean(" + xe + args);
    if (t.outputUsed(1))
      t.define(1, mean, statDims, x.elemType, x.batched);
    if (t.outputUsed(2))
      t.define(2, "1 / sqrt(mean((" + xe + " - " + mean + ") ^ 2" + args + " + " + eps + ")",
               statDims, x.elemType, x.batched);
  }
}

void instanceNorm(T &t) {
  Value &x = t.input(0);
  if (x.rank() < 3)
    t.fail("expects [N, C, spatial...]");
  int64_t C = x.dims[1];
  std::string xe = t.onnxOrder(x);
  std::vector<int64_t> axes; // the spatial axes, per sample
  for (int k = 2; k < x.rank(); ++k)
    axes.push_back(k - (x.batched ? 1 : 0));
  std::string args = ", axis: " + list(axes) + ", keepdims: true)";
  std::string mean = t.temporary(t.node().output(0) + "_mean", "mean(" + xe + args);
  std::string centered = t.temporary(t.node().output(0) + "_centered", xe + " - " + mean);
  std::string ids[2];
  for (int k = 0; k < 2; ++k) {
    if (!t.input(k + 1).constant) {
      ids[k] = channelStatistic(t, x, k + 1, k == 0 ? "the scale" : "the bias",
                                k == 0 ? "scale" : "bias", false);
      continue;
    }
    Tensor v = t.constantInput(k + 1, k == 0 ? "the scale" : "the bias");
    if (v.count() != C)
      t.fail("the scale and bias need " + std::to_string(C) + " values");
    v.dims = {C};
    v.dims.resize(static_cast<size_t>(x.rank() - 1), 1);
    std::string init = t.input(k + 1).initializer;
    ids[k] = t.declareParam(init.empty() ? t.node().output(0) + (k ? ".bias" : ".weight") : init, v,
                            true);
  }
  t.define(0, centered + " / sqrt(mean(" + centered + " ^ 2" + args + " + " +
                  T::number(t.floatAttr("epsilon", 1e-5), x.elemType) + ") * " + ids[0] + " + " +
                  ids[1],
           x.dims, x.elemType, x.batched);
}

/// HannWindow, HammingWindow, BlackmanWindow of a constant size: a
/// constant, by the ONNX formulas (periodic: the period is the size).
void window(T &t, const std::string &kind) {
  int64_t n = integer(t, t.constantInput(0, "the size").values.at(0));
  if (n < 1 || n > (int64_t(1) << 24))
    t.fail("the window size " + std::to_string(n) + " is out of range");
  double period = t.intAttr("periodic", 1) ? double(n) : double(n - 1);
  Tensor w;
  w.elemType = static_cast<int32_t>(t.intAttr("output_datatype", onnx::TensorProto_DataType_FLOAT));
  w.dims = {n};
  const double pi = 3.14159265358979323846;
  for (int64_t i = 0; i < n; ++i) {
    double c = period > 0 ? std::cos(2 * pi * double(i) / period) : 1.0;
    double c2 = period > 0 ? std::cos(4 * pi * double(i) / period) : 1.0;
    w.values.push_back(kind == "hann"      ? 0.5 - 0.5 * c
                       : kind == "hamming" ? 25.0 / 46 - (1 - 25.0 / 46) * c
                                           : 0.42 - 0.5 * c + 0.08 * c2);
  }
  t.defineConstant(0, w);
}

/// MelWeightMatrix of constant inputs: a constant [dft_length / 2 + 1,
/// num_mel_bins] of triangular filters, by ONNX's reference: num_mel_bins
/// + 2 points evenly spaced in mels from the lower to the upper edge,
/// mapped back to hertz and then to spectrogram bins (floored).
void melWeightMatrix(T &t) {
  auto value = [&](int i, const char *what) { return t.constantInput(i, what).values.at(0); };
  int64_t mels = integer(t, value(0, "num_mel_bins")), dft = integer(t, value(1, "dft_length"));
  double rate = value(2, "sample_rate"), lower = value(3, "lower_edge_hertz"),
         upper = value(4, "upper_edge_hertz");
  if (mels < 1 || mels > 4096 || dft < 1 || dft > (int64_t(1) << 20) || !(rate > 0) ||
      !(lower >= 0) || !(upper > lower))
    t.fail("num_mel_bins, dft_length, sample_rate or the edges are out of range");
  int64_t bins = dft / 2 + 1;
  auto mel = [](double hz) { return 2595 * std::log10(1 + hz / 700); };
  double low = mel(lower), step = (mel(upper) - low) / double(mels + 2);
  std::vector<int64_t> points;
  for (int64_t k = 0; k < mels + 2; ++k) {
    double hz = 700 * (std::pow(10.0, (double(k) * step + low) / 2595) - 1);
    points.push_back(static_cast<int64_t>(std::floor(double(dft + 1) * hz / rate)));
  }
  Tensor w;
  w.elemType = static_cast<int32_t>(t.intAttr("output_datatype", onnx::TensorProto_DataType_FLOAT));
  w.dims = {bins, mels};
  w.values.assign(static_cast<size_t>(bins * mels), 0.0);
  auto at = [&](int64_t j, int64_t i) -> double & {
    if (j < 0 || j >= bins)
      t.fail("the filters reach past the spectrogram's " + std::to_string(bins) + " bins");
    return w.values[static_cast<size_t>(j * mels + i)];
  };
  for (int64_t i = 0; i < mels; ++i) {
    int64_t left = points[size_t(i)], center = points[size_t(i + 1)], right = points[size_t(i + 2)];
    if (center == left)
      at(center, i) = 1;
    else
      for (int64_t j = left; j <= center; ++j)
        at(j, i) = double(j - left) / double(center - left);
    for (int64_t j = center; j < right; ++j)
      at(j, i) = double(right - j) / double(right - center);
  }
  t.defineConstant(0, w);
}

/// If with a constant condition (often computed from shapes, which nnc
/// knows): the chosen branch's nodes, inlined; its outputs are the node's.
void ifOp(T &t) {
  const Tensor &cond = t.constantInput(0, "the condition");
  if (cond.count() != 1)
    t.fail("the condition must be one value");
  const char *branch = cond.values[0] != 0 ? "then_branch" : "else_branch";
  const onnx::AttributeProto *a = t.attr(branch);
  if (!a || !a->has_g())
    t.fail(std::string("has no ") + branch);
  std::vector<Value> results = t.translateBranch(a->g());
  if (static_cast<int>(results.size()) != t.node().output_size())
    t.fail(std::string("its ") + branch + " has " + std::to_string(results.size()) +
           " outputs for the node's " + std::to_string(t.node().output_size()));
  for (size_t i = 0; i < results.size(); ++i)
    if (t.outputUsed(static_cast<int>(i)))
      t.alias(static_cast<int>(i), results[i]);
}

/// Loop with a constant trip count (often a shape, which nnc knows) and a
/// condition that stays constant: the body unrolled, one copy per
/// iteration, the carried values threaded through; the scan outputs are the
/// iterations' values stacked on a new axis 0. At most 1024 iterations. A
/// layer in the body is one per iteration, each with the ONNX weight's
/// values: right for predicting, but they would train apart, so such a
/// model is not fine-tuned (ImportedModel::repeatedWeights).
void loop(T &t) {
  const onnx::AttributeProto *a = t.attr("body");
  if (!a || !a->has_g())
    t.fail("has no body");
  const onnx::GraphProto &body = a->g();
  int carried = t.inputCount() - 2;
  if (carried < 0 || body.input_size() != carried + 2 || body.output_size() < carried + 1)
    t.fail("its body does not take the loop's carried values");
  int scans = body.output_size() - 1 - carried;
  int64_t trips = (int64_t(1) << 62);
  if (t.hasInput(0))
    trips = integer(t, t.constantInput(0, "the trip count").values.at(0));
  bool running = true;
  if (t.hasInput(1))
    running = t.constantInput(1, "the condition").values.at(0) != 0;
  auto scalar = [](int32_t type, double v) {
    Value s;
    s.elemType = type;
    s.constant = Tensor{type, {}, {v}};
    return s;
  };
  std::vector<Value> state;
  for (int k = 0; k < carried; ++k)
    state.push_back(t.input(2 + k));
  std::vector<std::vector<Value>> scanned(static_cast<size_t>(scans));
  int64_t i = 0;
  for (; i < trips && running; ++i) {
    if (i == 1024)
      t.fail("runs more than 1024 iterations, which nnc unrolls at most");
    std::vector<Value> in = {scalar(onnx::TensorProto_DataType_INT64, double(i)),
                             scalar(onnx::TensorProto_DataType_BOOL, 1.0)};
    in.insert(in.end(), state.begin(), state.end());
    size_t weights = t.weightCount();
    std::vector<Value> out = t.translateBranch(body, in);
    if (i > 0 && t.weightCount() > weights) // each copy of the body has its own layers
      t.noteRepeatedWeights(t.node().op_type() + " node '" + firstOutput(t.node()) +
                            "' unrolls a body whose layers' weights are repeated in every iteration");
    const Value &cond = out[0];
    if (!cond.constant || !cond.id.empty())
      t.fail("its body computes the condition from values that are not constants; nnc unrolls "
             "only loops whose iterations are known");
    running = cond.constant->values.at(0) != 0;
    state.assign(out.begin() + 1, out.begin() + 1 + carried);
    for (int k = 0; k < scans; ++k) {
      if (out[size_t(1 + carried + k)].batched)
        t.notPerSample("stacks per-sample values along a new axis 0");
      scanned[size_t(k)].push_back(out[size_t(1 + carried + k)]);
    }
  }
  for (int k = 0; k < carried; ++k)
    if (t.outputUsed(k))
      t.alias(k, state[size_t(k)]);
  for (int k = 0; k < scans; ++k) {
    if (!t.outputUsed(carried + k))
      continue;
    if (scanned[size_t(k)].empty())
      t.fail("runs no iteration, so its scan outputs would be empty");
    Value &first = scanned[size_t(k)][0];
    std::vector<int64_t> one = first.dims;
    one.insert(one.begin(), 1);
    std::string parts;
    for (Value &v : scanned[size_t(k)]) {
      if (v.dims != first.dims)
        t.fail("its scan output " + std::to_string(k) + " changes shape between iterations");
      parts += (parts.empty() ? "" : ", ") + ("reshape(" + t.onnxOrder(v) + ", " + list(one) + ")");
    }
    std::vector<int64_t> dims = first.dims;
    dims.insert(dims.begin(), i);
    t.define(carried + k, i == 1 ? parts : "concat(" + parts + ", axis: 0)", dims, first.elemType, false);
  }
}

/// Range of constant start, limit and delta: a constant.
void range(T &t) {
  const Tensor &start = t.constantInput(0, "the start");
  double a = start.values.at(0), limit = t.constantInput(1, "the limit").values.at(0),
         delta = t.constantInput(2, "the delta").values.at(0);
  if (delta == 0 || !std::isfinite(a) || !std::isfinite(limit) || !std::isfinite(delta))
    t.fail("needs finite numbers and a delta other than 0");
  double count = std::max(std::ceil((limit - a) / delta), 0.0);
  if (count < 1 || count > double(int64_t(1) << 24))
    t.fail("the range would have " + countText(count) + " elements");
  Tensor r;
  r.elemType = start.elemType;
  r.dims = {static_cast<int64_t>(count)};
  for (int64_t i = 0; i < r.dims[0]; ++i)
    r.values.push_back(a + double(i) * delta);
  t.defineConstant(0, r);
}

/// EyeLike: ones on the k-th diagonal of a matrix of x's shape; only the
/// shape of x is read.
void eyeLike(T &t) {
  Value &x = t.input(0);
  if (x.rank() != 2 || x.batched)
    t.notPerSample("makes a matrix of the input's shape, the batch included");
  int64_t k = t.intAttr("k", 0);
  Tensor e;
  e.elemType = static_cast<int32_t>(t.intAttr("dtype", x.elemType));
  e.dims = x.dims;
  for (int64_t i = 0; i < x.dims[0]; ++i)
    for (int64_t j = 0; j < x.dims[1]; ++j)
      e.values.push_back(j - i == k ? 1.0 : 0.0);
  t.defineConstant(0, e);
}

/// LRN: x over (bias + alpha / size * the sum of squares of the channels
/// around)^beta; the sums as a constant band matrix times x^2's channels.
void lrn(T &t) {
  Value &x = t.input(0);
  if (x.rank() < 3)
    t.fail("needs an input [N, C, ...]");
  int64_t size = t.intAttr("size", 0), C = x.dims[1];
  if (size < 1)
    t.fail("size must be at least 1");
  if (C > 4096)
    t.fail("more than 4096 channels are not supported");
  double alpha = t.floatAttr("alpha", 1e-4), beta = t.floatAttr("beta", 0.75),
         bias = t.floatAttr("bias", 1.0);
  Value band;
  band.elemType = x.elemType;
  band.dims = {C, C};
  Tensor b;
  b.elemType = x.elemType;
  b.dims = band.dims;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t d = 0; d < C; ++d)
      b.values.push_back(d >= c - (size - 1) / 2 && d <= c + size / 2 ? 1.0 : 0.0);
  band.constant = b;
  int64_t rest = 1;
  for (int k = 2; k < x.rank(); ++k)
    rest *= x.dims[k];
  std::vector<int64_t> flat = {C, rest};
  if (!x.batched)
    flat.insert(flat.begin(), x.dims[0]);
  std::vector<int64_t> sample = x.sampleDims();
  std::string xe = t.onnxOrder(x);
  std::string sums = t.temporary(t.node().output(0) + "_sums",
                                 "reshape(" + t.onnxOrder(band) + " @ reshape(" + xe + " ^ 2, " +
                                     list(flat) + "), " + list(sample) + ")");
  t.define(0, xe + " / (" + T::number(bias, x.elemType) + " + " +
                  T::number(alpha / double(size), x.elemType) + " * " + sums + ") ^ " +
                  T::number(beta, x.elemType),
           x.dims, x.elemType, x.batched);
}

/// MeanVarianceNormalization: (x - mean) / (standard deviation + 1e-9) over
/// `axes` (default [0, 2, 3]), ONNX's function body.
void meanVarianceNorm(T &t) {
  Value &x = t.input(0);
  std::vector<int64_t> axes;
  for (int64_t a : t.intsAttr("axes", {0, 2, 3}))
    axes.push_back(t.axis(a, x.rank()));
  int first = x.batched ? 1 : 0;
  std::vector<int64_t> nnAxes;
  for (int64_t a : axes) {
    if (x.batched && a == 0)
      t.notPerSample("normalises over the batch axis");
    nnAxes.push_back(a - first);
  }
  std::string xe = t.onnxOrder(x), over = ", axis: " + list(nnAxes) + ", keepdims: true)";
  std::string base = t.node().output(0);
  std::string mean = t.temporary(base + "_mean", "mean(" + xe + over);
  std::string var = t.temporary(base + "_var", "mean(" + xe + " ^ 2" + over + " - " + mean + " ^ 2");
  t.define(0, "(" + xe + " - " + mean + ") / (sqrt(" + var + ") + " + T::number(1e-9, x.elemType) + ")",
           x.dims, x.elemType, x.batched);
}

/// OneHot: `on` where the index (truncated, negative ones counted from the
/// end) equals the position along the new axis, else `off`; a comparison
/// with a constant [0, 1, ..., depth - 1], the new axis moved into place.
void oneHot(T &t) {
  Value &idx = t.input(0);
  int64_t depth = integer(t, t.constantInput(1, "the depth").values.at(0));
  const Tensor &values = t.constantInput(2, "the values");
  if (depth < 1 || depth > (int64_t(1) << 24) || values.count() != 2)
    t.fail("needs a depth of at least 1 and two values [off, on]");
  int rank = idx.rank() + 1;
  int64_t axis = t.axis(t.intAttr("axis", -1), rank);
  if (idx.batched && axis == 0)
    t.notPerSample("puts the classes on the batch axis");
  int first = idx.batched ? 1 : 0;
  std::vector<int64_t> sample = idx.sampleDims(), column = sample;
  column.push_back(1);
  Value positions = positionsOf(depth, values.elemType);
  std::string ie = inTypeOf(t.onnxOrder(idx), idx.elemType, values.elemType),
              base = t.node().output(0);
  std::string whole = t.temporary(base + "_index", "where(" + ie + " < 0, -floor(-" + ie + "), floor(" + ie + "))");
  std::string wrapped = t.temporary(
      base + "_wrapped", whole + " + " + std::to_string(depth) + " * (" + whole + " < 0)");
  std::string expr = "where(reshape(" + wrapped + ", " + list(column) + ") == " +
                     t.onnxOrder(positions) + ", " + T::number(values.values[1], values.elemType) +
                     ", " + T::number(values.values[0], values.elemType) + ")";
  int64_t last = static_cast<int64_t>(sample.size()), at = axis - first;
  if (at != last) {
    std::vector<int64_t> perm;
    for (int64_t k = 0; k <= last; ++k)
      perm.push_back(k < at ? k : k == at ? last : k - 1);
    expr = "transpose(" + expr + ", " + list(perm) + ")";
  }
  std::vector<int64_t> dims = idx.dims;
  dims.insert(dims.begin() + axis, depth);
  t.define(0, expr, dims, values.elemType, idx.batched);
}

// --- grid sampling -----------------------------------------------------------------

/// The source coordinate of a GridSample along an axis of `size` pixels:
/// unnormalised from [-1, 1], then clamped (border) or reflected
/// (reflection) into the image as PyTorch's grid_sample does.
std::string gridCoordinate(const std::string &g, int64_t size, bool alignCorners,
                           const std::string &padding) {
  std::string n = std::to_string(size);
  std::string p = alignCorners ? "(" + g + " + 1) / 2 * " + std::to_string(size - 1)
                               : "((" + g + " + 1) * " + n + " - 1) / 2";
  std::string last = std::to_string(size - 1);
  if (padding == "border")
    return "clamp(" + p + ", 0, " + last + ")";
  if (padding == "reflection") {
    double lo = alignCorners ? 0 : -0.5, hi = alignCorners ? double(size - 1) : double(size) - 0.5;
    double span = hi - lo;
    if (span <= 0)
      return "0 * " + g;
    std::string d = "abs(" + p + " - (" + T::number(lo, 1) + "))", s = T::number(span, 1);
    std::string flips = "floor(" + d + " / " + s + ")";
    std::string extra = "(" + d + " - " + flips + " * " + s + ")";
    return "clamp(where(" + flips + " - 2 * floor(" + flips + " / 2) == 0, " + T::number(lo, 1) +
           " + " + extra + ", " + T::number(hi, 1) + " - " + extra + "), 0, " + last + ")";
  }
  return p;
}

/// The interpolation weight of each pixel along an axis for each sampled
/// point at coordinate `p` ([O, 1] against the pixels' [size] indices):
/// the tent for bilinear, the cubic kernel (A = -0.75) for bicubic, the
/// pixel nearest (half to even) for nearest. Pixels outside the image have
/// no weight, which is the zeros padding.
std::string gridWeights(T &t, const std::string &p, int64_t size, const std::string &mode,
                        int32_t elemType) {
  Value pixels = positionsOf(size, elemType);
  std::string idx = t.onnxOrder(pixels);
  if (mode == "nearest") {
    std::string f = "floor(" + p + " + 0.5)";
    std::string even = f + " - (" + p + " + 0.5 == " + f + ") * (" + f + " - 2 * floor(" + f + " / 2))";
    return "(" + idx + " == " + even + ")";
  }
  std::string d = t.temporary(t.node().output(0) + "_dist", "abs(" + idx + " - " + p + ")");
  if (mode == "cubic") {
    const double A = -0.75;
    return "where(" + d + " <= 1, (" + T::number(A + 2, elemType) + " * " + d + " - " +
           T::number(A + 3, elemType) + ") * " + d + " ^ 2 + 1, where(" + d + " < 2, " +
           T::number(A, elemType) + " * " + d + " ^ 3 - " + T::number(5 * A, elemType) + " * " + d +
           " ^ 2 + " + T::number(8 * A, elemType) + " * " + d + " - " + T::number(4 * A, elemType) +
           ", 0))";
  }
  return "relu(1 - " + d + ")";
}

/// GridSample (4-D): out[c, o] = sum over pixels (i, j) of
/// wy[o, i] wx[o, j] X[c, i, j], the weights of every pixel for every
/// sampled point o, summed as two products: X's rows times wx, then
/// weighted by wy and summed over the rows.
void gridSample(T &t) {
  Value &x = t.input(0), &grid = t.input(1);
  if (x.rank() != 4 || grid.rank() != 4 || grid.dims[3] != 2)
    t.fail("needs an image [N, C, H, W] and a grid [N, H_out, W_out, 2]");
  if (x.batched != grid.batched)
    t.notPerSample("samples a batch of images with one grid, or one image with a batch of grids");
  std::string mode = t.stringAttr("mode", "bilinear"), padding = t.stringAttr("padding_mode", "zeros");
  if (mode == "bicubic")
    mode = "cubic";
  if (mode != "bilinear" && mode != "nearest" && mode != "cubic")
    t.fail("mode '" + mode + "' is not supported");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    t.fail("padding_mode '" + padding + "' is not supported");
  if (mode == "cubic" && padding != "zeros")
    t.fail("bicubic sampling with " + padding + " padding is not supported");
  bool align = t.intAttr("align_corners", 0) != 0;
  int64_t C = x.dims[1], H = x.dims[2], W = x.dims[3], Ho = grid.dims[1], Wo = grid.dims[2];
  int64_t O = Ho * Wo;
  if (C * H * O > (int64_t(1) << 28) || O * (H + W) > (int64_t(1) << 28))
    t.fail("the sampling weights would have more than 2^28 entries");
  std::string xe = t.onnxOrder(x), ge = t.onnxOrder(grid), base = t.node().output(0);
  std::string lead = x.batched ? "" : ":, ";
  std::string n = x.batched ? "" : std::to_string(x.dims[0]) + ", ";
  auto column = [&](const std::string &e) {
    return "reshape(" + e + ", [" + n + std::to_string(O) + ", 1])";
  };
  std::string px = t.temporary(base + "_px", column(gridCoordinate(ge + "[" + lead + ":, :, 0]", W, align, padding)));
  std::string py = t.temporary(base + "_py", column(gridCoordinate(ge + "[" + lead + ":, :, 1]", H, align, padding)));
  std::string wx = t.temporary(base + "_wx", gridWeights(t, px, W, mode, x.elemType)); // [O, W]
  std::string wy = t.temporary(base + "_wy", gridWeights(t, py, H, mode, x.elemType)); // [O, H]
  // Rows: [C*H, W] @ [W, O] -> [C, H, O]; then weighted by wy^T [H, O] and summed over H.
  std::string tr = x.batched ? "[1, 0]" : "[0, 2, 1]";
  std::string rows = t.temporary(
      base + "_rows", "reshape(reshape(" + xe + ", [" + n + std::to_string(C * H) + ", " +
                          std::to_string(W) + "]) @ transpose(" + wx + ", " + tr + "), [" + n +
                          std::to_string(C) + ", " + std::to_string(H) + ", " + std::to_string(O) + "])");
  std::string wyT = "reshape(transpose(" + wy + ", " + tr + "), [" + n + "1, " + std::to_string(H) +
                    ", " + std::to_string(O) + "])";
  std::string expr = "reshape(sum(" + rows + " * " + wyT + ", axis: [" + (x.batched ? "1" : "2") +
                     "]), [" + n + std::to_string(C) + ", " + std::to_string(Ho) + ", " +
                     std::to_string(Wo) + "])";
  t.define(0, expr, {x.dims[0], C, Ho, Wo}, x.elemType, x.batched);
}

/// TopK for k up to 64: k rounds of "the largest not yet taken" along the
/// axis moved last. Each round's maximum is taken over x with the taken
/// entries lowered to x's minimum (so it is the largest untaken value, ties
/// and infinities included), and its index is the first untaken entry
/// equal to it, as ONNX's lower-index-first rule asks. The smallest are the
/// largest of -x. Indices come out as argmax of the rounds' one-hot rows.
void topK(T &t) {
  Value &x = t.input(0);
  int64_t k = integer(t, t.constantInput(1, "k").values.at(0));
  int64_t a = t.axis(t.intAttr("axis", -1), x.rank());
  if (x.batched && a == 0)
    t.notPerSample("takes the top entries along the batch axis");
  int64_t S = x.dims[a];
  if (k < 1 || k > S || k > 64)
    t.fail("k = " + std::to_string(k) + " must be between 1 and the axis size " +
           std::to_string(S) + " (at most 64)");
  bool largest = t.intAttr("largest", 1) != 0;
  int first = x.batched ? 1 : 0;
  int64_t r = x.rank() - first, p = a - first;
  std::vector<int64_t> toLast, rest;
  for (int64_t i = 0; i < r; ++i)
    if (i != p) {
      toLast.push_back(i);
      rest.push_back(x.dims[i + first]);
    }
  toLast.push_back(p);
  bool moved = p != r - 1;
  std::string xe = t.onnxOrder(x), base = t.node().output(0);
  std::string type = x.elemType == onnx::TensorProto_DataType_DOUBLE ? "f64" : "f32";
  std::string last = moved ? "transpose(" + xe + ", " + list(toLast) + ")" : xe;
  std::string xl = t.temporary(base + "_last", largest ? last : "-" + last);
  std::string floor = t.temporary(base + "_least", "-max(-" + xl + ", axis: -1, keepdims: true)");
  std::string taken, values, rows;
  std::vector<int64_t> row = rest;
  row.push_back(1);
  row.push_back(S);
  for (int64_t j = 0; j < k; ++j) {
    std::string tag = base + "_" + std::to_string(j + 1);
    std::string key = taken.empty() ? xl : "where(" + taken + " > 0, " + floor + ", " + xl + ")";
    std::string m = t.temporary(tag + "_max", "max(" + key + ", axis: -1, keepdims: true)");
    values += (values.empty() ? "" : ", ") + m;
    if (j + 1 == k && !t.outputUsed(1)) // the last pick's place matters only as an index
      break;
    std::string cand = "(" + xl + " == " + m + ")" + (taken.empty() ? "" : " * (1 - " + taken + ")");
    std::string hot = t.temporary(tag + "_hot", "one_hot(argmax(" + cand + ", axis: -1), " +
                                                    std::to_string(S) + ", dtype: " + type + ")");
    if (j + 1 < k) // the last pick excludes nothing after it
      taken = taken.empty() ? hot : t.temporary(tag + "_taken", taken + " + " + hot);
    rows += std::string(rows.empty() ? "" : ", ") + "reshape(" + hot + ", " + list(row) + ")";
  }
  if (k > 1) {
    values = "concat(" + values + ", axis: -1)";
    rows = "concat(" + rows + ", axis: -2)";
  }
  if (!largest)
    values = "-" + values;
  // Back to the axis' place: [rest..., k] -> k at p; [rest..., k, S] -> k at p, S last.
  std::vector<int64_t> back, backRows;
  for (int64_t i = 0; i < r; ++i)
    back.push_back(i < p ? i : i == p ? r - 1 : i - 1);
  backRows = back;
  backRows.push_back(r);
  std::vector<int64_t> dims = x.dims;
  dims[a] = k;
  t.define(0, moved ? "transpose(" + values + ", " + list(back) + ")" : values, dims, x.elemType,
           x.batched);
  if (t.outputUsed(1)) {
    std::string h = moved ? "transpose(" + rows + ", " + list(backRows) + ")" : rows;
    t.define(1, "argmax(" + h + ", axis: -1)", dims, onnx::TensorProto_DataType_INT64, x.batched)
        .indices = true;
  }
}

// --- elements by index ----------------------------------------------------------------

/// The comparison of each index (wrapped when negative) with every position
/// 0..size-1 of the indexed axis: [index dims..., size], 1 where equal.
/// `column` (ending in 1) is the shape the indices take first; by default
/// their per-sample dims and a 1 (Gather puts 1s around them).
std::string indexMatches(T &t, Value &idx, int64_t size, int32_t elemType,
                         std::vector<int64_t> column) {
  Value positions = positionsOf(size, elemType);
  if (column.empty()) {
    column = idx.sampleDims();
    column.push_back(1);
  }
  std::string ie = inTypeOf(t.onnxOrder(idx), idx.elemType, elemType);
  std::string wrapped = t.temporary(t.node().output(0) + "_index",
                                    ie + " + " + std::to_string(size) + " * (" + ie + " < 0)");
  return "(reshape(" + wrapped + ", " + list(column) + ") == " + t.onnxOrder(positions) + ")";
}

/// The checks GatherElements and ScatterElements share: indices of the
/// data's rank, the batch (if any) on both, not indexed.
int64_t elementsAxis(T &t, const Value &data, const Value &idx) {
  if (idx.rank() != data.rank() || data.rank() < 1)
    t.fail("the indices must have the data's rank");
  int64_t a = t.axis(t.intAttr("axis", 0), data.rank());
  if (data.batched != idx.batched || (data.batched && a == 0))
    t.notPerSample("indexes along the batch, or mixes a batched and an unbatched operand");
  return a;
}

/// GatherElements: out[..., i, ...] = data[..., idx[..., i, ...], ...] as
/// the sum over the axis of where(index matches, data, 0): exact, and
/// differentiable in the data. The data is cut to the indices' extent on
/// the other axes.
void gatherElements(T &t) {
  Value &data = t.input(0), &idx = t.input(1);
  int64_t a = elementsAxis(t, data, idx);
  int first = data.batched ? 1 : 0;
  int64_t p = a - first, S = data.dims[a];
  std::vector<int64_t> di = idx.sampleDims(), dd = data.sampleDims();
  std::string items, de = t.onnxOrder(data);
  bool cut = false;
  std::vector<int64_t> toLast, expanded;
  for (int64_t k = 0; k < static_cast<int64_t>(dd.size()); ++k) {
    if (k != p && di[k] > dd[k])
      t.fail("the indices reach past the data along axis " + std::to_string(k + first));
    cut |= k != p && di[k] < dd[k];
    items += (items.empty() ? "" : ", ") +
             (k == p || di[k] == dd[k] ? std::string(":") : "0:" + std::to_string(di[k]));
    if (k != p)
      toLast.push_back(k);
    expanded.push_back(k == p ? 1 : di[k]);
  }
  toLast.push_back(p);
  expanded.push_back(S);
  std::string sliced = cut ? de + "[" + items + "]" : de;
  bool moved = p != static_cast<int64_t>(dd.size()) - 1;
  std::string rows = t.temporary(
      t.node().output(0) + "_rows",
      "reshape(" + (moved ? "transpose(" + sliced + ", " + list(toLast) + ")" : sliced) + ", " +
          list(expanded) + ")");
  std::string matches = indexMatches(t, idx, S, data.elemType);
  t.define(0, "sum(where(" + matches + ", " + rows + ", 0), axis: -1)", idx.dims, data.elemType,
           data.batched);
}

/// Gather by integers computed in the graph (numbers, not class indices):
/// out[pre..., i..., post...] = data[pre..., idx[i...], post...] as the sum
/// over the axis of where(index matches, data, 0), GatherElements' rule with
/// the indices spread over the output's middle axes: exact, differentiable
/// in the data, and 0 where an index is out of range (ONNX leaves that
/// undefined).
void gatherComputed(T &t, Value &data, Value &idx, int64_t a) {
  if (data.batched && (a == 0 || idx.batched))
    t.notPerSample(a == 0 ? "gathers along the batch axis"
                          : "gathers with indices per sample along an axis other than a table's first");
  if (idx.batched && a != 0)
    t.notPerSample("gathers with indices per sample along an axis other than a table's first");
  int first = data.batched ? 1 : 0;
  int64_t p = a - first, S = data.dims[a];
  std::vector<int64_t> dd = data.sampleDims(), di = idx.sampleDims();
  int64_t r = static_cast<int64_t>(dd.size());
  // [pre..., i..., post..., S]: the one-hot-like comparison and the data beside it.
  double compared = double(S);
  for (int64_t k = 0; k < r; ++k)
    if (k != p)
      compared *= double(dd[k]);
  for (int64_t d : di)
    compared *= double(d);
  if (compared > double(int64_t(1) << 28))
    t.fail("gathering by indices computed in the graph compares every index with every one of "
           "the " + std::to_string(S) + " positions of axis " + std::to_string(a) + ": " +
           countText(compared) + " entries per sample, more than nnc allows (2^28)");
  std::vector<int64_t> toLast, rowsDims, column;
  for (int64_t k = 0; k < r; ++k) {
    if (k == p) {
      rowsDims.insert(rowsDims.end(), di.size(), 1);
      column.insert(column.end(), di.begin(), di.end());
      continue;
    }
    toLast.push_back(k);
    rowsDims.push_back(dd[k]);
    column.push_back(1);
  }
  toLast.push_back(p);
  rowsDims.push_back(S);
  column.push_back(1);
  // bool and float16 data compare in f32; integers in f64 (their type), floats in theirs.
  int32_t type = isFloat(data.elemType) || isInteger(data.elemType)
                     ? data.elemType : int32_t(onnx::TensorProto_DataType_FLOAT);
  std::string de = t.onnxOrder(data);
  bool moved = p != r - 1;
  std::string rows = t.temporary(
      t.node().output(0) + "_rows",
      "reshape(" + (moved ? "transpose(" + de + ", " + list(toLast) + ")" : de) + ", " +
          list(rowsDims) + ")");
  std::string matches = indexMatches(t, idx, S, type, column);
  std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + a);
  dims.insert(dims.end(), idx.dims.begin(), idx.dims.end());
  dims.insert(dims.end(), data.dims.begin() + a + 1, data.dims.end());
  t.define(0, "sum(where(" + matches + ", " + rows + ", 0), axis: -1)", dims, data.elemType,
           data.batched || idx.batched);
}

/// ScatterElements (and opset 9's Scatter): each data position along the
/// axis takes the updates whose index names it, summed over the updates'
/// rows (reduction add: added to the data; none: replacing it, duplicates
/// summed, which ONNX leaves undefined).
void scatterElements(T &t) {
  Value &data = t.input(0), &idx = t.input(1), &upd = t.input(2);
  int64_t a = elementsAxis(t, data, idx);
  if (upd.dims != idx.dims || upd.batched != idx.batched)
    t.fail("the updates must have the indices' shape");
  std::string reduction = t.stringAttr("reduction", "none");
  if (reduction != "none" && reduction != "add")
    t.fail("reduction '" + reduction + "' is not supported");
  int first = data.batched ? 1 : 0;
  int64_t p = a - first, S = data.dims[a];
  std::vector<int64_t> di = idx.sampleDims(), dd = data.sampleDims();
  for (int64_t k = 0; k < static_cast<int64_t>(dd.size()); ++k)
    if (k != p && di[k] != dd[k])
      t.fail("indices shorter than the data along axis " + std::to_string(k + first) +
             " are not supported");
  std::string matches = t.temporary(t.node().output(0) + "_matches",
                                    indexMatches(t, idx, S, data.elemType));
  std::vector<int64_t> column = di;
  column.push_back(1);
  std::string ue = t.onnxOrder(upd), de = t.onnxOrder(data), axis = std::to_string(p);
  // [di with p summed away..., S] -> S back at p.
  std::vector<int64_t> back;
  int64_t r = static_cast<int64_t>(dd.size());
  for (int64_t k = 0; k < r; ++k)
    back.push_back(k < p ? k : k == p ? r - 1 : k - 1);
  bool moved = p != r - 1;
  auto placed = [&](const std::string &e) { return moved ? "transpose(" + e + ", " + list(back) + ")" : e; };
  std::string values = t.temporary(
      t.node().output(0) + "_values",
      placed("sum(where(" + matches + ", reshape(" + ue + ", " + list(column) + "), 0), axis: " + axis + ")"));
  if (reduction == "add") {
    t.define(0, de + " + " + values, data.dims, data.elemType, data.batched);
    return;
  }
  std::string hit = placed("sum(" + matches + ", axis: " + axis + ")");
  t.define(0, "where(" + hit + " > 0, " + values + ", " + de + ")", data.dims, data.elemType,
           data.batched);
}

// --- quantization ---------------------------------------------------------------------

/// `x` (a name or an expression) rounded to the nearest integer, ties to
/// even, as ONNX's Round and the quantizers round: floor, plus 1 above the
/// half, and at the half when the floor is odd.
std::string roundHalfEven(T &t, const std::string &x) {
  // An expression is named once, as it is read three times; a name is used as it is.
  bool name = x.find_first_of("()[] +-*/,") == std::string::npos;
  std::string v = name ? x : t.temporary(t.node().output(0) + "_unrounded", x);
  std::string f = t.temporary(t.node().output(0) + "_floor", "floor(" + v + ")");
  return "where(" + v + " - " + f + " > 0.5, " + f + " + 1, where(" + v + " - " + f + " < 0.5, " +
         f + ", 2 * " + f + " - 2 * floor(" + f + " / 2)))";
}

/// A quantization parameter (a scale or a zero point, input `i`) as an
/// operand of x's expression: one number as itself, a per-axis [C] reshaped
/// to [C, 1, ...] at the axis.
std::string quantParam(T &t, const Value &x, int i) {
  Value &p = t.input(i);
  if (p.batched)
    t.notPerSample("takes its scale or zero point per sample");
  std::string e = t.onnxOrder(p);
  if (p.rank() == 0 || (p.rank() == 1 && p.dims[0] == 1))
    return p.rank() == 0 ? e : e + "[0]";
  int64_t axis = t.axis(t.intAttr("axis", 1), x.rank());
  if (p.rank() != 1 || p.dims[0] != x.dims[axis])
    t.fail("a per-axis scale or zero point must have " + std::to_string(x.dims[axis]) +
           " values (axis " + std::to_string(axis) + "), not shape " + dimsText(p.dims));
  if (x.batched && axis == 0)
    t.notPerSample("quantizes along the batch axis");
  std::vector<int64_t> shape = {p.dims[0]};
  shape.insert(shape.end(), static_cast<size_t>(x.rank() - axis - 1), 1);
  return shape.size() == 1 ? e : "reshape(" + e + ", " + list(shape) + ")";
}

/// The range of a quantized type: uint8 [0, 255], int8 [-128, 127].
std::pair<int, int> quantRange(T &t, int32_t type) {
  if (type == onnx::TensorProto_DataType_UINT8)
    return {0, 255};
  if (type == onnx::TensorProto_DataType_INT8)
    return {-128, 127};
  t.fail("quantizes to " + elemTypeName(type) + "; ONNX quantizes to uint8 or int8");
}

/// x / scale rounded (ties to even) plus the zero point, saturated to the
/// type's range, in the storage of integers (f64); `scaled` computes in x's type.
std::string quantized(T &t, const std::string &scaled, const std::string &zp, int32_t type) {
  auto [lo, hi] = quantRange(t, type);
  return "clamp(cast(" + roundHalfEven(t, scaled) + ", f64)" + (zp.empty() ? "" : " + " + zp) +
         ", min: " + std::to_string(lo) + ", max: " + std::to_string(hi) + ")";
}

/// QuantizeLinear: saturate(round(x / y_scale) + y_zero_point), per tensor
/// or per axis (opset 13), uint8 unless the zero point says int8.
void quantizeLinear(T &t) {
  Value &x = t.input(0);
  if (!isFloat(x.elemType))
    t.fail("quantizes " + elemTypeName(x.elemType) + " values; ONNX quantizes float values");
  std::string xe = t.onnxOrder(x);
  std::string scale = quantParam(t, x, 1);
  int32_t type = t.hasInput(2) ? t.input(2).elemType : int32_t(onnx::TensorProto_DataType_UINT8);
  std::string zp = t.hasInput(2) ? quantParam(t, x, 2) : "";
  t.define(0, quantized(t, xe + " / " + scale, zp, type), x.dims, type, x.batched);
}

/// DequantizeLinear: (x - x_zero_point) * x_scale, per tensor or per axis.
void dequantizeLinear(T &t) {
  Value &x = t.input(0);
  if (!isInteger(x.elemType))
    t.fail("dequantizes " + elemTypeName(x.elemType) + " values; ONNX dequantizes integers");
  std::string xe = t.onnxOrder(x);
  if (t.hasInput(2))
    xe = "(" + xe + " - " + quantParam(t, x, 2) + ")";
  int32_t type = t.input(1).elemType;
  t.define(0, inTypeOf(xe, x.elemType, type) + " * " + quantParam(t, x, 1), x.dims, type,
           x.batched);
}

/// DynamicQuantizeLinear: the scale and zero point from the tensor's range
/// (0 included), then QuantizeLinear to uint8, as ONNX's reference.
void dynamicQuantizeLinear(T &t) {
  Value &x = t.input(0);
  if (x.batched)
    t.notPerSample("quantizes with the range of the whole tensor");
  if (x.elemType != onnx::TensorProto_DataType_FLOAT)
    t.fail("quantizes " + elemTypeName(x.elemType) + " values; ONNX's DynamicQuantizeLinear takes float");
  std::string out = t.node().output(0), xe = t.onnxOrder(x);
  std::string lo = t.temporary(out + "_min", "minimum(-max(-" + xe + "), 0)");
  std::string hi = t.temporary(out + "_max", "maximum(max(" + xe + "), 0)");
  std::string scale = t.temporary(out + "_scale", "(" + hi + " - " + lo + ") / 255");
  std::string zp = t.temporary(out + "_zero_point",
                               "cast(" + roundHalfEven(t, "clamp((0 - " + lo + ") / " + scale +
                                                              ", min: 0, max: 255)") + ", f64)");
  int32_t u8 = onnx::TensorProto_DataType_UINT8;
  t.define(0, quantized(t, xe + " / " + scale, zp, u8), x.dims, u8, false);
  if (t.outputUsed(1))
    t.define(1, scale, {}, x.elemType, false);
  if (t.outputUsed(2))
    t.define(2, zp, {}, u8, false);
}

/// MatMulInteger: (A - a_zero_point) @ (B - b_zero_point) exactly (integers
/// compute in f64), int32. QLinearMatMul: that product requantized,
/// saturate(round(product * (a_scale * b_scale / y_scale)) + y_zero_point),
/// in float as onnxruntime computes it.
void integerMatMul(T &t, bool qlinear) {
  // MatMulInteger: A, B, a_zero_point, b_zero_point; QLinearMatMul: a,
  // a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
  int ib = qlinear ? 3 : 1, ibzp = qlinear ? 5 : 3;
  Value &a = t.input(0), &b = t.input(ib);
  if (!isInteger(a.elemType) || !isInteger(b.elemType))
    t.fail("multiplies " + elemTypeName(a.elemType) + " by " + elemTypeName(b.elemType) +
           "; it takes integers");
  // B is a matrix, or a stack of them matching A's leading axes.
  bool stacked = b.rank() > 2 && a.rank() == b.rank() &&
                 std::equal(a.dims.begin(), a.dims.end() - 2, b.dims.begin());
  if (a.rank() < 1 || (b.rank() != 2 && !stacked) || a.dims.back() != b.dims[b.rank() - 2])
    t.fail("multiplies " + dimsText(a.dims) + " by " + dimsText(b.dims) +
           "; nnc takes a matrix B (or a stack of them matching A's leading axes) whose rows "
           "match A's last axis");
  if (b.batched || (a.batched && a.rank() < 2))
    t.notPerSample("multiplies across the batch axis");
  std::string ae = t.onnxOrder(a), be = t.onnxOrder(b);
  // A's zero point is one number or one per row of A, B's one or one per column.
  auto zeroPoint = [&](int i, const Value &of, bool rows) -> std::string {
    if (!t.hasInput(i))
      return "";
    Value &z = t.input(i);
    if (z.batched)
      t.notPerSample("takes its zero point per sample");
    std::string e = t.onnxOrder(z);
    if (z.rank() == 0 || (z.rank() == 1 && z.dims[0] == 1))
      return z.rank() == 0 ? e : e + "[0]";
    int64_t want = rows ? of.dims[of.rank() - 2] : of.dims.back();
    if (z.rank() != 1 || z.dims[0] != want || (rows && of.rank() != 2) || (rows && of.batched))
      t.fail("a zero point must be one number or one per " + std::string(rows ? "row of A" : "column of B"));
    return rows ? "reshape(" + e + ", " + list({want, 1}) + ")" : e;
  };
  std::string azp = zeroPoint(2, a, true), bzp = zeroPoint(ibzp, b, false);
  if (!azp.empty())
    ae = "(" + ae + " - " + azp + ")";
  if (!bzp.empty())
    be = "(" + be + " - " + bzp + ")";
  std::vector<int64_t> dims = a.dims;
  dims.back() = b.dims.back();
  std::string product = ae + " @ " + be;
  if (!qlinear) {
    t.define(0, product, dims, onnx::TensorProto_DataType_INT32, a.batched);
    return;
  }
  auto number = [&](int i) {
    Value &v = t.input(i);
    if (v.batched)
      t.notPerSample("takes its scale per sample");
    if (v.rank() > 1 || (v.rank() == 1 && v.dims[0] != 1))
      t.fail("per-axis scales are not supported here (one number each)");
    std::string e = t.onnxOrder(v);
    return v.rank() == 0 ? e : e + "[0]";
  };
  std::string scale = t.temporary(t.node().output(0) + "_multiplier",
                                  number(1) + " * " + number(4) + " / " + number(6));
  int32_t type = t.hasInput(7) ? t.input(7).elemType : a.elemType;
  std::string yzp = t.hasInput(7) ? number(7) : "";
  std::string scaled = "cast(" + t.temporary(t.node().output(0) + "_product", product) + ", f32) * " + scale;
  t.define(0, quantized(t, scaled, yzp, type), dims, type, a.batched);
}

/// Compress by a constant condition (it decides the output's shape, which
/// nnc compiles statically): the selected positions along the axis (or of
/// the flattened tensor without one), runs of them as slices joined.
void compress(T &t) {
  Value &x = t.input(0);
  const Tensor &cond = t.constantInput(1, "the condition");
  if (cond.dims.size() != 1)
    t.fail("the condition must be one-dimensional");
  bool flat = !t.hasAttr("axis");
  int64_t a = flat ? 0 : t.axis(t.intAttr("axis", 0), x.rank());
  if (x.batched && (flat || a == 0))
    t.notPerSample(flat ? "selects from the flattened tensor, batch included" : "selects along the batch axis");
  int64_t size = flat ? product(x.dims) : x.dims[a];
  if (cond.count() > size)
    t.fail("the condition has " + std::to_string(cond.count()) + " entries for " +
           std::to_string(size) + " positions");
  std::vector<std::pair<int64_t, int64_t>> runs; // [begin, end)
  int64_t selected = 0;
  for (int64_t i = 0; i < cond.count(); ++i) {
    if (cond.values[static_cast<size_t>(i)] == 0)
      continue;
    ++selected;
    if (!runs.empty() && runs.back().second == i)
      runs.back().second = i + 1;
    else
      runs.push_back({i, i + 1});
  }
  if (selected == 0)
    t.fail("the condition selects nothing; nnc's tensors have at least one element");
  if (runs.size() > 64)
    t.fail("more than 64 separate runs of selected positions are not supported");
  std::string xe = flat ? "reshape(" + t.onnxOrder(x) + ", " + list({size}) + ")" : t.onnxOrder(x);
  if (flat && runs.size() > 1)
    xe = t.temporary(t.node().output(0) + "_flat", xe);
  int first = x.batched ? 1 : 0;
  std::string parts;
  for (auto [b, e] : runs) {
    std::string items;
    for (int k = flat ? 0 : first; k < (flat ? 1 : x.rank()); ++k)
      items += (items.empty() ? "" : ", ") +
               (flat || k == a ? std::to_string(b) + ":" + std::to_string(e) : std::string(":"));
    parts += (parts.empty() ? "" : ", ") + xe + "[" + items + "]";
  }
  std::vector<int64_t> dims = flat ? std::vector<int64_t>{selected} : x.dims;
  if (!flat)
    dims[a] = selected;
  t.define(0, runs.size() == 1 ? parts
                               : "concat(" + parts + ", axis: " + std::to_string(flat ? 0 : a - first) + ")",
           dims, x.elemType, x.batched && !flat);
}

/// Det of square matrices up to 4 x 4 (the last two axes): Leibniz's sum
/// over the permutations of signed products of entries, exact in form and
/// differentiable; larger matrices are refused.
void det(T &t) {
  Value &x = t.input(0);
  if (x.rank() < 2 || x.dims[x.rank() - 1] != x.dims[x.rank() - 2])
    t.fail("takes square matrices in the last two axes, not shape " + dimsText(x.dims));
  if (x.batched && x.rank() == 2)
    t.notPerSample("takes the determinant of a matrix whose rows are the batch");
  int64_t n = x.dims.back();
  if (n > 4)
    t.fail("matrices larger than 4 x 4 are not supported (" + std::to_string(n) + " x " +
           std::to_string(n) + ")");
  std::string xe = t.onnxOrder(x);
  if (xe.find_first_of("([ ") != std::string::npos)
    xe = t.temporary(t.node().output(0) + "_matrix", xe);
  std::string lead;
  for (int k = x.batched ? 1 : 0; k < x.rank() - 2; ++k)
    lead += ":, ";
  auto entry = [&](int64_t i, int64_t j) {
    return xe + "[" + lead + std::to_string(i) + ", " + std::to_string(j) + "]";
  };
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    perm[static_cast<size_t>(i)] = i;
  std::string sum;
  do {
    int inversions = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j)
        inversions += perm[static_cast<size_t>(i)] > perm[static_cast<size_t>(j)];
    std::string term;
    for (int64_t i = 0; i < n; ++i)
      term += (i ? " * " : "") + entry(i, perm[static_cast<size_t>(i)]);
    sum += sum.empty() ? (inversions % 2 ? "-" : "") + term : (inversions % 2 ? " - " : " + ") + term;
  } while (std::next_permutation(perm.begin(), perm.end()));
  std::vector<int64_t> dims(x.dims.begin(), x.dims.end() - 2);
  t.define(0, sum, dims, x.elemType, x.batched);
}

/// ConvInteger and QLinearConv: Conv on the inputs less their zero points
/// (integers compute in f64, so the sums are exact); a constant weight is
/// folded with a constant zero point (one, or one per filter) into the
/// layer's weight. ConvInteger gives int32; QLinearConv adds its int32
/// bias and requantizes in f32 with x_scale * w_scale / y_scale (w_scale
/// per filter or one), as onnxruntime does.
void integerConv(T &t, bool qlinear) {
  // ConvInteger: x, w, x_zero_point, w_zero_point; QLinearConv: x,
  // x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B.
  int iw = qlinear ? 3 : 1, iwz = qlinear ? 5 : 3;
  Value x = t.input(0), w = t.input(iw);
  if (!isInteger(x.elemType) || !isInteger(w.elemType))
    t.fail("convolves " + elemTypeName(x.elemType) + " with " + elemTypeName(w.elemType) +
           "; it takes integers");
  if (w.rank() < 3 || w.rank() != x.rank())
    t.fail("the weight must have shape [filters, channels, kernel...]");
  int64_t F = w.dims[0];
  int32_t f64 = onnx::TensorProto_DataType_DOUBLE;
  // An input that is one number, or one per filter ([F, 1, ...] against [N, F, ...]).
  // An input that is one number, or one per filter as [F, 1, ...] with
  // `ones` 1s (against [N, F, ...] or the weight [F, C, ...]).
  auto perFilter = [&](int i, const char *what, int64_t ones) -> std::string {
    Value &v = t.input(i);
    if (v.batched)
      t.notPerSample(std::string("takes its ") + what + " per sample");
    int64_t n = product(v.dims);
    if (n != 1 && !(v.rank() == 1 && v.dims[0] == F))
      t.fail(std::string(what) + " must be one number or one per filter (" + std::to_string(F) + ")");
    if (v.constant && v.id.empty() && n == 1)
      return T::number(v.constant->values[0], v.elemType);
    std::string e = t.onnxOrder(v);
    if (n == 1) {
      std::string first;
      for (int k = 0; k < v.rank(); ++k)
        first += k ? ", 0" : "0";
      return v.rank() == 0 ? e : e + "[" + first + "]";
    }
    std::vector<int64_t> column = {F};
    column.insert(column.end(), static_cast<size_t>(ones), 1);
    return "reshape(" + e + ", " + list(column) + ")";
  };
  int64_t spatial = x.rank() - 2;
  auto one = [&](int i, const char *what) {
    if (product(t.input(i).dims) != 1)
      t.fail(std::string(what) + " must be one number");
    return perFilter(i, what, 0);
  };
  if (t.hasInput(2)) {
    x.id = t.temporary(t.node().output(0) + "_x", t.onnxOrder(x) + " - " + one(2, "x_zero_point"));
    x.perm.clear();
    x.constant.reset();
  }
  x.elemType = f64;
  x.initializer.clear();
  bool constantZero = !t.hasInput(iwz) || (t.input(iwz).constant && t.input(iwz).id.empty());
  if (w.constant && w.id.empty() && constantZero) {
    Tensor shifted = *w.constant;
    if (t.hasInput(iwz)) {
      const Tensor &z = *t.input(iwz).constant;
      int64_t per = shifted.count() / F;
      for (int64_t k = 0; k < shifted.count(); ++k)
        shifted.values[size_t(k)] -= z.values[z.count() == 1 ? 0 : size_t(k / per)];
    }
    shifted.elemType = f64;
    w.constant = shifted;
  } else {
    std::string we = t.onnxOrder(w);
    if (t.hasInput(iwz))
      we = we + " - " + perFilter(iwz, "w_zero_point", spatial + 1);
    w.id = t.temporary(t.node().output(0) + "_w", we);
    w.perm.clear();
    w.constant.reset();
  }
  w.elemType = f64;
  w.initializer.clear();
  Value y = t.translateAs("Conv", {x, w});
  std::string ye = t.onnxOrder(y);
  if (!qlinear) {
    t.define(0, ye, y.dims, onnx::TensorProto_DataType_INT32, y.batched);
    return;
  }
  if (t.hasInput(8)) {
    Value &b = t.input(8);
    if (b.rank() != 1 || b.dims[0] != F)
      t.fail("the bias must have " + std::to_string(F) + " values");
    ye = "(" + ye + " + " + perFilter(8, "the bias", spatial) + ")";
  }
  // The multiplier, in f32 as onnxruntime forms it.
  std::string multiplier = "(" + one(1, "x_scale") + " * " + perFilter(4, "w_scale", spatial) + " / " +
                           one(6, "y_scale") + ")";
  int32_t type = t.hasInput(7) ? t.input(7).elemType : t.input(0).elemType;
  std::string yzp = t.hasInput(7) ? one(7, "y_zero_point") : "";
  std::string scaled = "cast(" + t.temporary(t.node().output(0) + "_sum", ye) + ", f32) * " + multiplier;
  t.define(0, quantized(t, scaled, yzp, type), y.dims, type, y.batched);
}

// --- Fourier transforms --------------------------------------------------------------

/// The discrete Fourier transform along the last axis of `re` (and `im`,
/// empty for a real signal), of rank `rank`, whose length is n, at length `length` (the
/// signal cut or padded with zeros): products with constant cosine and
/// sine matrices, [..., n] @ [n, bins]. The inverse has the other sign and
/// divides by the length. Returns the real and imaginary expressions.
std::pair<std::string, std::string> fourier(T &t, const std::string &re, const std::string &im,
                                            int rank, int64_t n, int64_t length, int64_t bins,
                                            bool inverse, int32_t type, const std::string &base) {
  int64_t used = std::min(n, length);
  if (double(used) * double(bins) > double(1 << 24))
    t.fail("the transform's matrices would have " + countText(double(used) * double(bins)) +
           " entries; nnc allows at most 2^24");
  const double pi = 3.14159265358979323846;
  Tensor c{type, {used, bins}, {}}, sn{type, {used, bins}, {}};
  double scale = inverse ? 1.0 / double(length) : 1.0;
  for (int64_t j = 0; j < used; ++j)
    for (int64_t k = 0; k < bins; ++k) {
      double angle = 2 * pi * double((j * k) % length) / double(length);
      c.values.push_back(std::cos(angle) * scale);
      sn.values.push_back(std::sin(angle) * scale);
    }
  auto matrix = [&](const Tensor &m) {
    Value v;
    v.constant = m;
    v.elemType = type;
    v.dims = m.dims;
    return t.onnxOrder(v);
  };
  std::string cut;
  if (n > length) {
    for (int k = 0; k < rank - 1; ++k)
      cut += ":, ";
    cut = "[" + cut + "0:" + std::to_string(length) + "]";
  }
  std::string xr = re + cut, xi = im.empty() ? "" : im + cut;
  std::string C = matrix(c), S = matrix(sn);
  // forward: e^{-i 2 pi jk / L}; inverse: e^{+i ...} / L
  std::string plus = inverse ? " - " : " + ", minus = inverse ? " + " : " - ";
  std::string outRe = xr + " @ " + C + (xi.empty() ? "" : plus + xi + " @ " + S);
  std::string outIm = (xi.empty() ? std::string(inverse ? "" : "-") : xi + " @ " + C + minus) + xr + " @ " + S;
  return {t.temporary(base + "_re", outRe), t.temporary(base + "_im", outIm)};
}

/// DFT (opset 17): along `axis` of [batch, ..., 1 or 2] (real or complex
/// signals), at dft_length (a constant), onesided (the first L / 2 + 1
/// bins), inverse; the result's last axis holds the real and imaginary parts.
void dft(T &t) {
  Value &x = t.input(0);
  int r = x.rank();
  if (r < 3 || (x.dims.back() != 1 && x.dims.back() != 2))
    t.fail("the input must be [batch, signal..., 1 or 2], not " + dimsText(x.dims));
  int64_t axis = t.axis(t.intAttr("axis", 1), r);
  if (axis == 0 || axis == r - 1)
    t.fail("axis " + std::to_string(axis) + " is the batch or the real/imaginary axis");
  bool inverse = t.intAttr("inverse", 0) != 0, onesided = t.intAttr("onesided", 0) != 0;
  if (inverse && onesided)
    t.fail("onesided is for the forward transform of real signals");
  if (x.batched && axis == 0)
    t.notPerSample("transforms along the batch axis");
  int64_t n = x.dims[axis];
  int64_t length = t.hasInput(1) ? integer(t, t.constantInput(1, "dft_length").values.at(0)) : n;
  if (length < 1 || length > (int64_t(1) << 20))
    t.fail("dft_length " + std::to_string(length) + " is out of range");
  int64_t bins = onesided ? length / 2 + 1 : length;
  // Per sample: the signal axis moved last, the real/imaginary axis taken apart.
  int first = x.batched ? 1 : 0;
  int rs = r - first, p = static_cast<int>(axis) - first;
  std::string xe = t.onnxOrder(x), out = t.node().output(0);
  std::vector<int64_t> perm;
  for (int k = 0; k < rs - 1; ++k)
    if (k != p)
      perm.push_back(k);
  perm.push_back(p);
  std::string lead;
  for (int k = 0; k < rs - 1; ++k)
    lead += ":, ";
  auto part = [&](int i) {
    return t.temporary(out + (i ? "_imag" : "_real"),
                       "transpose(" + xe + "[" + lead + std::to_string(i) + "], " + list(perm) + ")");
  };
  std::string re = part(0), im = x.dims.back() == 2 ? part(1) : "";
  auto [yr, yi] = fourier(t, re, im, rs - 1, n, length, bins, inverse, x.elemType, out);
  // Back: bins at p, then the parts on a new last axis.
  std::vector<int64_t> back(static_cast<size_t>(rs - 1));
  for (int k = 0, j = 0; k < rs - 1; ++k)
    back[static_cast<size_t>(k)] = k == p ? rs - 2 : j++;
  std::vector<int64_t> dims = x.dims;
  dims[axis] = bins;
  dims.back() = 2;
  std::vector<int64_t> sample(dims.begin() + first, dims.end());
  std::vector<int64_t> one = sample;
  one.back() = 1;
  auto placed = [&](const std::string &e) {
    return "reshape(transpose(" + e + ", " + list(back) + "), " + list(one) + ")";
  };
  t.define(0, "concat(" + placed(yr) + ", " + placed(yi) + ", axis: -1)", dims, x.elemType, x.batched);
}

/// STFT (opset 17): frames of frame_length every frame_step (constants) of
/// [batch, length, 1 or 2] signals, each times the window, transformed
/// (onesided by default): [batch, frames, bins, 2].
void stft(T &t) {
  Value &x = t.input(0);
  if (x.rank() != 3 || (x.dims[2] != 1 && x.dims[2] != 2))
    t.fail("the signal must be [batch, length, 1 or 2], not " + dimsText(x.dims));
  int64_t step = integer(t, t.constantInput(1, "frame_step").values.at(0));
  int64_t length = 0;
  if (t.hasInput(3))
    length = integer(t, t.constantInput(3, "frame_length").values.at(0));
  else if (t.hasInput(2))
    length = t.input(2).dims.empty() ? 0 : t.input(2).dims[0];
  if (length < 1 || step < 1 || length > x.dims[1])
    t.fail("frame_length " + std::to_string(length) + " and frame_step " + std::to_string(step) +
           " do not fit a signal of " + std::to_string(x.dims[1]));
  if (t.hasInput(2) && t.input(2).dims != std::vector<int64_t>{length})
    t.fail("the window must have frame_length (" + std::to_string(length) + ") values");
  bool onesided = t.intAttr("onesided", 1) != 0;
  if (onesided && x.dims[2] == 2)
    t.fail("onesided is for real signals");
  int64_t frames = (x.dims[1] - length) / step + 1, bins = onesided ? length / 2 + 1 : length;
  if (frames > 1024)
    t.fail("more than 1024 frames are not supported");
  std::string xe = t.onnxOrder(x), out = t.node().output(0);
  std::string window = t.hasInput(2) ? " * " + t.operandFor(t.input(2), t.input(2)) : "";
  // [frames, length] per sample for each part: the frames' slices stacked.
  auto framesOf = [&](int i) {
    std::string sig = t.temporary(out + (i ? "_imag" : "_real"),
                                  xe + "[" + (x.batched ? "" : ":, ") + ":, " + std::to_string(i) + "]");
    std::string parts;
    for (int64_t f = 0; f < frames; ++f)
      parts += (f ? ", " : "") + std::string("reshape(") + sig + "[" + (x.batched ? "" : ":, ") +
               std::to_string(f * step) + ":" + std::to_string(f * step + length) + "], " +
               (x.batched ? list({1, length}) : list({x.dims[0], 1, length})) + ")";
    return t.temporary(out + (i ? "_imag_frames" : "_frames"),
                       (frames > 1 ? "concat(" + parts + ", axis: " + (x.batched ? "0" : "1") + ")" : parts) +
                           window);
  };
  std::string re = framesOf(0), im = x.dims[2] == 2 ? framesOf(1) : "";
  auto [yr, yi] = fourier(t, re, im, x.batched ? 2 : 3, length, length, bins, false, x.elemType, out);
  std::vector<int64_t> dims = {x.dims[0], frames, bins, 2};
  std::vector<int64_t> one = {frames, bins, 1};
  if (!x.batched)
    one.insert(one.begin(), x.dims[0]);
  t.define(0, "concat(reshape(" + yr + ", " + list(one) + "), reshape(" + yi + ", " + list(one) +
                  "), axis: -1)",
           dims, x.elemType, x.batched);
}

/// A constant of `dims` holding 0, 1, 2, ... in f64: positions an index is
/// compared with, laid out to broadcast where they are needed.
std::string positionsShaped(T &t, const std::vector<int64_t> &dims) {
  Value v = positionsOf(product(dims), onnx::TensorProto_DataType_DOUBLE);
  v.dims = dims;
  v.constant->dims = dims;
  return t.onnxOrder(v);
}

/// The row-major flat position, in a block of `extents`, of each index
/// tuple of `ie` ([J, K] f64 numbers, a name; negative entries count from
/// the end of their axis), plus `base` ([J, 1] or empty): [J, 1].
std::string flatIndex(T &t, const std::string &ie, const std::vector<int64_t> &extents,
                      const std::string &base) {
  std::string sum = base;
  int64_t stride = 1;
  for (int64_t k = static_cast<int64_t>(extents.size()) - 1; k >= 0; --k) {
    std::string c = ie + "[:, " + std::to_string(k) + ":" + std::to_string(k + 1) + "]";
    std::string term = "(" + c + " + " + std::to_string(extents[k]) + " * (" + c + " < 0))";
    if (stride != 1)
      term += " * " + std::to_string(stride);
    sum = sum.empty() ? term : term + " + " + sum;
    stride *= extents[k];
  }
  return t.temporary(t.node().output(0) + "_flat", sum);
}

/// GatherND: the index tuples (the last axis of the indices) address the
/// data's axes after `batch_dims`; each picks its block of the rest. The
/// tuples become flat positions over [batch block, indexed axes], and the
/// sum over those positions of where(position matches, data row, 0)
/// selects each row: exact, differentiable in the data, 0 for a position
/// out of range (ONNX leaves that undefined). With the batch on axis 0 of
/// both, batch_dims counts it, so each sample gathers from its own data.
void gatherND(T &t) {
  Value &data = t.input(0), &idx = t.input(1);
  if (isFloat(idx.elemType) || idx.indices)
    t.fail("the indices must be integers");
  int64_t b = t.intAttr("batch_dims", 0);
  if (b < 0 || b >= std::min(data.rank(), idx.rank()))
    t.fail("batch_dims " + std::to_string(b) + " must be less than the ranks of the data (" +
           std::to_string(data.rank()) + ") and of the indices (" + std::to_string(idx.rank()) + ")");
  bool batched = data.batched || idx.batched;
  int64_t bb = b; // batch dims within a sample
  if (data.batched) {
    if (!idx.batched || b == 0)
      t.notPerSample("gathers along the batch axis");
    bb = b - 1;
  } else if (idx.batched && b > 0) {
    t.notPerSample("gathers with batch_dims from data shared by the batch");
  }
  std::vector<int64_t> dd = data.sampleDims(), di = idx.sampleDims();
  if (di.empty())
    t.fail("the indices need a last axis holding the index tuples");
  int64_t K = di.back(), r = static_cast<int64_t>(dd.size());
  if (K < 1 || bb + K > r)
    t.fail("index tuples of " + std::to_string(K) + " entries do not fit the data's " +
           std::to_string(r - bb) + " axes after batch_dims");
  for (int64_t k = 0; k < bb; ++k)
    if (di[k] != dd[k])
      t.fail("the indices' batch axes must equal the data's");
  std::vector<int64_t> batchDims(dd.begin(), dd.begin() + bb),
      indexed(dd.begin() + bb, dd.begin() + bb + K), rest(dd.begin() + bb + K, dd.end()),
      tuples(di.begin() + bb, di.end() - 1);
  int64_t B = product(batchDims), M = product(indexed), R = product(rest), I = product(tuples);
  if (double(B) * I * B * M * R > double(int64_t(1) << 28))
    t.fail("gathering by indices compares every index with every one of the " +
           std::to_string(B * M) + " positions: more than nnc allows (2^28 entries per sample)");
  std::string out = t.node().output(0);
  std::string ie = t.temporary(out + "_tuples",
                               inTypeOf("reshape(" + t.onnxOrder(idx) + ", " + list({B * I, K}) + ")",
                                        idx.elemType, onnx::TensorProto_DataType_DOUBLE));
  std::string base;
  if (B > 1) { // tuple j of batch block j / I starts at (j / I) * M
    Value starts;
    starts.elemType = onnx::TensorProto_DataType_DOUBLE;
    starts.dims = {B * I, 1};
    starts.constant = Tensor{starts.elemType, starts.dims, {}};
    for (int64_t j = 0; j < B * I; ++j)
      starts.constant->values.push_back(double((j / I) * M));
    base = t.onnxOrder(starts);
  }
  std::string flat = flatIndex(t, ie, indexed, base);
  std::string matches = "(reshape(" + flat + ", " + list({B * I, 1, 1}) + ") == " +
                        positionsShaped(t, {B * M, 1}) + ")";
  std::string rows = "reshape(" + t.onnxOrder(data) + ", " + list({B * M, R}) + ")";
  std::vector<int64_t> sample = batchDims;
  sample.insert(sample.end(), tuples.begin(), tuples.end());
  sample.insert(sample.end(), rest.begin(), rest.end());
  std::string picked = "sum(where(" + matches + ", " + rows + ", 0), axis: 1)";
  std::vector<int64_t> dims = sample;
  if (batched)
    dims.insert(dims.begin(), data.batched ? data.dims[0] : idx.dims[0]);
  t.define(0, sample.empty() ? "sum(" + picked + ")" : "reshape(" + picked + ", " + list(sample) + ")",
           dims, data.elemType, batched);
}

/// ScatterND: a copy of the data whose blocks the index tuples address take
/// the updates (reduction none; duplicates summed, which ONNX leaves
/// undefined), or are added to or multiplied by them. The tuples address the
/// whole tensor, so it is one sample.
void scatterND(T &t) {
  Value &data = t.input(0), &idx = t.input(1), &upd = t.input(2);
  if (isFloat(idx.elemType) || idx.indices)
    t.fail("the indices must be integers");
  if (data.batched || idx.batched || upd.batched)
    t.notPerSample("scatters by index tuples that address the whole tensor");
  std::string reduction = t.stringAttr("reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul")
    t.fail("reduction '" + reduction + "' is not supported (none, add and mul are)");
  const std::vector<int64_t> &dd = data.dims, &di = idx.dims;
  if (di.empty())
    t.fail("the indices need a last axis holding the index tuples");
  int64_t K = di.back(), r = static_cast<int64_t>(dd.size());
  if (K < 1 || K > r)
    t.fail("index tuples of " + std::to_string(K) + " entries do not fit the data's " +
           std::to_string(r) + " axes");
  std::vector<int64_t> indexed(dd.begin(), dd.begin() + K), rest(dd.begin() + K, dd.end()),
      tuples(di.begin(), di.end() - 1), want = tuples;
  want.insert(want.end(), rest.begin(), rest.end());
  if (upd.dims != want)
    t.fail("the updates have shape " + dimsText(upd.dims) + ", the indices and data need " +
           dimsText(want));
  int64_t M = product(indexed), R = product(rest), J = product(tuples);
  if (double(J) * M * R > double(int64_t(1) << 28))
    t.fail("scattering compares every index with every one of the " + std::to_string(M) +
           " positions: more than nnc allows (2^28 entries)");
  std::string out = t.node().output(0);
  std::string ie = t.temporary(out + "_tuples",
                               inTypeOf("reshape(" + t.onnxOrder(idx) + ", " + list({J, K}) + ")",
                                        idx.elemType, onnx::TensorProto_DataType_DOUBLE));
  std::string flat = flatIndex(t, ie, indexed, "");
  std::string matches = t.temporary(out + "_matches", "(" + flat + " == " + positionsShaped(t, {1, M}) + ")");
  std::string rows = t.temporary(out + "_rows", "reshape(" + t.onnxOrder(data) + ", " + list({M, R}) + ")");
  std::string expr;
  if (reduction == "mul") { // the factors one by one, as ReduceProd
    if (J > 64)
      t.fail("reduction mul of more than 64 updates is not supported");
    std::string ue = t.temporary(out + "_updates", "reshape(" + t.onnxOrder(upd) + ", " + list({J, R}) + ")");
    expr = rows;
    for (int64_t j = 0; j < J; ++j)
      expr += " * where(reshape(" + matches + "[" + std::to_string(j) + "], " + list({M, 1}) + "), " +
              ue + "[" + std::to_string(j) + "], 1)";
    if (isInteger(data.elemType)) // integer products wrap, as Mul's
      expr = wrapped(t, expr, data.elemType);
  } else {
    std::string m3 = "reshape(" + matches + ", " + list({J, M, 1}) + ")";
    std::string u = "reshape(" + t.onnxOrder(upd) + ", " + list({J, 1, R}) + ")";
    std::string values = "sum(where(" + m3 + ", " + u + ", 0), axis: 0)";
    expr = reduction == "add" ? rows + " + " + values
                              : "where(reshape(sum(" + matches + ", axis: 0), " + list({M, 1}) +
                                    ") > 0, " + values + ", " + rows + ")";
  }
  t.define(0, "reshape(" + expr + ", " + list(dd) + ")", dd, data.elemType, false);
}

/// ReverseSequence: along the time axis, each sequence's first
/// sequence_lens[n] steps reversed, the rest kept: step t takes step
/// len - 1 - t (t < len) or t, picked by the sum over the steps of
/// where(step matches, x, 0). The lengths differ per sequence of the
/// batch axis, so the whole tensor is one sample.
void reverseSequence(T &t) {
  Value &x = t.input(0), &len = t.input(1);
  if (x.batched || len.batched)
    t.notPerSample("reverses each sequence by its own length");
  if (x.rank() < 2)
    t.fail("the input must have at least 2 axes");
  int64_t ba = t.axis(t.intAttr("batch_axis", 1), x.rank()), ta = t.axis(t.intAttr("time_axis", 0), x.rank());
  if (!((ba == 0 && ta == 1) || (ba == 1 && ta == 0)))
    t.fail("batch_axis and time_axis must be 0 and 1");
  int64_t S = x.dims[ta], N = x.dims[ba];
  std::vector<int64_t> rest(x.dims.begin() + 2, x.dims.end());
  int64_t R = product(rest);
  if (len.dims != std::vector<int64_t>{N} || isFloat(len.elemType))
    t.fail("sequence_lens must be " + std::to_string(N) + " integers");
  if (double(S) * N * R * S > double(int64_t(1) << 28))
    t.fail("the sequences are too long for nnc's reversal (more than 2^28 comparisons)");
  std::string out = t.node().output(0);
  std::string xe = t.onnxOrder(x);
  std::vector<int64_t> swap;
  for (int64_t k = 0; k < x.rank(); ++k)
    swap.push_back(k < 2 ? 1 - k : k);
  if (ta == 1) // steps first
    xe = "transpose(" + xe + ", " + list(swap) + ")";
  // [N, R, S]: each sequence's steps last, against [S, N, 1, S] matches.
  std::string steps = t.temporary(out + "_steps", "transpose(reshape(" + xe + ", " + list({S, N, R}) +
                                                      "), [1, 2, 0])");
  std::string lens = inTypeOf("reshape(" + t.onnxOrder(len) + ", " + list({1, N}) + ")", len.elemType,
                              onnx::TensorProto_DataType_DOUBLE);
  lens = t.temporary(out + "_lens", lens);
  std::string tcol = positionsShaped(t, {S, 1});
  std::string source = t.temporary(out + "_source", "where(" + tcol + " < " + lens + ", " + lens +
                                                        " - 1 - " + tcol + ", " + tcol + ")");
  std::string matches = "(reshape(" + source + ", " + list({S, N, 1, 1}) + ") == " +
                        positionsShaped(t, {S}) + ")";
  std::vector<int64_t> stepsFirst = {S, N};
  stepsFirst.insert(stepsFirst.end(), rest.begin(), rest.end());
  std::string y = "reshape(sum(where(" + matches + ", " + steps + ", 0), axis: -1), " + list(stepsFirst) + ")";
  if (ta == 1)
    y = "transpose(" + t.temporary(out + "_reversed", y) + ", " + list(swap) + ")";
  t.define(0, y, x.dims, x.elemType, false);
}

void constantOfShape(T &t) {
  const Tensor &shape = t.constantInput(0, "the shape");
  Tensor c;
  c.elemType = onnx::TensorProto_DataType_FLOAT;
  double value = 0;
  if (const auto *a = t.attr("value")) {
    Tensor v = tensorValues(a->t(), "the value of ConstantOfShape");
    c.elemType = v.elemType;
    value = v.values.at(0);
  }
  int batchAxis = -1;
  for (double d : shape.values) {
    if (d == kBatchSize) { // zeros the size of the batch: a fill
      if (batchAxis >= 0)
        t.fail("the shape holds the batch size twice");
      batchAxis = static_cast<int>(c.dims.size());
      c.dims.push_back(-1);
      continue;
    }
    if (!(d >= 0 && d <= double(uint64_t(1) << 32))) // NaN too
      t.fail("shape entry " + countText(d) + " is out of range");
    c.dims.push_back(static_cast<int64_t>(d));
  }
  if (batchAxis >= 0) {
    Value v;
    v.elemType = c.elemType;
    v.dims = c.dims;
    v.batched = true;
    v.batchAxis = batchAxis;
    v.fill = value;
    t.alias(0, v);
    return;
  }
  if (c.count() > (int64_t(1) << 28))
    t.fail("the tensor would have " + std::to_string(c.count()) + " elements");
  c.values.assign(static_cast<size_t>(c.count()), value);
  t.defineConstant(0, c);
}

void size(T &t) {
  Value &x = t.input(0);
  if (x.batched)
    t.notPerSample("counts the elements of the batch");
  Tensor c;
  c.elemType = onnx::TensorProto_DataType_INT64;
  double n = 1;
  for (int64_t d : x.dims)
    n *= double(d);
  c.values = {n};
  t.defineConstant(0, c);
}

void gemmComputed(T &t) {
  Value &a = t.input(0), &b = t.input(1);
  if (a.rank() != 2 || b.rank() != 2)
    t.fail("A and B must be matrices");
  if (a.batched || b.batched)
    t.notPerSample("multiplies across the batch axis");
  std::string ae = t.onnxOrder(a), be = t.onnxOrder(b);
  if (t.intAttr("transA", 0))
    ae = "transpose(" + ae + ", [1, 0])";
  if (t.intAttr("transB", 0))
    be = "transpose(" + be + ", [1, 0])";
  int64_t m = t.intAttr("transA", 0) ? a.dims[1] : a.dims[0];
  int64_t n = t.intAttr("transB", 0) ? b.dims[0] : b.dims[1];
  std::string expr = "(" + ae + " @ " + be + ")";
  double alpha = t.floatAttr("alpha", 1.0), beta = t.floatAttr("beta", 1.0);
  if (alpha != 1.0)
    expr = T::number(alpha, a.elemType) + " * " + expr;
  Value result;
  result.dims = {m, n};
  result.elemType = a.elemType;
  if (t.hasInput(2) && beta != 0.0) {
    Value &c = t.input(2);
    std::string ce = c.batched ? t.onnxOrder(c) : t.operandFor(c, result);
    expr += " + " + (beta != 1.0 ? T::number(beta, a.elemType) + " * " : std::string()) + ce;
  }
  t.define(0, expr, {m, n}, a.elemType, false);
}

void argReduce(T &t, const std::string &fn) {
  Value &x = t.input(0);
  int64_t a = t.axis(t.intAttr("axis", 0), x.rank());
  if (x.batched && a == 0)
    t.notPerSample("reduces over the batch axis");
  bool keep = t.intAttr("keepdims", 1) != 0;
  std::string xe = t.onnxOrder(x);
  std::string axisArg = ", axis: " + std::to_string(a - (x.batched ? 1 : 0));
  std::vector<int64_t> dims = x.dims;
  if (keep)
    dims[a] = 1;
  else
    dims.erase(dims.begin() + a);
  std::string of = xe;
  if (t.intAttr("select_last_index", 0)) {
    // The last extreme: argmax of each extreme's index along the axis (0
    // elsewhere, which is also the answer when the only extreme is at 0).
    std::string extreme = fn == "argmax" ? "max(" + xe + axisArg + ", keepdims: true)"
                                         : "-max(-" + xe + axisArg + ", keepdims: true)";
    std::string iota;
    for (int64_t i = 0; i < x.dims[a]; ++i) {
      std::string item = std::to_string(i);
      for (int k = static_cast<int>(a) + 1; k < x.rank(); ++k)
        item = "[" + item + "]";
      iota += (i ? ", " : "") + item;
    }
    of = t.temporary(t.node().output(0) + "_last",
                     "where(" + xe + " == " + extreme + ", [" + iota + "], 0)");
    t.define(0, "argmax(" + of + axisArg + (keep ? ", keepdims: true" : "") + ")", dims,
             onnx::TensorProto_DataType_INT64, x.batched).indices = true;
    return;
  }
  t.define(0, fn + "(" + of + axisArg + (keep ? ", keepdims: true" : "") + ")", dims,
           onnx::TensorProto_DataType_INT64, x.batched).indices = true;
}

/// CumSum: cumsum along the axis its second input holds (a constant), with
/// the exclusive and reverse attributes.
void cumsum(T &t) {
  Value &x = t.input(0);
  const Tensor &axis = t.constantInput(1, "axis");
  if (axis.count() != 1)
    t.fail("axis must be one number, got " + std::to_string(axis.count()));
  int64_t a = t.axis(static_cast<int64_t>(axis.values[0]), x.rank());
  if (x.batched && a == 0)
    t.notPerSample("sums along the batch axis");
  std::string expr = "cumsum(" + t.onnxOrder(x) + ", axis: " + std::to_string(a - (x.batched ? 1 : 0));
  if (t.intAttr("exclusive", 0))
    expr += ", exclusive: true";
  if (t.intAttr("reverse", 0))
    expr += ", reverse: true";
  t.define(0, expr + ")", x.dims, x.elemType, x.batched);
}

/// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: the language's
/// nll_loss and cross_entropy over [N, C, d1, ..., dk] with the class axis
/// moved last, and the labels a class(C)[N, d1, ..., dk] input.
void classLoss(T &t, bool softmax) {
  Value &x = t.input(0);
  if (x.rank() < 2)
    t.fail("expects an input [N, C] or [N, C, d1, ..., dk]");
  std::string reduction = t.stringAttr("reduction", "mean");
  if (reduction != "mean" && reduction != "sum" && reduction != "none")
    t.fail("unknown reduction '" + reduction + "'");
  if (x.batched && reduction != "none")
    t.notPerSample("reduces over the batch axis");
  int64_t classes = x.dims[1];
  t.classLabels(1, classes);
  Value &labels = t.input(1);
  std::vector<int64_t> positions = x.dims;
  positions.erase(positions.begin() + 1);
  if (labels.dims != positions || labels.batched != x.batched)
    t.fail("the labels have shape " + list(labels.dims) + ", the input " + list(x.dims) +
           " needs " + list(positions));
  std::string args;
  if (t.hasInput(2)) {
    Value &w = t.input(2);
    if (w.batched)
      t.notPerSample("takes the class weights from a graph input");
    if (w.dims != std::vector<int64_t>{classes} || w.elemType != x.elemType)
      t.fail("the weights must be " + std::to_string(classes) + " numbers of the input's type");
    args += ", weight: " + t.onnxOrder(w);
  }
  if (t.hasAttr("ignore_index"))
    args += ", ignore_index: " + std::to_string(t.intAttr("ignore_index", 0));
  if (reduction != "mean")
    args += ", reduce: " + reduction;
  std::string xe = t.onnxOrder(x);
  int first = x.batched ? 1 : 0;
  int classAxis = 1 - first, rank = x.rank() - first;
  if (softmax && t.outputUsed(1))
    t.define(1, "log_softmax(" + xe + ", axis: " + std::to_string(classAxis) + ")", x.dims,
             x.elemType, x.batched);
  if (classAxis != rank - 1) {
    std::vector<int64_t> perm;
    for (int k = 0; k < rank; ++k)
      if (k != classAxis)
        perm.push_back(k);
    perm.push_back(classAxis);
    xe = t.temporary(t.node().output(0) + "_classes_last",
                     "transpose(" + xe + ", " + list(perm) + ")");
  }
  t.define(0, std::string(softmax ? "cross_entropy(" : "nll_loss(") + xe + ", " + labels.id + args + ")",
           reduction == "none" ? positions : std::vector<int64_t>{}, x.elemType,
           reduction == "none" && x.batched);
}

void hardmax(T &t) {
  Value &x = t.input(0);
  int64_t a = softmaxAxis(t, x);
  std::string xe = t.onnxOrder(x);
  std::string type = x.elemType == onnx::TensorProto_DataType_DOUBLE ? "f64" : "f32";
  if (t.opset() >= 13 && a != x.rank() - 1) {
    // One-hot of the argmax along the axis: one_hot adds the class axis
    // last, and a transpose puts it back at the axis.
    int first = x.batched ? 1 : 0;
    int64_t r = x.rank() - first, p = a - first;
    std::vector<int64_t> perm;
    for (int64_t i = 0; i < r; ++i)
      perm.push_back(i < p ? i : i == p ? r - 1 : i - 1);
    t.define(0, "transpose(one_hot(argmax(" + xe + ", axis: " + std::to_string(p) + "), " +
                    std::to_string(x.dims[a]) + ", dtype: " + type + "), " + list(perm) + ")",
             x.dims, x.elemType, x.batched);
    return;
  }
  // Before opset 13 (or along the last axis): rows of the [before, after] matrix.
  int64_t cols = 0;
  std::string expr = overRows(x, xe, a, cols, [&](const std::string &m) {
    return "one_hot(argmax(" + m + ", axis: -1), " + std::to_string(cols) +
           ", dtype: " + type + ")";
  });
  t.define(0, expr, x.dims, x.elemType, x.batched);
}

void depthToSpace(T &t, bool toSpace) {
  Value &x = t.input(0);
  if (x.rank() != 4)
    t.fail("expects [N, C, H, W]");
  int64_t b = t.intAttr("blocksize", 0);
  int64_t C = x.dims[1], H = x.dims[2], W = x.dims[3];
  if (b < 1 || (toSpace && C % (b * b) != 0) || (!toSpace && (H % b != 0 || W % b != 0)))
    t.fail("blocksize " + std::to_string(b) + " does not fit the input");
  std::string xe = t.onnxOrder(x);
  std::vector<int64_t> mid, perm, out;
  if (toSpace) {
    bool crd = t.stringAttr("mode", "DCR") == "CRD";
    mid = crd ? std::vector<int64_t>{C / (b * b), b, b, H, W} : std::vector<int64_t>{b, b, C / (b * b), H, W};
    perm = crd ? std::vector<int64_t>{0, 3, 1, 4, 2} : std::vector<int64_t>{2, 3, 0, 4, 1};
    out = {C / (b * b), H * b, W * b};
  } else {
    mid = {C, H / b, b, W / b, b};
    perm = {2, 4, 0, 1, 3};
    out = {C * b * b, H / b, W / b};
  }
  if (!x.batched) { // the whole tensor is the sample: N leads
    mid.insert(mid.begin(), x.dims[0]);
    for (int64_t &p : perm)
      ++p;
    perm.insert(perm.begin(), 0);
    out.insert(out.begin(), x.dims[0]);
  }
  std::vector<int64_t> dims = out;
  if (x.batched)
    dims.insert(dims.begin(), x.dims[0]);
  t.define(0, "reshape(transpose(reshape(" + xe + ", " + list(mid) + "), " + list(perm) + "), " +
                  list(out) + ")",
           dims, x.elemType, x.batched);
}

// --- recurrent layers ---------------------------------------------------------------

/// One of the functions ONNX's recurrent nodes take as `activations`, with
/// its alpha and beta.
struct RecurrentActivation {
  std::string name; // lower case, as onnxruntime compares them
  double alpha = 0, beta = 0;
};

/// The activations of a recurrent node, per direction. activation_alpha and
/// activation_beta are consumed in order by the functions that take them,
/// the others' defaults as the ONNX operators of the same names; this is
/// onnxruntime's reading of the spec.
std::vector<std::vector<RecurrentActivation>> recurrentActivations(T &t, const std::string &kind,
                                                                   int64_t dirs) {
  struct Params {
    bool alpha, beta;
    double alpha0, beta0;
  };
  static const std::map<std::string, Params> known = {
      {"sigmoid", {false, false, 0, 0}},     {"tanh", {false, false, 0, 0}},
      {"relu", {false, false, 0, 0}},        {"affine", {true, true, 1.0, 0.0}},
      {"leakyrelu", {true, false, 0.01, 0}}, {"thresholdedrelu", {true, false, 1.0, 0}},
      {"scaledtanh", {true, true, 1.0, 1.0}}, {"hardsigmoid", {true, true, 0.2, 0.5}},
      {"elu", {true, false, 1.0, 0}},        {"softsign", {false, false, 0, 0}},
      {"softplus", {false, false, 0, 0}}};
  size_t per = kind == "lstm" ? 3 : kind == "gru" ? 2 : 1;
  std::vector<std::string> names;
  if (t.hasAttr("activations")) {
    for (const auto &a : t.attr("activations")->strings())
      names.push_back(a);
    if (names.size() != per * size_t(dirs))
      t.fail("has " + std::to_string(names.size()) + " activations; " +
             (dirs == 2 ? "a bidirectional " : "a one-direction ") + kind + " takes " +
             std::to_string(per * size_t(dirs)));
  } else {
    std::vector<std::string> one = kind == "lstm"  ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
                                   : kind == "gru" ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                   : std::vector<std::string>{"Tanh"};
    for (int64_t d = 0; d < dirs; ++d)
      names.insert(names.end(), one.begin(), one.end());
  }
  std::vector<float> alphas, betas;
  if (const auto *a = t.attr("activation_alpha"))
    alphas.assign(a->floats().begin(), a->floats().end());
  if (const auto *b = t.attr("activation_beta"))
    betas.assign(b->floats().begin(), b->floats().end());
  size_t nextAlpha = 0, nextBeta = 0;
  std::vector<std::vector<RecurrentActivation>> acts(static_cast<size_t>(dirs));
  for (size_t k = 0; k < names.size(); ++k) {
    RecurrentActivation a;
    for (char c : names[k])
      a.name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto p = known.find(a.name);
    if (p == known.end())
      t.fail("activation '" + names[k] + "' is not one of ONNX's recurrent activations");
    a.alpha = p->second.alpha && nextAlpha < alphas.size() ? alphas[nextAlpha++] : p->second.alpha0;
    a.beta = p->second.beta && nextBeta < betas.size() ? betas[nextBeta++] : p->second.beta0;
    acts[k / per].push_back(a);
  }
  if (nextAlpha < alphas.size() || nextBeta < betas.size())
    t.fail("activation_alpha or activation_beta has more values than its activations take (" +
           std::to_string(nextAlpha) + " alpha, " + std::to_string(nextBeta) + " beta)");
  return acts;
}

/// `a` applied to the expression `x` (clipped to [-clip, clip] first when
/// clip > 0), in the language.
std::string activate(const RecurrentActivation &a, const std::string &x, double clip, int32_t type) {
  auto n = [&](double v) { return T::number(v, type); };
  std::string in = clip > 0 ? "clamp(" + x + ", min: " + n(-clip) + ", max: " + n(clip) + ")" : x;
  const std::string &f = a.name;
  if (f == "sigmoid" || f == "tanh" || f == "relu" || f == "softsign" || f == "softplus")
    return f + "(" + in + ")";
  if (f == "leakyrelu")
    return "leaky_relu(" + in + ", " + n(a.alpha) + ")";
  if (f == "elu")
    return "elu(" + in + ", " + n(a.alpha) + ")";
  std::string p = "(" + in + ")";
  if (f == "affine")
    return "(" + n(a.alpha) + " * " + p + " + " + n(a.beta) + ")";
  if (f == "thresholdedrelu")
    return "where(" + p + " > " + n(a.alpha) + ", " + p + ", 0)";
  if (f == "scaledtanh")
    return "(" + n(a.alpha) + " * tanh(" + n(a.beta) + " * " + p + "))";
  // hardsigmoid
  return "clamp(" + n(a.alpha) + " * " + p + " + " + n(a.beta) + ", min: 0, max: 1)";
}

/// What an LSTM, GRU or RNN node asks for, read and checked once for both
/// translations: the language's layer and the cells written out as scans.
struct RecurrentNode {
  std::string kind; // rnn, lstm, gru
  int64_t layout = 0, dirs = 1, gates = 1, H = 0, N = 0, T = 0, I = 0;
  int batchAxis = 1;      // of X, Y_h and the initial states
  bool inner = false;     // N sequences inside the one sample
  bool reverse = false;   // one direction, run from the last step
  bool relu = false;      // rnn with activation Relu
  bool resetBefore = false; // gru's linear_before_reset 0
  bool inputForget = false; // lstm's f = 1 - i
  bool layerFits = true;  // the layer's own activations, no clip, no input_forget
  double clip = 0;        // bound of every activation's input; 0 for none
  /// Per direction, the activations in ONNX's order: LSTM f, g, h; GRU f, g; RNN f.
  std::vector<std::vector<RecurrentActivation>> acts;
  std::string name;       // the layer's parameters' prefix
  /// Per direction, in PyTorch's gate order: weight_ih, weight_hh, bias_ih,
  /// bias_hh; LSTM's peepholes in ONNX's order (i, o, f) when given.
  std::vector<std::vector<double>> wih, whh, bih, bhh, peep;
  /// The initial states as [dirs, H] per sample or [dirs, N, H] with the
  /// batch inside; empty for zeros.
  std::string h0, c0;
};

RecurrentNode readRecurrent(T &t, const std::string &kind) {
  RecurrentNode r;
  r.kind = kind;
  Value &x = t.input(0);
  r.layout = t.intAttr("layout", 0);
  r.batchAxis = r.layout == 0 ? 1 : 0;
  if (x.rank() != 3)
    t.fail("X must have rank 3, not " + std::to_string(x.rank()));
  if (x.batched && x.batchAxis != r.batchAxis)
    t.notPerSample("needs its sequence batch on axis " + std::to_string(r.batchAxis));
  r.inner = !x.batched;
  r.H = t.intAttr("hidden_size", 0);
  std::string direction = t.stringAttr("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    t.fail("direction '" + direction + "' is not forward, reverse or bidirectional");
  r.dirs = direction == "bidirectional" ? 2 : 1;
  r.reverse = direction == "reverse";
  r.inputForget = kind == "lstm" && t.intAttr("input_forget", 0) != 0;
  if (t.hasAttr("clip")) {
    r.clip = t.floatAttr("clip", 0);
    if (!(r.clip > 0))
      t.fail("clip " + countText(r.clip) + " is not a positive threshold");
    if (std::isinf(r.clip))
      r.clip = 0; // bounds nothing
  }
  r.acts = recurrentActivations(t, kind, r.dirs);
  // The layer computes sigmoid and tanh gates, or an RNN's tanh or relu, the
  // same in both directions.
  r.relu = kind == "rnn" && r.acts[0][0].name == "relu";
  for (const auto &dir : r.acts)
    for (size_t k = 0; k < dir.size(); ++k) {
      const std::string &want = kind == "rnn" ? (r.relu ? "relu" : "tanh") : k == 0 ? "sigmoid" : "tanh";
      if (dir[k].name != want)
        r.layerFits = false;
    }
  if (r.clip > 0 || r.inputForget)
    r.layerFits = false;
  r.resetBefore = kind == "gru" && t.intAttr("linear_before_reset", 0) == 0;
  r.gates = kind == "lstm" ? 4 : kind == "gru" ? 3 : 1;
  const Tensor &W = t.constantInput(1, "W"), &R = t.constantInput(2, "R");
  r.N = x.dims[r.batchAxis];
  r.T = x.dims[1 - r.batchAxis];
  r.I = x.dims[2];
  int64_t H = r.H, G = r.gates, dirs = r.dirs;
  if (H < 1 || H > (int64_t(1) << 20))
    t.fail("hidden_size " + std::to_string(H) + " is out of range");
  if (W.dims != std::vector<int64_t>{dirs, G * H, r.I} ||
      R.dims != std::vector<int64_t>{dirs, G * H, H})
    t.fail("W or R does not have the shape of hidden_size " + std::to_string(H));
  const Tensor *B = t.hasInput(3) ? &t.constantInput(3, "B") : nullptr;
  if (B && B->count() != dirs * 2 * G * H)
    t.fail("B has " + std::to_string(B->count()) + " values, not " +
           std::to_string(dirs * 2 * G * H));
  const Tensor *P = kind == "lstm" && t.hasInput(7) ? &t.constantInput(7, "P") : nullptr;
  if (P && P->count() != dirs * 3 * H)
    t.fail("P has " + std::to_string(P->count()) + " values, not " + std::to_string(dirs * 3 * H));
  // ONNX's gate order -> PyTorch's: LSTM i o f c -> i f g o; GRU z r h -> r z n.
  std::vector<int> order = kind == "lstm" ? std::vector<int>{0, 2, 3, 1}
                         : kind == "gru"  ? std::vector<int>{1, 0, 2}
                                          : std::vector<int>{0};
  auto reorder = [&](const std::vector<double> &v, int64_t offset, int64_t cols) {
    std::vector<double> out;
    for (int g : order)
      out.insert(out.end(), v.begin() + offset + g * H * cols, v.begin() + offset + (g + 1) * H * cols);
    return out;
  };
  std::vector<double> zero(static_cast<size_t>(dirs * 2 * G * H), 0.0);
  const std::vector<double> &b = B ? B->values : zero;
  for (int64_t d = 0; d < dirs; ++d) {
    r.wih.push_back(reorder(W.values, d * G * H * r.I, r.I));
    r.whh.push_back(reorder(R.values, d * G * H * H, H));
    r.bih.push_back(reorder(b, d * 2 * G * H, 1));
    r.bhh.push_back(reorder(b, d * 2 * G * H + G * H, 1));
    if (P)
      r.peep.emplace_back(P->values.begin() + d * 3 * H, P->values.begin() + (d + 1) * 3 * H);
  }
  // Initial states [dirs, N, H] (layout 0) or [N, dirs, H].
  for (int i : {5, 6}) {
    if (!t.hasInput(i) || (t.input(i).fill && *t.input(i).fill == 0.0))
      continue; // zeros, the layer's default
    if (i == 6 && kind != "lstm")
      break;
    Value &s = t.input(i);
    const char *what = i == 5 ? "initial_h" : "initial_c";
    std::vector<int64_t> want = r.layout == 0 ? std::vector<int64_t>{dirs, r.N, H}
                                              : std::vector<int64_t>{r.N, dirs, H};
    if (s.dims != want || s.batched != x.batched || (s.batched && s.batchAxis != r.batchAxis))
      t.fail(std::string(what) + " must be " + dimsText(want) +
             (x.batched ? " with the batch of X" : "") + ", not " + dimsText(s.dims));
    std::string e = t.onnxOrder(s);
    if (r.inner && r.layout == 1)
      e = "transpose(" + e + ", [1, 0, 2])";
    (i == 5 ? r.h0 : r.c0) = e;
  }
  r.name = t.layerName(t.input(1).initializer, "");
  return r;
}

/// Expressions of what the outputs are made of: every step's hidden states
/// `seq`, per sample [T, dirs * H] or [N, T, dirs * H] with the batch
/// inside, and the final hidden and cell states [dirs * H] or [N, dirs * H].
struct RecurrentStates {
  std::string seq, h, c;
};

/// The language's rnn/lstm/gru layer, for a node it computes exactly.
RecurrentStates layerStates(T &t, const RecurrentNode &r) {
  int64_t H = r.H, G = r.gates;
  for (int64_t d = 0; d < r.dirs; ++d) {
    std::string suffix = std::string("_l0") + (d ? "_reverse" : "");
    t.addWeight(r.name + ".weight_ih" + suffix, {G * H, r.I}, r.wih[d]);
    t.addWeight(r.name + ".weight_hh" + suffix, {G * H, H}, r.whh[d]);
    t.addWeight(r.name + ".bias_ih" + suffix, {G * H}, r.bih[d]);
    t.addWeight(r.name + ".bias_hh" + suffix, {G * H}, r.bhh[d]);
  }
  std::string xe = t.onnxOrder(t.input(0)); // per sample [T, I], or [T, N, I] / [N, T, I] inside
  if (r.inner && r.layout == 0)
    xe = "transpose(" + xe + ", [1, 0, 2])";
  std::string args = std::to_string(H) + (r.dirs == 2 ? ", bidirectional: true" : "") +
                     (r.relu ? ", nonlinearity: relu" : "") +
                     (r.resetBefore ? ", reset_after: false" : "") +
                     (r.h0.empty() ? "" : ", h0: " + r.h0) + (r.c0.empty() ? "" : ", c0: " + r.c0) +
                     ", name: \"" + r.name + "\"";
  RecurrentStates s;
  s.seq = t.temporary(firstOutput(t.node()) + "_seq", r.kind + "(" + xe + ", " + args + ")");
  // The forward direction is final after the last step, the reverse after the first.
  std::string lead = r.inner ? ":, " : "";
  s.h = s.seq + "[" + lead + std::to_string(r.T - 1) + ", 0:" + std::to_string(H) + "]";
  if (r.dirs == 2)
    s.h = "concat(" + s.h + ", " + s.seq + "[" + lead + "0, " + std::to_string(H) + ":" +
          std::to_string(2 * H) + "]" + (r.inner ? ", axis: 1" : "") + ")";
  return s;
}

/// The cell of one direction as a def: the carry `s` is h (LSTM: h and c
/// side by side), `x` the step's input projection (+ bias_ih), followed by
/// the step's mask when the sequences have lengths: a step past a length
/// keeps the carry.
std::string cellFunction(T &t, const RecurrentNode &r, int64_t dir, const std::string &whh,
                         const std::string &bhh, const std::string &peep, bool masked) {
  int32_t type = t.input(0).elemType;
  const std::vector<RecurrentActivation> &act = r.acts[static_cast<size_t>(dir)];
  auto f = [&](size_t k, const std::string &x) { return activate(act[k], x, r.clip, type); };
  std::string L = r.inner ? ":, " : "";
  auto cols = [&](int64_t from, int64_t to) {
    return "[" + L + std::to_string(from * r.H) + ":" + std::to_string(to * r.H) + "]";
  };
  auto rows = [&](int64_t from, int64_t to) {
    return "[" + std::to_string(from * r.H) + ":" + std::to_string(to * r.H) + "]";
  };
  std::string hp = " @ transpose(" + whh + ", [1, 0]) + " + bhh;
  std::string x = masked ? "x" + cols(0, r.gates) : "x";
  std::vector<std::string> lines;
  std::string next;
  if (r.kind == "lstm") { // ONNX's equations; gates i, f, g, o; peepholes i, o, f
    auto p = [&](int64_t k, const std::string &c) {
      return peep.empty() ? std::string() : " + " + peep + rows(k, k + 1) + " * " + c;
    };
    lines = {"h = s" + cols(0, 1), "c = s" + cols(1, 2), "g = " + x + " + h" + hp,
             "i = " + f(0, "g" + cols(0, 1) + p(0, "c")),
             // input_forget couples the gates, after the activation (onnxruntime's cell)
             r.inputForget ? "f = 1 - i" : "f = " + f(0, "g" + cols(1, 2) + p(2, "c")),
             "c2 = f * c + i * " + f(1, "g" + cols(2, 3)),
             "o = " + f(0, "g" + cols(3, 4) + p(1, "c2"))};
    // h's input, the cell state, is not clipped: onnxruntime's cell (checked
    // against it with clip 0.5 and 0.7 in recurrent_cells_ort.test).
    next = "concat(o * " + activate(act[2], "c2", 0, type) + ", c2, axis: -1)";
  } else if (r.kind == "gru") { // gates r, z, n; ATen's cell, or reset before
    lines = {"xg = " + x, "hg = s" + hp, "r = " + f(0, "xg" + cols(0, 1) + " + hg" + cols(0, 1)),
             "z = " + f(0, "xg" + cols(1, 2) + " + hg" + cols(1, 2)),
             "n = " + f(1, r.resetBefore ? "xg" + cols(2, 3) + " + (r * s) @ transpose(" + whh +
                                               rows(2, 3) + ", [1, 0]) + " + bhh + rows(2, 3)
                                         : "xg" + cols(2, 3) + " + r * hg" + cols(2, 3))};
    next = "(s - n) * z + n";
  } else {
    next = f(0, x + " + s" + hp);
  }
  std::string result = next;
  if (masked) {
    lines.push_back("s2 = " + next);
    lines.push_back("m = x[" + L + std::to_string(r.gates * r.H) + ":" +
                    std::to_string(r.gates * r.H + 1) + "]");
    result = "s2 * m + s * (1 - m)";
  }
  return t.function(firstOutput(t.node()) + "_cell", "s, x", lines, result);
}

/// 1 where step t < sequence_lens[n], else 0, in X's type: [T, 1] per
/// sample or [T, N, 1] with the batch inside; empty without lengths.
std::string sequenceMask(T &t, const RecurrentNode &r) {
  if (!t.hasInput(4))
    return "";
  Value &len = t.input(4);
  if (len.dims != std::vector<int64_t>{r.N} || len.batched == r.inner || len.indices)
    t.fail("sequence_lens must be numbers [" + std::to_string(r.N) + "]" +
           (r.inner ? "" : " fed with the batch of X") + ", not " + dimsText(len.dims));
  std::string steps, e = t.onnxOrder(len);
  for (int64_t k = 0; k < r.T; ++k)
    steps += (k ? ", " : "") + (r.inner ? "[" + std::to_string(k) + "]" : std::to_string(k));
  std::string type = T::nnType(t.input(0).elemType, {});
  if (r.inner)
    return t.temporary(firstOutput(t.node()) + "_mask",
                       "reshape(cast(reshape(" + e + ", " + list({1, r.N}) + ") > [" + steps +
                           "], " + type + "), " + list({r.T, r.N, 1}) + ")");
  return t.temporary(firstOutput(t.node()) + "_mask",
                     "reshape(cast(" + e + " > [" + steps + "], " + type + "), " + list({r.T, 1}) + ")");
}

/// The node's cells written out, one scan per direction, for what the
/// layer does not compute: peepholes, sequence lengths, a reverse-only
/// direction, the final cell state.
RecurrentStates cellStates(T &t, const RecurrentNode &r) {
  Value &x = t.input(0);
  std::string out = firstOutput(t.node());
  std::string xe = t.onnxOrder(x); // per sample [T, I], or [T, N, I] / [N, T, I] inside
  if (r.inner && r.layout == 1)
    xe = "transpose(" + xe + ", [1, 0, 2])"; // steps first
  std::string mask = sequenceMask(t, r);
  int64_t H = r.H, G = r.gates;
  std::string L = r.inner ? ":, " : "", hCols = "0:" + std::to_string(H);
  Value zero; // the initial state's default
  zero.elemType = x.elemType;
  zero.dims = r.inner ? std::vector<int64_t>{r.N, H} : std::vector<int64_t>{H};
  zero.constant = Tensor{x.elemType, zero.dims, std::vector<double>(size_t(r.inner ? r.N * H : H))};
  std::vector<std::string> ys, hs, cs;
  for (int64_t d = 0; d < r.dirs; ++d) {
    bool back = r.reverse || d == 1;
    std::string suffix = std::string("_l0") + (back ? "_reverse" : "");
    auto param = [&](const std::string &what, std::vector<int64_t> dims,
                     const std::vector<double> &v) {
      return t.declareParam(r.name + "." + what + suffix, Tensor{x.elemType, dims, v}, true);
    };
    std::string wih = param("weight_ih", {G * H, r.I}, r.wih[d]);
    std::string whh = param("weight_hh", {G * H, H}, r.whh[d]);
    std::string bih = param("bias_ih", {G * H}, r.bih[d]);
    std::string bhh = param("bias_hh", {G * H}, r.bhh[d]);
    std::string peep = r.peep.empty() ? "" : param("weight_peephole", {3 * H}, r.peep[d]);
    std::string xs = xe + " @ transpose(" + wih + ", [1, 0]) + " + bih;
    if (!mask.empty())
      xs = "concat(" + xs + ", " + mask + ", axis: -1)";
    xs = t.temporary(out + "_x" + suffix, xs);
    auto initial = [&](const std::string &e) {
      return e.empty() ? t.onnxOrder(zero) : e + "[" + std::to_string(d) + "]";
    };
    std::string init = r.kind == "lstm"
                           ? "concat(" + initial(r.h0) + ", " + initial(r.c0) + ", axis: -1)"
                           : initial(r.h0);
    std::string cell = cellFunction(t, r, d, whh, bhh, peep, !mask.empty());
    std::string states = t.temporary(out + "_states" + suffix,
                                     "scan(" + cell + ", " + xs + ", " + init +
                                         (back ? ", reverse: true" : "") + ")");
    ys.push_back(states + "[:, " + L + hCols + "]" + (mask.empty() ? "" : " * " + mask));
    std::string last = "[" + std::to_string(back ? 0 : r.T - 1) + ", " + L;
    hs.push_back(states + last + hCols + "]");
    cs.push_back(states + last + std::to_string(H) + ":" + std::to_string(2 * H) + "]");
  }
  auto join = [&](const std::vector<std::string> &parts) {
    return parts.size() == 1 ? parts[0] : "concat(" + parts[0] + ", " + parts[1] + ", axis: -1)";
  };
  RecurrentStates s;
  s.seq = join(ys);
  if (r.inner)
    s.seq = "transpose(" + s.seq + ", [1, 0, 2])"; // [N, T, dirs * H], as the layer's
  s.h = join(hs);
  s.c = join(cs);
  return s;
}

/// Y [T, dirs, N, H] (layout 0) or [N, T, dirs, H], and Y_h, Y_c [dirs, N, H]
/// or [N, dirs, H] from the states.
void defineRecurrentOutputs(T &t, const RecurrentNode &r, const RecurrentStates &s) {
  int32_t type = t.input(0).elemType;
  int64_t T = r.T, N = r.N, dirs = r.dirs, H = r.H;
  if (t.outputUsed(0)) {
    // per sample [T, dirs, H]
    std::vector<int64_t> ydims = r.layout == 0 ? std::vector<int64_t>{T, dirs, N, H}
                                               : std::vector<int64_t>{N, T, dirs, H};
    if (!r.inner)
      t.define(0, "reshape(" + s.seq + ", " + list({T, dirs, H}) + ")", ydims, type, true, {},
               r.batchAxis == 1 ? 2 : 0);
    else if (r.layout == 1)
      t.define(0, "reshape(" + s.seq + ", " + list(ydims) + ")", ydims, type, false);
    else
      t.define(0, "transpose(reshape(" + s.seq + ", " + list({N, T, dirs, H}) + "), [1, 2, 0, 3])",
               ydims, type, false);
  }
  std::vector<int64_t> hdims = r.layout == 0 ? std::vector<int64_t>{dirs, N, H}
                                             : std::vector<int64_t>{N, dirs, H};
  for (int i : {1, 2}) {
    if (!t.outputUsed(i) || (i == 2 && r.kind != "lstm"))
      continue;
    const std::string &h = i == 1 ? s.h : s.c;
    if (!r.inner)
      t.define(i, "reshape(" + h + ", " + list({dirs, H}) + ")", hdims, type, true, {}, r.batchAxis);
    else if (r.layout == 1)
      t.define(i, "reshape(" + h + ", " + list(hdims) + ")", hdims, type, false);
    else
      t.define(i, "transpose(reshape(" + h + ", " + list({N, dirs, H}) + "), [1, 0, 2])", hdims,
               type, false);
  }
}

/// LSTM, GRU and RNN: one rnn/lstm/gru layer of the language (one ONNX node
/// is one layer, maybe bidirectional), or its cells as scans where the
/// layer lacks what the node asks for. The sequences' batch (axis 1 of X,
/// axis 0 with layout 1) is nnc's batch, or, when the whole tensor is the
/// sample, a batch inside it: the layer then takes [N, T, I] per sample.
void recurrent(T &t, const std::string &kind) {
  RecurrentNode r = readRecurrent(t, kind);
  bool cells = r.reverse || t.hasInput(4) || !r.peep.empty() || !r.layerFits ||
               (kind == "lstm" && t.outputUsed(2));
  defineRecurrentOutputs(t, r, cells ? cellStates(t, r) : layerStates(t, r));
}

using Translate = std::function<void(T &)>;

const std::map<std::string, Translate> &ops() {
  static const std::map<std::string, Translate> table = {
      {"Add", [](T &t) { binary(t, "+"); }},
      {"Sub", [](T &t) { binary(t, "-"); }},
      {"Mul", [](T &t) { binary(t, "*"); }},
      {"Div", [](T &t) { binary(t, "/"); }},
      {"Pow", pow},
      {"Max", [](T &t) { variadic(t, "max"); }},
      {"Min", [](T &t) { variadic(t, "min"); }},
      {"Sum", [](T &t) { variadic(t, "+"); }},
      {"Relu", [](T &t) { unary(t, [](auto x) { return call("relu", x); }); }},
      {"Sigmoid", [](T &t) { unary(t, [](auto x) { return call("sigmoid", x); }); }},
      {"Tanh", [](T &t) { unary(t, [](auto x) { return call("tanh", x); }); }},
      {"Exp", [](T &t) { unary(t, [](auto x) { return call("exp", x); }); }},
      {"Log", [](T &t) { unary(t, [](auto x) { return call("log", x); }); }},
      {"Sqrt", [](T &t) { unary(t, [](auto x) { return call("sqrt", x); }); }},
      {"Abs", [](T &t) { unary(t, [](auto x) { return call("abs", x); }); }},
      {"Erf", [](T &t) { unary(t, [](auto x) { return call("erf", x); }); }},
      {"Sin", [](T &t) { unary(t, [](auto x) { return call("sin", x); }); }},
      {"Cos", [](T &t) { unary(t, [](auto x) { return call("cos", x); }); }},
      {"Tan", [](T &t) { unary(t, [](auto x) { return call("tan", x); }); }},
      {"Asin", [](T &t) { unary(t, [](auto x) { return call("asin", x); }); }},
      {"Acos", [](T &t) { unary(t, [](auto x) { return call("acos", x); }); }},
      {"Atan", [](T &t) { unary(t, [](auto x) { return call("atan", x); }); }},
      {"Sinh", [](T &t) { unary(t, [](auto x) { return call("sinh", x); }); }},
      {"Cosh", [](T &t) { unary(t, [](auto x) { return call("cosh", x); }); }},
      {"Asinh", [](T &t) { unary(t, [](auto x) { return call("asinh", x); }); }},
      {"Acosh", [](T &t) { unary(t, [](auto x) { return call("acosh", x); }); }},
      {"Atanh", [](T &t) { unary(t, [](auto x) { return call("atanh", x); }); }},
      {"Neg", [](T &t) { unary(t, [](auto x) { return "-" + x; }); }},
      {"Reciprocal", [](T &t) { unary(t, [](auto x) { return "1 / " + x; }); }},
      {"Softsign", [](T &t) { unary(t, [](auto x) { return call("softsign", x); }); }},
      {"Softplus", [](T &t) { unary(t, [](auto x) { return call("softplus", x); }); }},
      {"LeakyRelu", [](T &t) {
         std::string a = T::number(t.floatAttr("alpha", 0.01), t.input(0).elemType);
         unary(t, [&](auto x) { return call("leaky_relu", x, a); });
       }},
      {"Elu", [](T &t) {
         std::string a = T::number(t.floatAttr("alpha", 1.0), t.input(0).elemType);
         unary(t, [&](auto x) { return call("elu", x, a); });
       }},
      {"Selu", [](T &t) {
         double alpha = t.floatAttr("alpha", 1.67326319217681884765625);
         double gamma = t.floatAttr("gamma", 1.05070102214813232421875);
         int32_t type = t.input(0).elemType;
         if (std::fabs(alpha - 1.6732632423543772) < 1e-6 && std::fabs(gamma - 1.0507009873554805) < 1e-6)
           unary(t, [](auto x) { return call("selu", x); });
         else
           unary(t, [&](auto x) {
             return T::number(gamma, type) + " * elu(" + x + ", " + T::number(alpha, type) + ")";
           });
       }},
      {"HardSigmoid", [](T &t) {
         std::string a = T::number(t.floatAttr("alpha", 0.2), t.input(0).elemType);
         std::string b = T::number(t.floatAttr("beta", 0.5), t.input(0).elemType);
         unary(t, [&](auto x) { return "clamp(" + a + " * " + x + " + " + b + ", min: 0, max: 1)"; });
       }},
      {"HardSwish", [](T &t) { unary(t, [](auto x) { return call("hardswish", x); }); }},
      {"Identity", identity},
      {"Shape", shape},
      {"Gather", gather},
      {"Pad", pad},
      {"Slice", slice},
      {"Dropout", dropout},
      {"Cast", [](T &t) { cast(t, false); }},
      {"CastLike", [](T &t) { cast(t, true); }},
      {"Constant", constant},
      {"Clip", clip},
      {"Gemm", gemm},
      {"MatMul", matmul},
      {"Conv", conv},
      {"ConvTranspose", convTranspose},
      {"Resize", resize},
      {"Upsample", resize},
      {"MaxPool", [](T &t) { pool(t, true); }},
      {"AveragePool", [](T &t) { pool(t, false); }},
      {"GlobalAveragePool", [](T &t) { globalPool(t, false); }},
      {"GlobalMaxPool", [](T &t) { globalPool(t, true); }},
      {"BatchNormalization", batchNorm},
      {"Softmax", [](T &t) { softmax(t, "softmax"); }},
      {"LogSoftmax", [](T &t) { softmax(t, "log_softmax"); }},
      {"Flatten", flatten},
      {"Reshape", reshape},
      {"Transpose", transpose},
      {"Concat", concat},
      {"Squeeze", [](T &t) { squeezeLike(t, true); }},
      {"Unsqueeze", [](T &t) { squeezeLike(t, false); }},
      {"ReduceSum", [](T &t) { reduce(t, "sum"); }},
      {"ReduceMean", [](T &t) { reduce(t, "mean"); }},
      {"ReduceMax", [](T &t) { reduce(t, "max"); }},
      {"ReduceMin", [](T &t) { reduce(t, "min"); }},
      {"ReduceSumSquare", [](T &t) { reduce(t, "sum_square"); }},
      {"ReduceL1", [](T &t) { reduce(t, "l1"); }},
      {"ReduceL2", [](T &t) { reduce(t, "l2"); }},
      {"ReduceLogSum", [](T &t) { reduce(t, "log_sum"); }},
      {"ReduceLogSumExp", [](T &t) { reduce(t, "log_sum_exp"); }},
      {"Mean", [](T &t) { variadic(t, "mean"); }},
      {"Greater", [](T &t) { compare(t, ">"); }},
      {"Less", [](T &t) { compare(t, "<"); }},
      {"GreaterOrEqual", [](T &t) { compare(t, ">="); }},
      {"LessOrEqual", [](T &t) { compare(t, "<="); }},
      {"Equal", [](T &t) { compare(t, "=="); }},
      {"Where", whereOp},
      {"Not", [](T &t) { logical(t, "not"); }},
      {"And", [](T &t) { logical(t, "*"); }},
      {"Or", [](T &t) { logical(t, "max"); }},
      {"Xor", [](T &t) { logical(t, "!="); }},
      {"IsNaN", isNaN},
      {"IsInf", isInf},
      {"Trilu", trilu},
      {"Einsum", einsum},
      {"HannWindow", [](T &t) { window(t, "hann"); }},
      {"HammingWindow", [](T &t) { window(t, "hamming"); }},
      {"BlackmanWindow", [](T &t) { window(t, "blackman"); }},
      {"Range", range},
      {"OneHot", oneHot},
      {"GridSample", gridSample},
      {"TopK", topK},
      {"GatherElements", gatherElements},
      {"ScatterElements", scatterElements},
      {"GatherND", gatherND},
      {"Compress", compress},
      {"Det", det},
      {"DFT", dft},
      {"STFT", stft},
      {"MelWeightMatrix", melWeightMatrix},
      {"If", ifOp},
      {"Loop", loop},
      {"ScatterND", scatterND},
      {"ReverseSequence", reverseSequence},
      {"Scatter", scatterElements},
      {"ReduceProd", [](T &t) { reduce(t, "prod"); }},
      {"EyeLike", eyeLike},
      {"LRN", lrn},
      {"MeanVarianceNormalization", meanVarianceNorm},
      {"PRelu", prelu},
      {"ThresholdedRelu", [](T &t) {
         std::string a = T::number(t.floatAttr("alpha", 1.0), t.input(0).elemType);
         unary(t, [&](auto x) { return "where(" + x + " > " + a + ", " + x + ", 0)"; });
       }},
      {"Split", split},
      {"Expand", expand},
      {"Tile", tile},
      {"LayerNormalization", layerNorm},
      {"Size", size},
      {"LSTM", [](T &t) { recurrent(t, "lstm"); }},
      {"GRU", [](T &t) { recurrent(t, "gru"); }},
      {"RNN", [](T &t) { recurrent(t, "rnn"); }},
      {"ArgMax", [](T &t) { argReduce(t, "argmax"); }},
      {"ArgMin", [](T &t) { argReduce(t, "argmin"); }},
      {"CumSum", cumsum},
      {"Hardmax", hardmax},
      {"Floor", [](T &t) { unary(t, [](auto x) { return call("floor", x); }); }},
      {"Ceil", [](T &t) { unary(t, [](auto x) { return "-floor(-" + x + ")"; }); }},
      {"Round", [](T &t) { unary(t, [&](auto x) { return roundHalfEven(t, x); }); }},
      {"QuantizeLinear", quantizeLinear},
      {"DequantizeLinear", dequantizeLinear},
      {"DynamicQuantizeLinear", dynamicQuantizeLinear},
      {"MatMulInteger", [](T &t) { integerMatMul(t, false); }},
      {"QLinearMatMul", [](T &t) { integerMatMul(t, true); }},
      {"ConvInteger", [](T &t) { integerConv(t, false); }},
      {"QLinearConv", [](T &t) { integerConv(t, true); }},
      {"Mod", mod},
      {"BitShift", bitShift},
      {"NegativeLogLikelihoodLoss", [](T &t) { classLoss(t, false); }},
      {"SoftmaxCrossEntropyLoss", [](T &t) { classLoss(t, true); }},
      {"DepthToSpace", [](T &t) { depthToSpace(t, true); }},
      {"SpaceToDepth", [](T &t) { depthToSpace(t, false); }},
      {"Sign", [](T &t) { unary(t, [](auto x) { return "where(" + x + " > 0, 1, where(" + x + " < 0, -1, 0))"; }); }},
      {"Shrink", [](T &t) {
         std::string l = T::number(t.floatAttr("lambd", 0.5), t.input(0).elemType);
         std::string b = T::number(t.floatAttr("bias", 0.0), t.input(0).elemType);
         unary(t, [&](auto x) {
           return "where(" + x + " < -" + l + ", " + x + " + " + b + ", where(" + x + " > " + l + ", " +
                  x + " - " + b + ", 0))";
         });
       }},
      {"InstanceNormalization", instanceNorm},
      {"ConstantOfShape", constantOfShape},
      {"Celu", [](T &t) {
         std::string a = T::number(t.floatAttr("alpha", 1.0), t.input(0).elemType);
         unary(t, [&](auto x) { return "relu(" + x + ") + minimum(0, " + a + " * (exp(" + x + " / " + a + ") - 1))"; });
       }},
  };
  return table;
}

} // namespace

bool translateOp(GraphTranslator &t, const std::string &op) {
  auto it = ops().find(op);
  if (it == ops().end())
    return false;
  it->second(t);
  return true;
}

std::vector<std::string> supportedOps() {
  std::vector<std::string> names;
  for (const auto &[name, fn] : ops())
    names.push_back(name);
  return names;
}

} // namespace nnc::onnx_import
