//===- Importer.cpp - an ONNX graph as an nnc model -----------------------===//
//
// One pass over the nodes in their (checked) topological order. Each ONNX
// value becomes a named .nn value; OnnxOps.cpp says what each op becomes.
// Axis 0 is taken as the batch first; when a node mixes samples along it
// (NotPerSample), the translation starts again with every tensor as one
// sample.
//
//===----------------------------------------------------------------------===//
#include "import/GraphTranslator.h"
#include "import/PerSampleCheck.h"
#include "support/Identifiers.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <regex>

namespace nnc::onnx_import {

bool isFloat(int32_t t) {
  return t == onnx::TensorProto_DataType_FLOAT || t == onnx::TensorProto_DataType_DOUBLE;
}

bool isInteger(int32_t t) {
  switch (t) {
  case onnx::TensorProto_DataType_INT8: case onnx::TensorProto_DataType_INT16:
  case onnx::TensorProto_DataType_INT32: case onnx::TensorProto_DataType_INT64:
  case onnx::TensorProto_DataType_UINT8: case onnx::TensorProto_DataType_UINT16:
  case onnx::TensorProto_DataType_UINT32: case onnx::TensorProto_DataType_UINT64:
    return true;
  default:
    return false;
  }
}

Storage storageOf(int32_t t) {
  switch (t) {
  case onnx::TensorProto_DataType_BOOL: return Storage::Bool;
  case onnx::TensorProto_DataType_INT8: return Storage::I8;
  case onnx::TensorProto_DataType_INT16: return Storage::I16;
  case onnx::TensorProto_DataType_INT32: return Storage::I32;
  case onnx::TensorProto_DataType_INT64: return Storage::I64;
  case onnx::TensorProto_DataType_UINT8: return Storage::U8;
  case onnx::TensorProto_DataType_UINT16: return Storage::U16;
  case onnx::TensorProto_DataType_UINT32: return Storage::U32;
  case onnx::TensorProto_DataType_UINT64: return Storage::U64;
  case onnx::TensorProto_DataType_FLOAT16: return Storage::F16;
  default: return Storage::Float;
  }
}

// --- the translation ----------------------------------------------------------

std::string GraphTranslator::freshId(const std::string &onnxName) {
  // PyTorch names values by module path: /layer1/conv1/Conv_output_0 reads
  // as layer1_conv1_Conv.
  std::string name = onnxName;
  if (name.size() > 1 && name[0] == '/')
    name = name.substr(1);
  const std::string suffix = "_output_0";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name = name.substr(0, name.size() - suffix.size());
  else if (size_t at = name.find(suffix + "_"); at != std::string::npos) // an intermediate's base
    name.erase(at, suffix.size());
  std::string base = identifierFor(name);
  if (base.size() > 120)
    base = base.substr(0, 120);
  std::string id = base;
  for (int k = 2; ids_.count(id); ++k)
    id = base + "_" + std::to_string(k);
  ids_.insert(id);
  return id;
}

void GraphTranslator::fail(const std::string &message) const {
  std::string where;
  if (node_) {
    where = node_->op_type() + " node " + nodeLabel(*node_) + " (opset " + std::to_string(opset_) + "): ";
  }
  throw ImportError{where + message};
}

void GraphTranslator::notPerSample(const std::string &why) const {
  if (!batchMode_) // whole tensors as samples: the op needs a batch axis
    fail("nnc imports it only when axis 0 of the model's inputs is a batch (here: it " + why + ")");
  std::string where = node_ ? node_->op_type() + " node '" +
                                  (node_->name().empty() ? firstOutput(*node_) : node_->name()) + "'"
                            : "the graph";
  throw NotPerSample{where + " " + why};
}

int64_t GraphTranslator::axis(int64_t a, int rank) const {
  if (a < -rank || a >= rank)
    fail("axis " + std::to_string(a) + " is out of range for a tensor of rank " +
         std::to_string(rank));
  return a < 0 ? a + rank : a;
}

int GraphTranslator::inputCount() const { return node_->input_size(); }

bool GraphTranslator::hasInput(int i) const {
  return i < node_->input_size() && !node_->input(i).empty();
}

Value &GraphTranslator::input(int i) {
  if (!hasInput(i))
    fail("input " + std::to_string(i) + " is missing");
  auto it = values_.find(node_->input(i));
  if (it == values_.end())
    fail("input '" + node_->input(i) + "' is not defined before the node");
  return it->second;
}

/// The hint for a graph input whose value the importer needs.
static std::string freezeHint(const onnx::ModelProto &model, const std::string &name) {
  for (const auto &in : model.graph().input())
    if (in.name() == name)
      return "; to import it with a fixed value, give --freeze " + name + "=FILE";
  return "";
}

const Tensor &GraphTranslator::constantInput(int i, const std::string &what) {
  Value &v = input(i);
  if (!v.constant)
    fail(what + " ('" + node_->input(i) + "') must be a constant (an initializer or a Constant "
         "node); nnc does not take it as a computed tensor" + freezeHint(model_, node_->input(i)));
  return *v.constant;
}

bool GraphTranslator::outputUsed(int i) const {
  if (i >= node_->output_size() || node_->output(i).empty())
    return false;
  auto it = uses_.find(node_->output(i));
  return it != uses_.end() && it->second > 0;
}

const onnx::AttributeProto *GraphTranslator::attr(const std::string &name) const {
  for (const auto &a : node_->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

bool GraphTranslator::hasAttr(const std::string &name) const { return attr(name) != nullptr; }

int64_t GraphTranslator::intAttr(const std::string &name, int64_t fallback) const {
  const auto *a = attr(name);
  return a ? a->i() : fallback;
}

double GraphTranslator::floatAttr(const std::string &name, double fallback) const {
  const auto *a = attr(name);
  return a ? a->f() : fallback;
}

std::string GraphTranslator::stringAttr(const std::string &name, const std::string &fallback) const {
  const auto *a = attr(name);
  return a ? a->s() : fallback;
}

std::vector<int64_t> GraphTranslator::intsAttr(const std::string &name,
                                               std::vector<int64_t> fallback) const {
  const auto *a = attr(name);
  if (!a)
    return fallback;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

// --- source text -----------------------------------------------------------------

std::string GraphTranslator::number(double v, int32_t elemType) {
  // The batch size (Shape of a batched value) is known only when it runs.
  if (v == kBatchSize)
    throw BatchSizeAsNumber{};
  if (!std::isfinite(v))
    throw ImportError{"a constant is " + std::string(std::isnan(v) ? "NaN" : "infinite") +
                      ", which .nn source cannot write"};
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<long long>(v));
  // The shortest text that reads back as the same float (or double).
  bool single = elemType == onnx::TensorProto_DataType_FLOAT;
  char buf[40];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    double back = std::strtod(buf, nullptr);
    if (single ? static_cast<float>(back) == static_cast<float>(v) : back == v)
      break;
  }
  return buf;
}

std::string GraphTranslator::literal(const Tensor &t) {
  if (t.dims.empty())
    return number(t.values.at(0), t.elemType);
  std::string s;
  std::function<void(size_t, int64_t)> emit = [&](size_t axis, int64_t offset) {
    int64_t stride = 1;
    for (size_t k = axis + 1; k < t.dims.size(); ++k)
      stride *= t.dims[k];
    s += "[";
    for (int64_t i = 0; i < t.dims[axis]; ++i) {
      if (i)
        s += ", ";
      if (axis + 1 == t.dims.size())
        s += number(t.values[offset + i], t.elemType);
      else
        emit(axis + 1, offset + i * stride);
    }
    s += "]";
  };
  emit(0, 0);
  return s;
}

std::string GraphTranslator::nnType(int32_t elemType, const std::vector<int64_t> &dims) {
  // Integers compute in f64 (exact to 2^53), float16 in f32.
  std::string s = elemType == onnx::TensorProto_DataType_DOUBLE || isInteger(elemType) ? "f64" : "f32";
  return dims.empty() ? s : s + dimsText(dims);
}

// --- values ------------------------------------------------------------------------

void GraphTranslator::addWeight(const std::string &name, const std::vector<int64_t> &dims,
                                const std::vector<double> &values) {
  paramNames_.insert(name);
  weights_.push_back({name, dims, values});
}

std::string GraphTranslator::declareParam(const std::string &savedName, const Tensor &given,
                                          bool trainable) {
  // A bool mask (a Where's constant condition) is 0 and 1 in f32: nnc's
  // where() takes any non-zero number as true.
  Tensor values = given;
  if (std::count(values.values.begin(), values.values.end(), kBatchSize))
    throw BatchSizeAsNumber{};
  if (values.elemType == onnx::TensorProto_DataType_BOOL)
    values.elemType = onnx::TensorProto_DataType_FLOAT;
  if (!isFloat(values.elemType) && !isInteger(values.elemType) &&
      values.elemType != onnx::TensorProto_DataType_FLOAT16)
    fail("the " + elemTypeName(values.elemType) + " tensor '" + savedName +
         "' is used as a tensor of numbers; nnc computes with float, double, float16 and integers only");
  std::string name = savedName;
  for (int k = 2; paramNames_.count(name); ++k)
    name = savedName + "_" + std::to_string(k);
  if (trainable && initializerNames_.count(savedName))
    paramsOf_[savedName].insert(name);
  std::string id = freshId(name);
  std::string text = "param " + id + ": " + nnType(values.elemType, values.dims);
  if (!trainable)
    text += ", trainable: false";
  if (name != id)
    text += ", name: \"" + name + "\"";
  params_.push_back(text);
  addWeight(name, values.dims, values.values);
  return id;
}

std::string GraphTranslator::layerName(const std::string &weightInit, const std::string &biasInit) {
  auto strip = [](const std::string &s, const std::string &suffix) {
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0
               ? s.substr(0, s.size() - suffix.size())
               : std::string();
  };
  std::string base = strip(weightInit, ".weight");
  if (!base.empty() && !biasInit.empty() && biasInit != base + ".bias")
    base.clear();
  if (base.empty())
    base = strip(biasInit, ".bias");
  if (base.empty()) // nn.MultiheadAttention's in_proj_bias
    base = strip(biasInit, "_bias");
  if (base.empty()) { // PyTorch's node names are module paths: /layer1/conv1/Conv
    base = node_->name().empty() ? firstOutput(*node_) : node_->name();
    if (base.size() > 1 && base[0] == '/')
      base = base.substr(1);
    std::replace(base.begin(), base.end(), '/', '.');
  }
  for (char &c : base)
    if (c == '"' || c == '\n' || c == '\r' || static_cast<unsigned char>(c) < 32)
      c = '_';
  if (base.size() > 180)
    base = base.substr(0, 180);
  std::string name = base;
  for (int k = 2; paramNames_.count(name + ".weight") || paramNames_.count(name + ".bias"); ++k)
    name = base + "_" + std::to_string(k);
  if (initializerNames_.count(weightInit))
    paramsOf_[weightInit].insert(name + ".weight");
  if (initializerNames_.count(biasInit))
    paramsOf_[biasInit].insert(name + ".bias");
  return name;
}

bool GraphTranslator::sharedWeight(const Value &v) const {
  return !v.initializer.empty() && isFloat(v.elemType) && sharedWeights_.count(v.initializer);
}

std::string GraphTranslator::onnxOrder(Value &v) {
  if (v.id.empty()) {
    // A constant first used as a tensor: a trainable parameter when it is
    // a float initializer (a weight), else a constant or a frozen tensor.
    const Tensor &t = *v.constant;
    // A weight with an infinity is a mask (a causal attention mask buffer
    // folded by the exporter): kept fixed when fine-tuning.
    bool finite = std::all_of(t.values.begin(), t.values.end(),
                              [](double x) { return std::isfinite(x); });
    if (!v.initializer.empty() && isFloat(t.elemType)) {
      // One parameter per initializer, however many values and nodes use it.
      auto known = weightIds_.find(v.initializer);
      v.id = known != weightIds_.end() ? known->second
                                       : (weightIds_[v.initializer] = declareParam(v.initializer, t, finite));
    } else if (t.count() <= 256 && isFloat(t.elemType) && finite) {
      v.id = freshId(node_ ? node_->name() + "_const" : "c");
      params_.push_back("const " + v.id + ": " + nnType(t.elemType, t.dims) + " = " + literal(t));
    } else {
      // Outside a node: a graph output that is a constant.
      std::string owner = node_ ? identifierFor(firstOutput(*node_)) : "output";
      v.id = declareParam(v.initializer.empty() ? owner + ".const" : v.initializer, t, false);
    }
  }
  if (v.perm.empty())
    return v.id;
  std::vector<int64_t> inverse(v.perm.size());
  for (size_t i = 0; i < v.perm.size(); ++i)
    inverse[v.perm[i]] = static_cast<int64_t>(i);
  std::string id = freshId(v.id + "_nchw");
  line(id + " = transpose(" + v.id + ", " + dimsText(inverse) + ")");
  v.id = id;
  v.perm.clear();
  return id;
}

std::string GraphTranslator::channelsLast(Value &v) {
  if (!v.batched || v.rank() != 4)
    fail("expects an image batch [N, C, H, W]");
  if (v.perm == std::vector<int>{1, 2, 0})
    return v.id;
  std::string x = onnxOrder(v);
  std::string id = freshId(x + "_hwc");
  line(id + " = transpose(" + x + ", [1, 2, 0])");
  v.id = id;
  v.perm = {1, 2, 0};
  return id;
}

std::string GraphTranslator::operandFor(Value &v, const Value &like) {
  if (v.constant && v.constant->count() == 1 && isFloat(v.constant->elemType) &&
      v.initializer.empty() && std::isfinite(v.constant->values[0])) {
    std::string n = number(v.constant->values[0], like.elemType);
    return n[0] == '-' ? "(" + n + ")" : n;
  }
  if (v.batched) {
    if (v.perm == like.perm)
      return v.id.empty() ? onnxOrder(v) : v.id;
    return onnxOrder(v);
  }
  // Unbatched against a batched value: right-aligned with its per-sample
  // dims; a leading 1 that faces the batch is dropped.
  int sampleRank = like.batched ? like.rank() - 1 : like.rank();
  std::vector<int64_t> dims = v.dims;
  if (like.batched && v.rank() == like.rank()) {
    if (dims[0] != 1)
      notPerSample("broadcasts a tensor of " + std::to_string(dims[0]) + " rows over the batch");
    dims.erase(dims.begin());
  } else if (like.batched && v.rank() > like.rank()) {
    notPerSample("broadcasts the batch against a tensor of higher rank");
  }
  if (like.perm.empty() || !v.constant) {
    std::string id = onnxOrder(v);
    if (dims.size() != v.dims.size()) {
      std::string r = freshId(id + "_r");
      line(r + " = reshape(" + id + ", " + dimsText(dims.empty() ? std::vector<int64_t>{1} : dims) +
           ")");
      return r;
    }
    if (!like.perm.empty())
      fail("mixes a channels-last image with a computed tensor");
    return id;
  }
  // A constant against a value held in another axis order: permute its
  // values once, here.
  std::vector<int64_t> full(sampleRank - dims.size(), 1);
  full.insert(full.end(), dims.begin(), dims.end());
  Tensor t;
  t.elemType = v.constant->elemType;
  for (int p : like.perm)
    t.dims.push_back(full[p]);
  t.values.resize(v.constant->values.size());
  std::vector<int64_t> strides(full.size(), 1);
  for (int k = static_cast<int>(full.size()) - 2; k >= 0; --k)
    strides[k] = strides[k + 1] * full[k + 1];
  std::vector<int64_t> idx(t.dims.size(), 0);
  for (size_t o = 0; o < t.values.size(); ++o) {
    int64_t src = 0;
    for (size_t k = 0; k < idx.size(); ++k)
      src += idx[k] * strides[like.perm[k]];
    t.values[o] = v.constant->values[src];
    for (int k = static_cast<int>(idx.size()) - 1; k >= 0; --k)
      if (++idx[k] < t.dims[k])
        break;
      else
        idx[k] = 0;
  }
  if (!v.initializer.empty() && isFloat(t.elemType)) {
    std::string key = v.initializer + "\n" + dimsText(t.dims) + " in layout " + dimsText(
        std::vector<int64_t>(like.perm.begin(), like.perm.end()));
    auto known = weightIds_.find(key);
    return known != weightIds_.end() ? known->second
                                     : (weightIds_[key] = declareParam(v.initializer, t, true));
  }
  Value permuted;
  permuted.constant = t;
  permuted.elemType = t.elemType;
  permuted.dims = t.dims;
  return onnxOrder(permuted);
}

Value &GraphTranslator::define(int i, const std::string &expr, std::vector<int64_t> dims,
                               int32_t elemType, bool batched, std::vector<int> perm,
                               int batchAxis) {
  const std::string &name = node_->output(i);
  double elements = 1;
  for (size_t k = 0; k < dims.size(); ++k)
    if (!(batched && static_cast<int>(k) == batchAxis))
      elements *= double(std::max<int64_t>(dims[k], 1));
  if (elements > double(uint64_t(1) << 32))
    fail("its output has " + countText(elements) +
         " elements per sample; nnc allows at most 2^32");
  Value v;
  v.elemType = elemType;
  // An integer computed from class indices (Reshape of an ArgMax) is indices too.
  for (const std::string &in : node_->input())
    if (auto it = values_.find(in); it != values_.end() && it->second.indices)
      v.indices = isInteger(elemType);
  v.dims = std::move(dims);
  v.batched = batched;
  v.perm = std::move(perm);
  v.batchAxis = batchAxis;
  auto output = outputIds_.find(name);
  if (output == outputIds_.end() || perSample_) { // per sample: the output is reshaped first
    v.id = freshId(name);
    line(v.id + " = " + expr);
  } else if (v.perm.empty()) {
    v.id = output->second;
    line(v.id + " = " + expr);
  } else { // a graph output leaves in ONNX's axis order
    v.id = freshId(name + "_cl");
    line(v.id + " = " + expr);
    std::vector<int64_t> inverse(v.perm.size());
    for (size_t k = 0; k < v.perm.size(); ++k)
      inverse[v.perm[k]] = static_cast<int64_t>(k);
    line(output->second + " = transpose(" + v.id + ", " + dimsText(inverse) + ")");
    v.id = output->second;
    v.perm.clear();
  }
  values_[name] = v;
  return values_[name];
}

std::string GraphTranslator::temporary(const std::string &base, const std::string &expr) {
  std::string id = freshId(base);
  line(id + " = " + expr);
  return id;
}

std::string GraphTranslator::function(const std::string &base, const std::string &args,
                                      const std::vector<std::string> &lines,
                                      const std::string &result) {
  std::string id = freshId(base);
  std::string text = "def " + id + "(" + args + ") {\n";
  for (const auto &l : lines)
    text += "  " + l + "\n";
  line(text + "  return " + result + "\n}");
  return id;
}

const Tensor *GraphTranslator::fusableBias(int64_t units, std::string &initializer) {
  fusedAdd_ = nullptr;
  const std::string &out = node_->output(0);
  if (uses_[out] != 1)
    return nullptr;
  for (const auto &n : model_.graph().node()) {
    if (n.op_type() != "Add" || n.input_size() != 2 || (n.input(0) != out && n.input(1) != out))
      continue;
    auto other = values_.find(n.input(0) == out ? n.input(1) : n.input(0));
    if (other == values_.end() || !other->second.constant || !other->second.id.empty() ||
        sharedWeight(other->second) ||
        other->second.rank() != 1 || other->second.dims[0] != units ||
        !(other->second.elemType == onnx::TensorProto_DataType_FLOAT ||
          other->second.elemType == onnx::TensorProto_DataType_DOUBLE))
      return nullptr;
    fusedAdd_ = &n;
    initializer = other->second.initializer;
    return &*other->second.constant;
  }
  return nullptr;
}

void GraphTranslator::fuseNextAdd() {
  if (!fusedAdd_)
    return;
  values_[fusedAdd_->output(0)] = values_[node_->output(0)];
  skipped_.insert(fusedAdd_);
  fusedAdd_ = nullptr;
}

void GraphTranslator::markBool(int i, bool inF64) {
  auto it = values_.find(node_->output(i));
  if (it != values_.end())
    it->second.elemType = onnx::TensorProto_DataType_BOOL;
  if (it != values_.end() && inF64 && !doubleModel() && !it->second.id.empty()) {
    std::string id = freshId(node_->output(i) + "_f32");
    line(id + " = cast(" + it->second.id + ", f32)");
    it->second.id = id;
  }
}

void GraphTranslator::alias(int i, const Value &v) {
  if (i < node_->output_size() && !node_->output(i).empty())
    values_[node_->output(i)] = v;
}

void GraphTranslator::defineConstant(int i, Tensor t) {
  Value v;
  v.elemType = t.elemType;
  v.dims = t.dims;
  v.constant = std::move(t);
  values_[node_->output(i)] = v;
}

void GraphTranslator::bindInputs() {
  const auto &g = model_.graph();
  std::set<std::string> initializers;
  for (const auto &t : g.initializer())
    initializers.insert(t.name());
  for (const auto &in : g.input()) {
    if (initializers.count(in.name())) {
      // IR version 3 lists every initializer among the inputs; later
      // versions let an input shadow one (a default value), which nnc
      // does not take.
      if (model_.ir_version() >= 4)
        throw ImportError{"graph input '" + in.name() + "' has the name of an initializer (an "
                          "input with a default value); nnc imports inputs without one"};
      continue;
    }
    if (!in.type().has_tensor_type())
      throw ImportError{"graph input '" + in.name() + "' is not a tensor"};
    const auto &tt = in.type().tensor_type();
    Value v;
    v.elemType = tt.elem_type();
    int64_t classes = 0;
    // bool, integers used as numbers, float16: a typed input (`x: i64[...]`).
    Storage storage = storageOf(v.elemType);
    if (v.elemType == onnx::TensorProto_DataType_INT64 || v.elemType == onnx::TensorProto_DataType_INT32)
      classes = embeddingRows(in.name());
    if (classes != 0)
      storage = Storage::Float;
    else if (!isFloat(v.elemType) && storage == Storage::Float)
      throw ImportError{"graph input '" + in.name() + "' has element type " +
                        elemTypeName(v.elemType) + "; nnc imports float, double, float16, bool "
                        "and integer inputs"};
    if (!tt.has_shape())
      throw ImportError{"graph input '" + in.name() + "' has no shape; nnc needs static shapes "
                        "except the batch (axis 0)"};
    bool dynamicBatch = false;
    for (int k = 0; k < tt.shape().dim_size(); ++k) {
      const auto &d = tt.shape().dim(k);
      bool known = d.has_dim_value() && d.dim_value() > 0;
      if (!known && k == 0 && !batchMode_ && fixedBatch_ > 0) {
        v.dims.push_back(fixedBatch_);
        dynamicBatch = true;
        continue;
      }
      if (!known && !(batchMode_ && k == 0))
        throw ImportError{"graph input '" + in.name() + "' has a dynamic dimension" +
                          (d.has_dim_param() ? " '" + d.dim_param() + "'" : "") + " at axis " +
                          std::to_string(k) + "; nnc needs static shapes except the batch (axis 0)" +
                          (k == 0 ? ", and axis 0 cannot be the batch here: " + notBatch_ +
                                        (perSampleGap_.empty()
                                             ? std::string()
                                             : ", and nnc could not check that the graph computes "
                                               "every sample on its own: " + perSampleGap_) +
                                        " (import with --batch N to fix axis 0 at N, or with "
                                        "--per-sample to run each sample as a batch of one)"
                                  : std::string())};
      v.dims.push_back(known ? d.dim_value() : -1);
    }
    v.batched = batchMode_;
    if (batchMode_ && v.dims.empty())
      throw NotPerSample{"graph input '" + in.name() + "' is a scalar"};
    // Inputs of different sizes along axis 0 broadcast it: not a batch.
    if (batchMode_ && v.dims[0] > 0) {
      if (batchSize_ > 0 && batchSize_ != v.dims[0])
        throw NotPerSample{"graph inputs have different sizes along axis 0"};
      batchSize_ = v.dims[0];
    }
    v.id = freshId(in.name());
    std::vector<int64_t> sample = v.sampleDims();
    // --per-sample: declared without the axis 0 of 1 the graph sees.
    std::vector<int64_t> graphDims = sample;
    if (perSample_) {
      if (!dynamicBatch)
        throw ImportError{"graph input '" + in.name() + "' has no dynamic axis 0; --per-sample "
                          "takes a dynamic axis 0 of every input as the batch"};
      sample.erase(sample.begin());
    }
    double elements = 1;
    for (int64_t d : sample)
      elements *= double(d);
    if (elements > double(uint64_t(1) << 32))
      throw ImportError{"graph input '" + in.name() + "' has " + countText(elements) +
                        " elements per sample; nnc allows at most 2^32"};
    if (classes != 0) { // token ids or labels: class(V)[...]
      std::string dims;
      for (size_t k = 0; k < sample.size(); ++k)
        dims += (k ? ", " : "") + std::to_string(sample[k]);
      std::string shape = dims.empty() ? "" : "[" + dims + "]";
      if (classes > 0) { // V the embedding's rows
        header_.push_back("input " + v.id + ": class(" + std::to_string(classes) + ")" + shape);
      } else { // a loss's labels: V is the loss input's class axis, known when it is translated
        labels_[in.name()] = {header_.size(), 0};
        header_.push_back("input " + v.id + ": class(?)" + shape);
      }
      v.indices = true;
    } else if (storage != Storage::Float) {
      // bool and f16 compute in f32, integers in f64; a bool is cast to f64
      // when the model computes in f64.
      header_.push_back("input " + v.id + ": " + storageName(storage) +
                        (sample.empty() ? "" : dimsText(sample)));
      if (storage == Storage::Bool && doubleModel()) {
        std::string id = freshId(in.name() + "_f64");
        line(id + " = cast(" + v.id + ", f64)");
        v.id = id;
      }
    } else {
      header_.push_back("input " + v.id + ": " + nnType(v.elemType, sample));
    }
    if (perSample_) {
      std::string id = freshId(in.name() + "_one");
      line(id + " = reshape(" + v.id + ", " + dimsText(graphDims) + ")");
      v.id = id;
    }
    values_[in.name()] = v;
  }
}

std::vector<int64_t> GraphTranslator::declaredDims(const std::string &name) const {
  auto known = values_.find(name);
  if (known != values_.end())
    return known->second.dims;
  auto dimsOf = [](const onnx::ValueInfoProto &v) {
    std::vector<int64_t> dims;
    for (const auto &d : v.type().tensor_type().shape().dim())
      dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    return dims;
  };
  for (const auto &v : model_.graph().input())
    if (v.name() == name)
      return dimsOf(v);
  for (const auto &v : model_.graph().value_info())
    if (v.name() == name)
      return dimsOf(v);
  return {};
}

bool GraphTranslator::doubleModel() const {
  bool dbl = false, flt = false;
  auto see = [&](int32_t type) {
    dbl |= type == onnx::TensorProto_DataType_DOUBLE;
    flt |= type == onnx::TensorProto_DataType_FLOAT;
  };
  for (const auto &in : model_.graph().input())
    if (in.type().has_tensor_type()) {
      int32_t type = in.type().tensor_type().elem_type();
      see(isInteger(type) ? onnx::TensorProto_DataType_DOUBLE : type);
    }
  for (const auto &t : model_.graph().initializer())
    see(t.data_type());
  return dbl && !flt;
}

bool GraphTranslator::isEmbeddingLookup(const onnx::NodeProto &gather) const {
  for (const auto &a : gather.attribute())
    if (a.name() == "axis" && a.i() != 0)
      return false;
  for (const auto &init : model_.graph().initializer())
    if (init.name() == gather.input(0))
      return init.dims_size() == 2;
  return false;
}

int64_t GraphTranslator::embeddingRows(const std::string &input) const {
  int64_t rows = 0;
  bool labels = false;
  std::string numbers; // the first node that uses it as numbers
  for (const auto &n : model_.graph().node())
    for (int i = 0; i < n.input_size(); ++i) {
      if (n.input(i) != input)
        continue;
      if (i == 1 && (n.op_type() == "NegativeLogLikelihoodLoss" ||
                     n.op_type() == "SoftmaxCrossEntropyLoss")) {
        labels = true;
        continue;
      }
      // The token ids of an embedding (a Gather from a weight matrix along
      // axis 0): class(the table's rows). Any other Gather may take
      // negative indices (ONNX counts them from the end), which class
      // indices do not hold: it takes the input as numbers and wraps them.
      int64_t size = 0;
      if (n.op_type() == "Gather" && i == 1 && isEmbeddingLookup(n)) {
        std::vector<int64_t> dims = declaredDims(n.input(0));
        size = dims.size() == 2 ? dims[0] : 0;
      }
      if (size <= 0) {
        if (numbers.empty())
          numbers = n.op_type() + " node '" + (n.name().empty() ? firstOutput(n) : n.name()) + "'";
        continue;
      }
      rows = rows == 0 ? size : std::min(rows, size);
    }
  // Numbers (computed in f64) and class indices (i32) are different tensors
  // in nnc. An input used as numbers and as a Gather's indices is numbers:
  // the Gather compares them with the positions of its axis.
  if (!numbers.empty() && labels)
    throw ImportError{"graph input '" + input + "' (integers) is used as numbers by " + numbers +
                      " and as indices too; nnc takes one or the other (indices: the indices of "
                      "a Gather along an axis of static size, or the labels of "
                      "NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss)" +
                      freezeHint(model_, input)};
  if (!numbers.empty() || (!labels && rows == 0))
    return 0;
  if (labels && rows > 0)
    throw ImportError{"graph input '" + input + "' (integers) is used both as token ids and as "
                      "a loss's labels; nnc takes one or the other"};
  if (labels)
    return -1;
  if (rows < 2)
    throw ImportError{"graph input '" + input + "' (integers) indexes an axis of " +
                      std::to_string(rows) + " entries; nnc's class indices need 2 or more"};
  return rows;
}

void GraphTranslator::classLabels(int i, int64_t classes) {
  auto it = labels_.find(node_->input(i));
  if (it == labels_.end())
    fail("the labels ('" + node_->input(i) + "') must be a graph input of int64 or int32 class "
         "indices");
  auto &[line, known] = it->second;
  if (known != 0 && known != classes)
    fail("the labels ('" + node_->input(i) + "') are used with " + std::to_string(known) +
         " classes elsewhere, here with " + std::to_string(classes));
  if (classes < 1)
    fail("the input has no classes (axis 1 has size 0)");
  known = classes;
  std::string &text = header_[line];
  size_t at = text.find("class(?)");
  if (at != std::string::npos)
    text.replace(at, 8, "class(" + std::to_string(classes) + ")");
}

/// How many times the nodes of `g` use each name, counting a node once per
/// name: a Loop's or Scan's body counts twice (it runs per iteration), an
/// If counts the branch that uses a name more (one of them is inlined). An
/// Identity is not a use: its output is a parameter of its own (identity()).
static std::map<std::string, int> referenceCounts(const onnx::GraphProto &g) {
  std::map<std::string, int> counts;
  for (const auto &n : g.node()) {
    std::set<std::string> names(n.input().begin(), n.input().end());
    if (n.op_type() == "Identity")
      names.clear();
    std::map<std::string, int> inner;
    for (const auto &a : n.attribute()) {
      if (!a.has_g())
        continue;
      for (const auto &[name, c] : referenceCounts(a.g())) {
        int k = n.op_type() == "If" ? c : 2 * c;
        inner[name] = n.op_type() == "If" ? std::max(inner[name], k) : inner[name] + k;
      }
    }
    for (const auto &name : names)
      ++counts[name];
    for (const auto &[name, c] : inner)
      counts[name] += c;
  }
  return counts;
}

/// The float initializers of `g` and its subgraphs, and the Identity
/// outputs of them (parameters of their own, identity()).
static void floatInitializers(const onnx::GraphProto &g, std::set<std::string> &names) {
  for (const auto &t : g.initializer())
    if (isFloat(t.data_type()))
      names.insert(t.name());
  for (const auto &n : g.node())
    if (n.op_type() == "Identity" && n.input_size() == 1 && n.output_size() == 1 &&
        names.count(n.input(0)))
      names.insert(n.output(0));
  for (const auto &n : g.node())
    for (const auto &a : n.attribute())
      if (a.has_g())
        floatInitializers(a.g(), names);
}

void GraphTranslator::bindInitializers(const onnx::GraphProto &g) {
  for (const auto &t : g.initializer()) {
    Value v;
    v.constant = tensorValues(t, "initializer '" + t.name() + "'");
    v.elemType = v.constant->elemType;
    v.dims = v.constant->dims;
    v.initializer = t.name();
    values_[t.name()] = v;
  }
}

Value GraphTranslator::translateAs(const std::string &opType, const std::vector<Value> &inputs) {
  const onnx::NodeProto *outer = node_;
  onnx::NodeProto inner = *outer; // its name and attributes
  inner.set_op_type(opType);
  inner.clear_input();
  inner.clear_output();
  std::string base = firstOutput(*outer) + "_" + opType;
  for (size_t k = 0; k < inputs.size(); ++k) {
    std::string name = base + "_input" + std::to_string(k);
    inner.add_input(name);
    values_[name] = inputs[k];
  }
  inner.add_output(base);
  ++uses_[base];
  node_ = &inner;
  struct Restore { // the calling node again, also when the translation throws
    GraphTranslator &g;
    const onnx::NodeProto *outer;
    ~Restore() { g.node_ = outer; }
  } restore{*this, outer};
  if (!translateOp(*this, opType))
    fail("internal: no translation of " + opType);
  Value result = values_.at(base);
  for (const std::string &name : inner.input())
    values_.erase(name);
  values_.erase(base);
  return result;
}

std::vector<Value> GraphTranslator::translateBranch(const onnx::GraphProto &g,
                                                    const std::vector<Value> &inputs) {
  const onnx::NodeProto *outer = node_;
  if (static_cast<int>(inputs.size()) != g.input_size())
    fail("its subgraph takes " + std::to_string(g.input_size()) + " inputs, not " +
         std::to_string(inputs.size()));
  for (size_t k = 0; k < inputs.size(); ++k)
    values_[g.input(static_cast<int>(k)).name()] = inputs[k];
  for (const auto &n : g.node())
    for (const auto &i : n.input())
      ++uses_[i];
  for (const auto &o : g.output())
    ++uses_[o.name()];
  bindInitializers(g);
  for (const auto &n : g.node())
    translateNode(n);
  node_ = outer;
  std::vector<Value> out;
  for (const auto &o : g.output()) {
    auto it = values_.find(o.name());
    if (it == values_.end())
      fail("the branch's output '" + o.name() + "' is not computed");
    out.push_back(it->second);
  }
  return out;
}

void GraphTranslator::translateNode(const onnx::NodeProto &n) {
  node_ = &n;
  if (skipped_.count(&n))
    return;
  if (firstOutput(n).empty()) {
    node_ = nullptr;
    throw ImportError{n.op_type() + " node '" + n.name() + "' has no output"};
  }
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    fail("its domain '" + n.domain() + "' is not the default ONNX domain");
  // Only these ops take a batch elsewhere than on axis 0, or a fill.
  static const std::set<std::string> anyBatchAxis = {"Transpose", "Squeeze", "Unsqueeze", "LSTM",
                                                     "GRU", "RNN", "Identity", "Dropout", "Shape",
                                                     "Reshape"};
  for (int i = 0; i < n.input_size(); ++i) {
    auto it = values_.find(n.input(i));
    if (it == values_.end() || n.input(i).empty())
      continue;
    static const std::set<std::string> takesFill = {"Slice", "LSTM", "GRU", "RNN"};
    if (it->second.fill) {
      if (!takesFill.count(n.op_type()))
        notPerSample("takes a tensor the size of the batch filled with one number");
      continue;
    }
    if (it->second.batched && it->second.batchAxis != 0 && !anyBatchAxis.count(n.op_type()))
      notPerSample("takes a tensor whose batch is on axis " +
                   std::to_string(it->second.batchAxis) + ", not 0");
  }
  for (int i = 0; i < n.input_size(); ++i)
    if (auto it = values_.find(n.input(i)); it != values_.end() && !it->second.unroundedBy.empty())
      fail("input " + std::to_string(i) + " is a float16 value computed by " +
           it->second.unroundedBy + "; nnc computes float16 in f32 and rounds it to float16 only "
           "at graph outputs, so a float16 result that feeds further computation is not supported");
  // Class indices (an ArgMax, a class(N) input, what only moves them) are
  // i32 in nnc, which does not compute with them. An op that computes
  // numbers from them (ArgMax - 1, a Cast, the indices of GatherElements)
  // takes their values as f64 numbers, `cast(i, f64)`.
  static const std::set<std::string> numericOps = {
      "Add", "Sub", "Mul", "Div", "Mod", "Pow", "Neg", "Abs", "Max", "Min", "Sum", "Clip",
      "Sign", "Relu", "Where", "Cast", "CastLike", "BitShift", "Less", "LessOrEqual", "Greater",
      "GreaterOrEqual", "OneHot", "GatherElements", "ScatterElements", "Scatter"};
  // Equal compares class indices with class indices or constants itself.
  bool withNumbers = false;
  for (const std::string &in : n.input())
    if (auto it = values_.find(in); it != values_.end() && !it->second.indices &&
                                    !(it->second.constant && it->second.id.empty()))
      withNumbers = true;
  std::vector<std::pair<std::string, Value>> asIndices; // restored after the op
  if (numericOps.count(n.op_type()) || (n.op_type() == "Equal" && withNumbers))
    for (const std::string &in : n.input()) {
      auto it = values_.find(in);
      if (it == values_.end() || !it->second.indices || it->second.id.empty() ||
          std::any_of(asIndices.begin(), asIndices.end(), [&](const auto &p) { return p.first == in; }))
        continue;
      auto known = numbers_.find(in);
      if (known == numbers_.end())
        known = numbers_.emplace(in, temporary(in + "_numbers", "cast(" + it->second.id + ", f64)"))
                    .first;
      asIndices.emplace_back(in, it->second);
      it->second.id = known->second;
      it->second.indices = false;
    }
  try {
    if (!translateOp(*this, n.op_type()))
      fail("nnc does not import the op " + n.op_type());
  } catch (const BatchSizeAsNumber &) {
    notPerSample("computes with the batch size as a number");
  }
  for (auto &[in, v] : asIndices)
    values_[in] = v;
  // Ops whose f64 result on integers is ONNX's integer result (those that
  // need it truncate or wrap): any other op computing integers is refused
  // rather than left with a fraction or an unwrapped value inside.
  static const std::set<std::string> integerOps = {
      "Add", "Sub", "Mul", "Div", "Mod", "Pow", "Max", "Min", "Sum", "Neg", "Abs", "Clip",
      "Where", "Pad", "MaxPool", "Cast", "CastLike", "BitShift", "Identity", "Reshape",
      "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Concat", "Slice", "Gather", "Expand",
      "Tile", "Split", "Dropout", "ReduceMax", "ReduceMin", "Relu", "Sign", "GlobalMaxPool",
      "ConstantOfShape", "Trilu", "TopK", "OneHot", "GatherElements", "ScatterElements",
      "Scatter", "GatherND", "ScatterND", "ReverseSequence", "QuantizeLinear",
      "DynamicQuantizeLinear", "MatMulInteger", "QLinearMatMul", "Compress", "ConvInteger",
      "QLinearConv", "If", "Loop"}; // If and Loop pass on what their subgraphs computed
  for (const std::string &out : n.output())
    if (auto it = values_.find(out); it != values_.end() && !it->second.constant &&
                                     !it->second.indices && isInteger(it->second.elemType) &&
                                     !integerOps.count(n.op_type()))
      fail("it computes " + elemTypeName(it->second.elemType) + " values, which nnc imports "
           "only for the ops docs/onnx-import.md lists under Data types");
  // Ops whose f32 result on float16 operands is a float16 value already.
  static const std::set<std::string> exactOnF16 = {
      "Identity", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Concat", "Slice",
      "Gather", "Pad", "Max", "Min", "Abs", "Neg", "Relu", "Where", "MaxPool", "Clip", "Expand",
      "Tile", "Split", "Dropout", "ReduceMax", "ReduceMin", "Trilu", "TopK", "GatherElements",
      "GatherND", "ReverseSequence", "Compress", "If", "Loop"};
  for (const std::string &out : n.output())
    if (auto it = values_.find(out); it != values_.end() && !it->second.constant &&
                                     it->second.elemType == onnx::TensorProto_DataType_FLOAT16 &&
                                     !exactOnF16.count(n.op_type()))
      it->second.unroundedBy = n.op_type() + " node " + nodeLabel(n);
}

void GraphTranslator::writeOutputs() {
  node_ = nullptr;
  for (const auto &o : model_.graph().output()) {
    auto it = values_.find(o.name());
    if (it == values_.end())
      throw ImportError{"graph output '" + o.name() + "' is not computed by any node"};
    Value &v = it->second;
    if (!v.batched && batchMode_)
      throw NotPerSample{"graph output '" + o.name() + "' does not depend on the batch"};
    if (v.batched && v.batchAxis != 0)
      throw NotPerSample{"graph output '" + o.name() + "' has its batch on axis " +
                         std::to_string(v.batchAxis)};
    // bool, integer (not class indices, which predict writes as int64) and
    // float16 outputs are typed: `output y: i64 = ...`.
    Storage storage = v.indices ? Storage::Float : storageOf(v.elemType);
    if (!isFloat(v.elemType) && storage == Storage::Float && !v.indices)
      throw ImportError{"graph output '" + o.name() + "' has element type " +
                        elemTypeName(v.elemType) + "; nnc's imported outputs are float, double, "
                        "float16, bool or integers"};
    if (std::count(v.dims.begin(), v.dims.end(), 0))
      throw ImportError{"graph output '" + o.name() + "' is empty (shape " + dimsText(v.dims) +
                        "); nnc's tensors have at least one element"};
    std::string id;
    try {
      id = onnxOrder(v);
    } catch (const BatchSizeAsNumber &) {
      notPerSample("has an output computed from the batch size");
    }
    const std::string &want = outputIds_.at(o.name());
    std::vector<int64_t> sample = v.sampleDims();
    if (perSample_) { // the batch of one back to one sample
      if (v.dims.empty() || v.dims[0] != 1 || v.constant)
        throw ImportError{"graph output '" + o.name() + "' (shape " + dimsText(v.dims) +
                          ") is not computed per sample on axis 0; --per-sample needs that"};
      sample.erase(sample.begin());
      std::string s = freshId(o.name() + "_sample");
      line(s + " = " + (sample.empty() ? "sum(" + id + ")"
                                       : "reshape(" + id + ", " + dimsText(sample) + ")"));
      id = s;
    }
    std::string type = storage == Storage::Float ? "" : std::string(": ") + storageName(storage);
    body_.push_back(id == want ? "output " + id + type : "output " + want + type + " = " + id);
    auto logits = logitsOf_.find(o.name());
    outputs_.push_back(
        {want, sample, logits == logitsOf_.end() || perSample_ ? want : logits->second, storage});
  }
}

void GraphTranslator::dropUnreadLines() {
  auto isStart = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  auto isPart = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  static const std::regex makesParams(
      R"(\b(dense|conv1d|conv2d|conv2d_transpose|batchnorm|embedding|prelu|layer_norm|rms_norm|)"
      R"(group_norm|multi_head_attention|rnn|lstm|gru|dropout)\(|name:)");
  for (bool dropped = true; dropped;) {
    dropped = false;
    std::map<std::string, int> mentions;
    for (const std::string &l : body_)
      for (size_t i = 0; i < l.size();) {
        if (!isStart(l[i]) || (i > 0 && isPart(l[i - 1]))) {
          ++i;
          continue;
        }
        size_t j = i;
        while (j < l.size() && isPart(l[j]))
          ++j;
        ++mentions[l.substr(i, j - i)];
        i = j;
      }
    for (size_t k = 0; k < body_.size();) {
      const std::string &l = body_[k];
      size_t eq = l.find(" = ");
      std::string id = eq == std::string::npos ? "" : l.substr(0, eq);
      bool plain = !id.empty() && isStart(id[0]) &&
                   std::all_of(id.begin(), id.end(), isPart) && id != "output";
      if (plain && mentions[id] == 1 && !std::regex_search(l, makesParams)) {
        body_.erase(body_.begin() + static_cast<std::ptrdiff_t>(k));
        dropped = true;
      } else {
        ++k;
      }
    }
  }
}

ImportedModel GraphTranslator::translate(const std::string &modelName, const std::string &origin) {
  const auto &g = model_.graph();
  for (const auto &n : g.node())
    for (const auto &i : n.input())
      ++uses_[i];
  for (const auto &o : g.output()) {
    ++uses_[o.name()];
    if (!outputIds_.count(o.name()))
      outputIds_[o.name()] = freshId(o.name());
  }
  floatInitializers(g, initializerNames_);
  for (const auto &[name, count] : referenceCounts(g))
    if (count > 1 && initializerNames_.count(name))
      sharedWeights_.insert(name);
  bindInitializers(model_.graph());
  bindInputs();
  try {
    for (const auto &n : g.node())
      translateNode(n);
    writeOutputs();
    dropUnreadLines();
  } catch (const BatchSizeAsNumber &) { // where no node caught it
    throw NotPerSample{"the graph computes with the batch size as a number"};
  }
  for (const auto &[init, params] : paramsOf_)
    if (params.size() > 1) {
      std::string list;
      for (const auto &p : params)
        list += (list.empty() ? "" : ", ") + p;
      noteRepeatedWeights("the weight '" + init + "' became " + std::to_string(params.size()) +
                          " parameters (" + list + "), one per node or layout that uses it");
    }

  ImportedModel out;
  out.batched = batchMode_ || perSample_;
  out.repeatedWeights = repeatedWeights_;
  std::string &s = out.source;
  s += "# Imported from " + origin + " by nnc import (ONNX opset " + std::to_string(opset_);
  if (!model_.producer_name().empty())
    s += ", produced by " + model_.producer_name() + " " + model_.producer_version();
  s += ").\n";
  s += batchMode_ ? "# Axis 0 of every input and output is the batch.\n"
       : perSample_ && perSampleChecked_
           ? "# Axis 0 of every input and output is the batch; each sample runs through the "
             "graph as a batch of one: axis 0 is not the batch of every node (" + notBatch_ +
             "), and nnc checked that the graph computes every sample on its own.\n"
       : perSample_
           ? "# Axis 0 of every input and output is the batch; each sample runs through the "
             "graph as a batch of one (nnc import --per-sample), as the graph mixes samples "
             "along axis 0: " + notBatch_ + ".\n"
       : fixedBatch_ > 0
           ? "# Each input is one whole sample: axis 0 is not a batch (the graph mixes samples "
             "along it); a dynamic axis 0 is fixed at " + std::to_string(fixedBatch_) + ".\n"
           : "# Each input is one whole sample: axis 0 is not a batch.\n";
  s += "model " + modelName + "\n\n";
  for (const auto &l : header_)
    s += l + "\n";
  if (!params_.empty())
    s += "\n";
  for (const auto &l : params_)
    s += l + "\n";
  s += "\n";
  for (const auto &l : body_)
    s += l + "\n";
  out.weights = std::move(weights_);
  out.outputs = std::move(outputs_);
  return out;
}

ImportedModel importOnnx(const onnx::ModelProto &model, int64_t opset,
                         const std::string &modelName, const std::string &origin,
                         int64_t fixedBatch, bool perSample) {
  try {
    GraphTranslator batched(model, opset, true);
    return batched.translate(modelName, origin);
  } catch (const NotPerSample &e) {
    // The batch moved off axis 0 (a transformer folds it into its heads):
    // each sample as a batch of one, when the check proves that right.
    std::string gap;
    if (fixedBatch == 0) {
      constexpr int64_t probe = 3; // the batch the check follows
      try {
        GraphTranslator one(model, opset, false, 0, true);
        one.notBatch_ = e.why;
        one.perSampleChecked_ = true;
        ImportedModel m = one.translate(modelName, origin);
        GraphTranslator many(model, opset, false, probe);
        many.notBatch_ = e.why;
        many.translate(modelName, origin);
        gap = perSampleGap(model.graph(), one.values(), many.values(), probe, opset);
        if (gap.empty())
          return m;
      } catch (const ImportError &) {
      } catch (const NotPerSample &) {
      }
    }
    // Whole tensors as samples: correct for any graph, one sample per call;
    // or --per-sample, which the user vouches for.
    GraphTranslator whole(model, opset, false, fixedBatch, perSample);
    whole.notBatch_ = e.why;
    whole.perSampleGap_ = gap;
    try {
      ImportedModel m = whole.translate(modelName, origin);
      if (perSample)
        m.uncheckedPerSample = gap.empty() ? "the check could not translate the graph with "
                                             "axis 0 fixed at 3"
                                           : gap;
      return m;
    } catch (const NotPerSample &e) {
      throw ImportError{"internal: " + e.why};
    }
  }
}

} // namespace nnc::onnx_import
