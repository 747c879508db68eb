//===- PerSampleCheck.cpp - does a graph compute every sample on its own? ===//
//
// Each value's samples are followed from the inputs, node by node. A value
// "holds the batch" on one axis: seen as [outer, batch, inner] along that
// axis (the batch folded between other factors, as [T, N * heads, d] is),
// the elements at batch index b are sample b's and depend on sample b's
// input only. An op keeps that when it treats the axis as independent
// entries (elementwise, the batch axes of a MatMul, a transpose, a reshape
// that keeps the factor within one axis) and breaks it when it combines
// entries along it (a reduction, a softmax, MatMul's summed axis, a
// concatenation or slice of it). The shapes of the two translations (batch
// 1 and `batch`) must then agree with the factor: removing it from the big
// one gives the small one, so each sample's slice is what the batch of one
// computes.
//
//===----------------------------------------------------------------------===//
#include "import/PerSampleCheck.h"

#include "import/OnnxModel.h"

#include <algorithm>
#include <set>

namespace nnc::onnx_import {
namespace {

/// Where a value's samples are.
struct Place {
  enum Kind {
    Free,     // the same for every sample and batch size (a weight, a constant)
    Uniform,  // a constant of one number whose shape depends on the batch size
    Size,     // a constant computed from the batch size (a Shape)
    Sampled,  // holds the batch on `axis`
  } kind = Free;
  int axis = 0;
  /// Index i along `axis` belongs to sample (i / inner) % batch.
  int64_t inner = 1;
};

struct Gap {
  std::string why;
};

class Checker {
public:
  Checker(const TranslatedValues &one, const TranslatedValues &many, int64_t batch, int64_t opset)
      : one_(one), many_(many), batch_(batch), opset13_(opset >= 13) {}

  void input(const std::string &name) { places_[name] = Place{Place::Sampled, 0, 1}; }
  void node(const onnx::NodeProto &n);
  Place placeOf(const std::string &name);

private:
  const Value &many(const std::string &name) const;
  const Value &one(const std::string &name) const;
  const std::vector<int64_t> &dims(const std::string &name) const { return many(name).dims; }
  [[noreturn]] void gap(const std::string &why) const {
    throw Gap{n_ ? n_->op_type() + " node " + nodeLabel(*n_) + " " + why : why};
  }
  int64_t intAttr(const std::string &name, int64_t fallback) const;
  /// Integers given as attribute `name` (older opsets) or input `i` (a constant).
  std::vector<int64_t> ints(const std::string &name, int i) const;
  int axisOf(int64_t a, size_t rank) const;

  std::vector<Place> outputs();
  Place broadcast(const std::vector<int> &data);
  Place refold(const Place &p, const std::vector<int64_t> &in, const std::vector<int64_t> &out);
  Place matmul();
  /// The data input 0's place, when the op combines entries along `axes`.
  Place across(const std::set<int> &axes, bool keepsRank);
  Place gather();
  /// An image op (Conv, pooling, batch norm): the batch on axis 0 only.
  Place image();
  std::vector<Place> recurrent();
  void consistent(const std::string &name, const Place &p) const;

  const TranslatedValues &one_, &many_;
  int64_t batch_;
  bool opset13_; // Softmax over one axis (before 13: coerced to 2-D)
  const onnx::NodeProto *n_ = nullptr;
  std::map<std::string, Place> places_;
};

const Value &Checker::many(const std::string &name) const {
  auto it = many_.find(name);
  if (it == many_.end() || one_.find(name) == one_.end())
    gap("uses '" + name + "', which the translation did not compute");
  return it->second;
}

const Value &Checker::one(const std::string &name) const {
  many(name);
  return one_.at(name);
}

int64_t Checker::intAttr(const std::string &name, int64_t fallback) const {
  for (const auto &a : n_->attribute())
    if (a.name() == name)
      return a.i();
  return fallback;
}

std::vector<int64_t> Checker::ints(const std::string &name, int i) const {
  for (const auto &a : n_->attribute())
    if (a.name() == name)
      return {a.ints().begin(), a.ints().end()};
  if (i < n_->input_size() && !n_->input(i).empty()) {
    const Value &v = one(n_->input(i));
    if (!v.constant)
      gap("takes its " + name + " from a value that is not a constant");
    std::vector<int64_t> out;
    for (double x : v.constant->values)
      out.push_back(static_cast<int64_t>(x));
    return out;
  }
  return {};
}

int Checker::axisOf(int64_t a, size_t rank) const {
  int64_t r = static_cast<int64_t>(rank);
  if (a < -r || a >= r)
    gap("has axis " + std::to_string(a) + " outside its rank");
  return static_cast<int>(a < 0 ? a + r : a);
}

Place Checker::placeOf(const std::string &name) {
  if (auto it = places_.find(name); it != places_.end())
    return it->second;
  const Value &a = one(name), &b = many(name);
  if (!a.constant || !b.constant)
    gap("uses '" + name + "', whose samples the check did not follow");
  // A constant: a weight when both translations have it; else computed
  // from the batch size.
  Place p;
  const Tensor &x = *a.constant, &y = *b.constant;
  auto uniform = [](const Tensor &t) {
    return std::all_of(t.values.begin(), t.values.end(),
                       [&](double v) { return v == t.values.front(); });
  };
  if (x.dims == y.dims && x.values == y.values)
    p.kind = Place::Free;
  else if (!x.values.empty() && !y.values.empty() && uniform(x) && uniform(y) &&
           x.values.front() == y.values.front())
    p.kind = Place::Uniform;
  else
    p.kind = Place::Size;
  places_[name] = p;
  return p;
}

Place Checker::broadcast(const std::vector<int> &data) {
  const std::vector<int64_t> &out = dims(n_->output(0));
  int R = static_cast<int>(out.size());
  Place result;
  bool sampled = false, uniform = false;
  std::vector<int> free;
  for (int i : data) {
    if (i >= n_->input_size() || n_->input(i).empty())
      continue;
    Place p = placeOf(n_->input(i));
    const std::vector<int64_t> &d = dims(n_->input(i));
    int shift = R - static_cast<int>(d.size());
    if (p.kind == Place::Size)
      gap("computes with the batch size as a number");
    if (p.kind == Place::Uniform)
      uniform = true;
    if (p.kind == Place::Free)
      free.push_back(i);
    if (p.kind != Place::Sampled)
      continue;
    int axis = p.axis + shift;
    if (shift < 0 || d[size_t(p.axis)] != out[size_t(axis)])
      gap("broadcasts the axis that holds the batch");
    if (sampled && (result.axis != axis || result.inner != p.inner))
      gap("combines values whose samples lie on different axes");
    result = Place{Place::Sampled, axis, p.inner};
    sampled = true;
  }
  if (!sampled) {
    if (uniform)
      gap("computes with a constant whose shape depends on the batch size");
    return Place{};
  }
  // A weight broadcast along the batch: the same for every sample.
  for (int i : free) {
    const std::vector<int64_t> &d = dims(n_->input(i));
    int k = result.axis - (R - static_cast<int>(d.size()));
    if (k >= 0 && d[size_t(k)] != 1)
      gap("combines the batch with a constant that differs along it");
  }
  return result;
}

Place Checker::refold(const Place &p, const std::vector<int64_t> &in,
                      const std::vector<int64_t> &out) {
  // The batch is the digit of radix `batch` at flat stride s; it must lie
  // within one output axis's digits [stride, stride * size).
  int64_t s = p.inner;
  for (size_t k = size_t(p.axis) + 1; k < in.size(); ++k)
    s *= in[k];
  int64_t stride = 1;
  for (int k = static_cast<int>(out.size()) - 1; k >= 0; --k) {
    int64_t span = stride * out[size_t(k)];
    if (s % stride == 0 && span % (s * batch_) == 0)
      return Place{Place::Sampled, k, s / stride};
    stride = span;
  }
  gap("reshapes the batch across axes");
}

Place Checker::matmul() {
  const std::vector<int64_t> &da = dims(n_->input(0)), &db = dims(n_->input(1));
  const std::vector<int64_t> &out = dims(n_->output(0));
  int R = static_cast<int>(out.size());
  Place pa = placeOf(n_->input(0)), pb = placeOf(n_->input(1));
  for (const Place &p : {pa, pb})
    if (p.kind == Place::Size || p.kind == Place::Uniform)
      gap("multiplies by a constant that depends on the batch size");
  if (pa.kind != Place::Sampled && pb.kind != Place::Sampled)
    return Place{};
  if (da.size() < 2 || db.size() < 2)
    gap("multiplies a vector that holds the batch");
  Place result;
  bool sampled = false;
  auto take = [&](const Place &p, const std::vector<int64_t> &d, bool left) {
    if (p.kind != Place::Sampled)
      return;
    int rank = static_cast<int>(d.size());
    if ((left && p.axis == rank - 1) || (!left && p.axis == rank - 2))
      gap("sums over the axis that holds the batch");
    int axis = left && p.axis == rank - 2    ? R - 2
               : !left && p.axis == rank - 1 ? R - 1
                                             : p.axis + (R - rank);
    if (axis < 0 || axis >= R || (axis < R - 2 && d[size_t(p.axis)] != out[size_t(axis)]))
      gap("broadcasts the axis that holds the batch");
    if (sampled && (result.axis != axis || result.inner != p.inner))
      gap("multiplies values whose samples lie on different axes");
    result = Place{Place::Sampled, axis, p.inner};
    sampled = true;
  };
  take(pa, da, true);
  take(pb, db, false);
  // The other operand, where it does not hold the batch, is the same for
  // every sample along the stacked axes.
  if (result.axis < R - 2)
    for (const auto &[p, d] : {std::pair{pa, da}, std::pair{pb, db}}) {
      int k = result.axis - (R - static_cast<int>(d.size()));
      if (p.kind == Place::Free && k >= 0 && d[size_t(k)] != 1)
        gap("multiplies the batch by a constant that differs along it");
    }
  return result;
}

Place Checker::across(const std::set<int> &axes, bool keepsRank) {
  Place p = placeOf(n_->input(0));
  if (p.kind != Place::Sampled)
    return p.kind == Place::Free ? p : (gap("reduces a constant that depends on the batch size"), p);
  if (axes.count(p.axis))
    gap("combines entries along the axis that holds the batch");
  if (!keepsRank)
    p.axis -= static_cast<int>(std::count_if(axes.begin(), axes.end(),
                                             [&](int a) { return a < p.axis; }));
  return p;
}

Place Checker::gather() {
  Place pd = placeOf(n_->input(0)), pi = placeOf(n_->input(1));
  size_t rank = dims(n_->input(0)).size();
  int g = axisOf(intAttr("axis", 0), rank);
  if (pd.kind == Place::Size || pd.kind == Place::Uniform || pi.kind == Place::Size ||
      pi.kind == Place::Uniform)
    gap("gathers with a constant that depends on the batch size");
  if (pi.kind == Place::Sampled) { // a table looked up per sample
    if (pd.kind != Place::Free)
      gap("gathers per sample from a value that holds the batch");
    return Place{Place::Sampled, g + pi.axis, pi.inner};
  }
  if (pd.kind != Place::Sampled)
    return Place{};
  if (pd.axis == g)
    gap("gathers along the axis that holds the batch");
  int ri = static_cast<int>(dims(n_->input(1)).size());
  return Place{Place::Sampled, pd.axis < g ? pd.axis : pd.axis - 1 + ri, pd.inner};
}

Place Checker::image() {
  Place p = placeOf(n_->input(0));
  for (int i = 1; i < n_->input_size(); ++i)
    if (!n_->input(i).empty() && placeOf(n_->input(i)).kind != Place::Free)
      gap("takes a weight that is not the same for every sample");
  if (p.kind == Place::Sampled && p.axis != 0)
    gap("takes the batch on axis " + std::to_string(p.axis) + ", not the images' axis 0");
  if (p.kind != Place::Sampled && p.kind != Place::Free)
    gap("takes a constant that depends on the batch size");
  return p;
}

std::vector<Place> Checker::recurrent() {
  // X [T, N, I] (layout 1: [N, T, I]); Y [T, D, N, H]; Y_h, Y_c [D, N, H].
  bool batchFirst = intAttr("layout", 0) != 0;
  Place x = placeOf(n_->input(0));
  int want = batchFirst ? 0 : 1;
  if (x.kind != Place::Sampled || x.axis != want)
    gap("takes its sequences with the batch off their batch axis");
  for (int i = 1; i < n_->input_size(); ++i) {
    if (n_->input(i).empty())
      continue;
    Place p = placeOf(n_->input(i));
    bool state = i >= 5; // initial_h, initial_c, P (peepholes are weights)
    if (p.kind == Place::Free && !(i == 4)) // sequence_lens is per sample
      continue;
    if (state && i != 7 && (p.kind == Place::Uniform ||
                            (p.kind == Place::Sampled && p.axis == want && p.inner == x.inner)))
      continue;
    gap("takes a state or sequence lengths that the check cannot follow per sample");
  }
  Place y{Place::Sampled, batchFirst ? 0 : 2, x.inner}, h{Place::Sampled, batchFirst ? 0 : 1, x.inner};
  return {y, h, h};
}

std::vector<Place> Checker::outputs() {
  static const std::set<std::string> elementwise = {
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where", "Equal", "Less",
      "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor", "Not", "Mod", "PRelu",
      "Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Tanh", "Sigmoid", "Relu",
      "LeakyRelu", "Elu", "Selu", "Celu", "Gelu", "Softplus", "Softsign", "HardSigmoid",
      "HardSwish", "Mish", "ThresholdedRelu", "Clip", "Floor", "Ceil", "Round", "Sign", "Sin",
      "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "IsNaN",
      "IsInf", "Shrink", "Cast", "Identity"};
  static const std::set<std::string> refolds = {"Reshape", "Flatten", "Squeeze", "Unsqueeze"};
  static const std::set<std::string> images = {
      "Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool",
      "GlobalMaxPool", "GlobalLpPool", "BatchNormalization", "InstanceNormalization", "LRN"};
  const std::string &op = n_->op_type();
  size_t rank = dims(n_->input(0)).size();
  auto all = [&](Place p) { return std::vector<Place>(size_t(n_->output_size()), p); };
  if (elementwise.count(op)) {
    std::vector<int> data(size_t(n_->input_size()));
    for (size_t i = 0; i < data.size(); ++i)
      data[i] = static_cast<int>(i);
    return all(broadcast(data));
  }
  if (op == "Dropout" || op == "CastLike" || op == "Expand")
    return all(broadcast({0}));
  if (refolds.count(op) || op == "Transpose") {
    Place p = placeOf(n_->input(0));
    if (p.kind != Place::Sampled)
      return all(p.kind == Place::Free ? p : (gap("moves a constant that depends on the batch size"), p));
    if (op != "Transpose")
      return all(refold(p, dims(n_->input(0)), dims(n_->output(0))));
    std::vector<int64_t> perm = ints("perm", 99);
    if (perm.empty())
      for (size_t k = rank; k-- > 0;)
        perm.push_back(static_cast<int64_t>(k));
    auto at = std::find(perm.begin(), perm.end(), p.axis);
    p.axis = static_cast<int>(at - perm.begin());
    return all(p);
  }
  if (op == "MatMul")
    return all(matmul());
  if (op == "Gemm") {
    Place a = placeOf(n_->input(0));
    for (int i = 1; i < n_->input_size(); ++i)
      if (!n_->input(i).empty() && placeOf(n_->input(i)).kind != Place::Free)
        gap("multiplies by a value that is not the same for every sample");
    if (a.kind == Place::Free)
      return all(a);
    if (a.kind != Place::Sampled || a.axis != (intAttr("transA", 0) ? 1 : 0))
      gap("sums over the axis that holds the batch");
    if (n_->input_size() > 2 && !n_->input(2).empty()) {
      const std::vector<int64_t> &c = dims(n_->input(2));
      if (c.size() == 2 && c[0] != 1)
        gap("adds a bias that differs along the batch");
    }
    return all(Place{Place::Sampled, 0, a.inner});
  }
  if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") {
    int a = axisOf(intAttr("axis", opset13_ ? -1 : 1), rank);
    std::set<int> axes = {a};
    if (!opset13_) // coerced to 2-D: every axis from `axis` on
      for (int k = a; k < static_cast<int>(rank); ++k)
        axes.insert(k);
    return all(across(axes, true));
  }
  if (op == "LayerNormalization") {
    std::set<int> axes;
    for (int k = axisOf(intAttr("axis", -1), rank); k < static_cast<int>(rank); ++k)
      axes.insert(k);
    for (int i = 1; i < n_->input_size(); ++i)
      if (!n_->input(i).empty() && placeOf(n_->input(i)).kind != Place::Free)
        gap("takes a scale or bias that is not the same for every sample");
    return all(across(axes, true));
  }
  if (op.rfind("Reduce", 0) == 0 || op == "ArgMax" || op == "ArgMin") {
    std::set<int> axes;
    if (op == "ArgMax" || op == "ArgMin") {
      axes.insert(axisOf(intAttr("axis", 0), rank));
    } else {
      for (int64_t a : ints("axes", 1))
        axes.insert(axisOf(a, rank));
      if (axes.empty() && !intAttr("noop_with_empty_axes", 0))
        for (int k = 0; k < static_cast<int>(rank); ++k)
          axes.insert(k);
    }
    return all(across(axes, intAttr("keepdims", 1) != 0));
  }
  if (op == "CumSum") {
    std::vector<int64_t> a = ints("axis", 1);
    if (a.size() != 1)
      gap("has no constant axis");
    return all(across({axisOf(a[0], rank)}, true));
  }
  if (op == "TopK")
    return all(across({axisOf(intAttr("axis", -1), rank)}, true));
  if (op == "Gather")
    return all(gather());
  if (op == "Slice" || op == "Split" || op == "Tile" || op == "Pad") {
    Place p = placeOf(n_->input(0));
    if (p.kind != Place::Sampled)
      return all(p.kind == Place::Free ? p : (gap("slices a constant that depends on the batch size"), p));
    if (op == "Split" && axisOf(intAttr("axis", 0), rank) == p.axis)
      gap("splits the axis that holds the batch");
    for (int i = 0; i < n_->output_size(); ++i)
      if (dims(n_->output(i))[size_t(p.axis)] != dims(n_->input(0))[size_t(p.axis)])
        gap("cuts or extends the axis that holds the batch");
    if (op == "Slice") { // a step other than 1 (a reversal) reorders the samples
      std::vector<int64_t> axes = ints("axes", 3), steps = ints("steps", 4);
      if (axes.empty()) // the default: axes 0, 1, ... in the order of starts
        for (size_t k = 0; k < steps.size(); ++k)
          axes.push_back(static_cast<int64_t>(k));
      for (size_t k = 0; k < axes.size() && k < steps.size(); ++k)
        if (axisOf(axes[k], rank) == p.axis && steps[k] != 1)
          gap("steps along the axis that holds the batch");
    }
    if (op == "Pad") {
      std::vector<int64_t> pads = ints("pads", 1);
      if (pads.size() == 2 * rank && (pads[size_t(p.axis)] != 0 || pads[rank + size_t(p.axis)] != 0))
        gap("pads the axis that holds the batch");
    }
    return all(p);
  }
  if (op == "Concat") {
    int a = axisOf(intAttr("axis", 0), rank);
    Place first = placeOf(n_->input(0));
    for (int i = 0; i < n_->input_size(); ++i) {
      Place p = placeOf(n_->input(i));
      if (first.kind == Place::Free && p.kind == Place::Free)
        continue;
      if (p.kind != Place::Sampled || p.axis != first.axis || p.inner != first.inner)
        gap("joins values that do not all hold the batch on the same axis");
    }
    if (first.kind == Place::Sampled && first.axis == a)
      gap("joins along the axis that holds the batch");
    return all(first);
  }
  if (op == "BatchNormalization" && intAttr("training_mode", 0))
    gap("normalizes with the batch's statistics");
  if (op == "MaxPool" && n_->output_size() > 1 && !n_->output(1).empty())
    gap("gives indices into the whole tensor, which count the samples before");
  if (images.count(op))
    return all(image());
  if (op == "LSTM" || op == "GRU" || op == "RNN")
    return recurrent();
  gap("is an op whose treatment of samples the check does not know");
}

void Checker::consistent(const std::string &name, const Place &p) const {
  const std::vector<int64_t> &small = one(name).dims, &big = many(name).dims;
  bool ok = small.size() == big.size() &&
            (p.kind != Place::Sampled || (p.axis >= 0 && size_t(p.axis) < big.size() && p.inner > 0));
  for (size_t k = 0; ok && k < big.size(); ++k) {
    if (p.kind == Place::Sampled && static_cast<int>(k) == p.axis)
      ok = big[k] == small[k] * batch_ && small[k] % p.inner == 0;
    else
      ok = big[k] == small[k];
  }
  if (!ok)
    gap("gives '" + name + "' shapes " + dimsText(small) + " and " + dimsText(big) +
        " for batches of 1 and " + std::to_string(batch_) + ", which do not match sample by sample");
}

void Checker::node(const onnx::NodeProto &n) {
  n_ = &n;
  // Nodes folded at import time: their outputs are constants (placeOf).
  bool folded = true;
  for (const auto &o : n.output())
    if (!o.empty() && one_.count(o) && many_.count(o) &&
        !(one_.at(o).constant && many_.at(o).constant))
      folded = false;
  if (folded)
    return;
  if (n.input_size() == 0 || n.input(0).empty())
    gap("has no first input");
  std::vector<Place> places = outputs();
  for (int i = 0; i < n.output_size() && size_t(i) < places.size(); ++i) {
    const std::string &o = n.output(i);
    if (o.empty() || !one_.count(o) || !many_.count(o))
      continue;
    consistent(o, places[size_t(i)]);
    places_[o] = places[size_t(i)];
  }
}

} // namespace

std::string perSampleGap(const onnx::GraphProto &g, const TranslatedValues &one,
                         const TranslatedValues &many, int64_t batch, int64_t opset) {
  Checker c(one, many, batch, opset);
  try {
    std::set<std::string> initializers;
    for (const auto &t : g.initializer())
      initializers.insert(t.name());
    for (const auto &in : g.input())
      if (!initializers.count(in.name()))
        c.input(in.name());
    for (const auto &n : g.node())
      c.node(n);
    for (const auto &o : g.output()) {
      Place p = c.placeOf(o.name());
      if (p.kind != Place::Sampled || p.axis != 0 || p.inner != 1)
        return "graph output '" + o.name() + "' does not hold one sample per entry of axis 0";
    }
  } catch (const Gap &gap) {
    return gap.why;
  }
  return "";
}

} // namespace nnc::onnx_import
