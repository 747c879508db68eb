//===- GraphTranslator.h - the state of one ONNX -> .nn translation -*- C++ -*-===//
//
// What the op translations (OnnxOps.cpp) work with: every ONNX value as an
// nnc expression with its ONNX shape, whether axis 0 is the batch, and its
// layout (an image may be held channels-last, as conv2d wants, until an op
// needs ONNX's order back); constants known at import time; the .nn lines
// written so far and the weights.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "import/Importer.h"

#include <map>
#include <optional>
#include <set>

namespace nnc::onnx_import {

/// Thrown when a node mixes samples along axis 0 (so axis 0 cannot be the
/// batch); the translation then starts over with whole tensors as samples.
struct NotPerSample {
  std::string why;
};

/// Thrown where the batch size (kBatchSize) would be written as a number;
/// the node translating turns it into NotPerSample.
struct BatchSizeAsNumber {};

/// The batch size in a shape computed at import time (Shape of a batched
/// value): a Reshape that keeps it at axis 0 keeps the batch.
constexpr double kBatchSize = -1e18;

struct Value {
  /// The .nn identifier holding it; empty for a constant not yet written.
  std::string id;
  int32_t elemType = 0;
  /// ONNX dims; when `batched`, dims[0] is the batch (kept as given).
  std::vector<int64_t> dims;
  bool batched = false;
  /// nnc's per-sample axis i holds ONNX per-sample axis perm[i]; empty when
  /// the order is ONNX's.
  std::vector<int> perm;
  std::optional<Tensor> constant;
  /// The initializer it came from (parameters keep that name), if any.
  std::string initializer;
  /// nnc class indices (i32): a class(N) input, an ArgMax, what only moves
  /// them. Every other integer value is numbers in f64.
  bool indices = false;
  /// A float16 value computed in f32 by this op type and not rounded to
  /// float16 (nnc rounds at graph outputs only): no other node may take it.
  std::string unroundedBy;

  /// Which ONNX axis is the batch, when `batched`: 0 but around a recurrent
  /// op, whose sequences are [T, N, ...] (ops other than Transpose, Squeeze,
  /// Unsqueeze and the recurrent ones take the batch on axis 0 only).
  int batchAxis = 0;
  /// A tensor of the batch's size filled with one number (a recurrent op's
  /// zero initial state, ConstantOfShape of a shape with the batch size).
  std::optional<double> fill;

  int rank() const { return static_cast<int>(dims.size()); }
  /// The per-sample dims in ONNX order.
  std::vector<int64_t> sampleDims() const {
    std::vector<int64_t> d = dims;
    if (batched)
      d.erase(d.begin() + batchAxis);
    return d;
  }
};

class GraphTranslator {
public:
  GraphTranslator(const onnx::ModelProto &model, int64_t opset, bool batchMode,
                  int64_t fixedBatch = 0, bool perSample = false)
      : model_(model), opset_(opset), batchMode_(batchMode),
        fixedBatch_(perSample ? 1 : fixedBatch), perSample_(perSample && !batchMode) {}
  ImportedModel translate(const std::string &modelName, const std::string &origin);

  /// Why axis 0 is not the batch (the batch-mode attempt's NotPerSample).
  std::string notBatch_;
  /// A per-sample translation that PerSampleCheck proved right (the header
  /// says so); or, for a whole-tensor one, why the check could not.
  bool perSampleChecked_ = false;
  std::string perSampleGap_;
  /// Every value translated, by ONNX name (for PerSampleCheck).
  const std::map<std::string, Value> &values() const { return values_; }

  // --- for the op translations --------------------------------------------
  int64_t opset() const { return opset_; }
  bool batchMode() const { return batchMode_; }
  const onnx::NodeProto &node() const { return *node_; }
  int inputCount() const;
  bool hasInput(int i) const;
  Value &input(int i);
  /// Input i's values, which must be known at import time.
  const Tensor &constantInput(int i, const std::string &what);
  bool outputUsed(int i) const;

  /// Attribute accessors (defaults when absent).
  bool hasAttr(const std::string &name) const;
  int64_t intAttr(const std::string &name, int64_t fallback) const;
  double floatAttr(const std::string &name, double fallback) const;
  std::string stringAttr(const std::string &name, const std::string &fallback) const;
  std::vector<int64_t> intsAttr(const std::string &name, std::vector<int64_t> fallback = {}) const;
  const onnx::AttributeProto *attr(const std::string &name) const;

  /// The value as an expression in ONNX's axis order (a transpose written if
  /// it is held in another; a constant declared).
  std::string onnxOrder(Value &v);
  /// A batched image [N, C, H, W] as an [H, W, C] expression per sample.
  std::string channelsLast(Value &v);
  /// An expression of `v` for elementwise use with `like`: in like's layout,
  /// a constant folded to a literal when it is one number.
  std::string operandFor(Value &v, const Value &like);

  /// Declares a parameter `name` (the saved name) with values; returns its id.
  std::string declareParam(const std::string &name, const Tensor &values, bool trainable);
  /// Whether `v` is a float initializer that several nodes use (or a Loop's
  /// body, once per iteration). Its uses then write the op with the one
  /// parameter onnxOrder declares for it, in ONNX's layout, instead of a
  /// layer each, so fine-tuning keeps them tied.
  bool sharedWeight(const Value &v) const;
  /// How many parameters' values are recorded so far.
  size_t weightCount() const { return weights_.size(); }
  /// Notes why weights were repeated (see ImportedModel::repeatedWeights).
  void noteRepeatedWeights(const std::string &why) {
    if (repeatedWeights_.empty())
      repeatedWeights_ = why;
  }
  /// Records the values of a layer's parameter (`conv1.weight`).
  void addWeight(const std::string &name, const std::vector<int64_t> &dims,
                 const std::vector<double> &values);
  /// A unique layer name from the initializer that holds its weight
  /// (`conv1.weight` -> `conv1`), else from the node.
  std::string layerName(const std::string &weightInit, const std::string &biasInit);

  /// Defines output i as `expr` (written as `ID = expr`).
  Value &define(int i, const std::string &expr, std::vector<int64_t> dims, int32_t elemType,
                bool batched, std::vector<int> perm = {}, int batchAxis = 0);
  /// Writes `ID = expr` for an intermediate; returns the fresh ID.
  std::string temporary(const std::string &base, const std::string &expr);
  /// Writes `def ID(args) { lines  return result }`; returns the fresh ID.
  std::string function(const std::string &base, const std::string &args,
                       const std::vector<std::string> &lines, const std::string &result);
  /// When output 0 is used only by an Add of a constant [units] vector (a
  /// bias), that vector and its initializer's name; else nullptr.
  const Tensor *fusableBias(int64_t units, std::string &initializer);
  /// The Add fusableBias found defines its output as output 0 of this node
  /// and is not translated itself.
  void fuseNextAdd();
  /// Output i is a softmax over the last axis of `logitsId`.
  void markSoftmaxOf(int i, const std::string &logitsId) { logitsOf_[node_->output(i)] = logitsId; }
  /// Output i holds 1s and 0s: a comparison's result, ONNX's bool.
  /// `inF64`: the 1s and 0s of a comparison of integers, computed in f64,
  /// are cast to the type bools compute in (f32 unless the model is double).
  void markBool(int i, bool inF64 = false);
  /// Output i is input `v` itself (Identity, Dropout).
  void alias(int i, const Value &v);
  /// Input i is a graph input of class labels for `classes` classes (the
  /// labels of a loss); fails when it is anything else.
  void classLabels(int i, int64_t classes);
  /// Output i is a constant known at import time.
  void defineConstant(int i, Tensor t);
  /// The value op `opType`'s translation gives for `inputs` (values an op
  /// made), with this node's attributes: an op written as another on
  /// adjusted inputs (ConvInteger as Conv on the inputs less their zero
  /// points). Messages name this node.
  Value translateAs(const std::string &opType, const std::vector<Value> &inputs);
  /// Translates the nodes of `g` (an If's branch, a Loop's body) in this
  /// graph's scope, its inputs bound to `inputs`, and returns the values of
  /// its outputs.
  std::vector<Value> translateBranch(const onnx::GraphProto &g, const std::vector<Value> &inputs = {});

  /// The source text of a constant or a number.
  static std::string literal(const Tensor &t);
  static std::string number(double v, int32_t elemType);
  static std::string nnType(int32_t elemType, const std::vector<int64_t> &dims);

  [[noreturn]] void fail(const std::string &message) const;
  [[noreturn]] void notPerSample(const std::string &why) const;
  /// Normalises a possibly negative axis of a rank-`rank` tensor.
  int64_t axis(int64_t a, int rank) const;

private:
  void bindInputs();
  /// Binds the initializers of `g` (the model's graph or an If's branch) as constants.
  void bindInitializers(const onnx::GraphProto &g);
  /// The rows of the table an integer input holds token ids of (its class count),
  /// or -1 when it holds a loss's labels (classLabels sets the count), or
  /// 0 when it is used only as numbers; throws ImportError when both.
  int64_t embeddingRows(const std::string &input) const;
  /// Whether a Gather looks up rows of a weight matrix (an initializer of
  /// rank 2, axis 0): an embedding, whose indices are token ids.
  bool isEmbeddingLookup(const onnx::NodeProto &gather) const;
  /// The ONNX dims of a value known before translation (an initializer, a
  /// graph input, a value_info), -1 where dynamic; empty when unknown.
  std::vector<int64_t> declaredDims(const std::string &name) const;
  /// Whether the model computes in double (its float inputs and initializers
  /// are all double, or its inputs integers): bool inputs are then cast to f64.
  bool doubleModel() const;
  void translateNode(const onnx::NodeProto &n);
  void writeOutputs();
  /// Drops the lines that define a value nothing reads (an exporter's
  /// Transpose read only by a Shape, which folded), so compiling the model
  /// does not warn about them. Lines that make parameters stay.
  void dropUnreadLines();
  std::string freshId(const std::string &onnxName);
  void line(const std::string &text) { body_.push_back(text); }

  const onnx::ModelProto &model_;
  int64_t opset_;
  bool batchMode_;
  int64_t fixedBatch_; // whole-tensor mode: a dynamic axis 0 is this size
  /// --per-sample: inputs and outputs are declared without axis 0 and
  /// reshaped to a batch of one inside.
  bool perSample_;
  int64_t batchSize_ = -1; // axis 0 of the inputs, when static
  const onnx::NodeProto *node_ = nullptr;
  std::string repeatedWeights_;
  /// Float initializers that several nodes use (sharedWeight).
  std::set<std::string> sharedWeights_;
  /// Initializer -> the parameter onnxOrder declared for it.
  std::map<std::string, std::string> weightIds_;
  /// Initializer -> the trainable parameters made from it; more than one
  /// means its uses would train apart (noted as repeated weights).
  std::map<std::string, std::set<std::string>> paramsOf_;
  std::set<std::string> initializerNames_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;
  std::set<std::string> ids_, paramNames_;
  std::map<std::string, std::string> outputIds_;
  std::map<std::string, std::string> logitsOf_; // softmax outputs -> their logits
  /// Class indices -> the id of their values as f64 numbers, for the ops that
  /// compute with them (translateNode).
  std::map<std::string, std::string> numbers_;
  /// Graph inputs of a loss's labels -> their header line and class count.
  std::map<std::string, std::pair<size_t, int64_t>> labels_;
  std::vector<ImportedOutput> outputs_;
  const onnx::NodeProto *fusedAdd_ = nullptr; // found by fusableBias
  std::set<const onnx::NodeProto *> skipped_; // Adds folded into a dense layer // graph output -> its reserved identifier
  std::vector<std::string> header_, params_, body_;
  std::vector<ImportedWeight> weights_;
};

/// Whether an ONNX element type is float or double (what nnc computes in).
bool isFloat(int32_t elemType);
/// Whether an ONNX element type is one of the integers (int8 .. uint64).
bool isInteger(int32_t elemType);
/// The storage type of a graph input or output of an ONNX element type
/// (bool, an integer, float16); Float for float and double.
Storage storageOf(int32_t elemType);

/// Translates the current node of `t`; false when the op is unknown.
bool translateOp(GraphTranslator &t, const std::string &op);
/// The op types translateOp knows, sorted.
std::vector<std::string> supportedOps();

} // namespace nnc::onnx_import
