//===- Importer.h - an ONNX graph as an nnc model ---------------*- C++ -*-===//
//
// `nnc import`: translates an ONNX model into readable .nn source (the
// language's layers where one fits: Conv -> conv2d, Gemm -> dense, ...)
// and the weights, by the parameter names that source gives them (the
// ONNX initializer names). docs/onnx.md describes the rules.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "import/OnnxModel.h"
#include "support/Identifiers.h"
#include "support/Storage.h"

#include <string>
#include <vector>

namespace nnc::onnx_import {

using nnc::identifierFor;

/// A parameter's values, in the layout the .nn source gives it.
struct ImportedWeight {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<double> values;
};

/// A graph output as the .nn declares it.
struct ImportedOutput {
  std::string id;
  std::vector<int64_t> sampleDims; // without the batch axis
  /// What a cross-entropy loss takes: the input of a final Softmax or
  /// LogSoftmax over the last axis (the logits), else the output itself.
  std::string logits;
  /// ONNX's bool, integer or float16 type: `output y: bool`, `: i64`, `: f16`.
  Storage storage = Storage::Float;
};

struct ImportedModel {
  std::string source;
  std::vector<ImportedWeight> weights;
  std::vector<ImportedOutput> outputs;
  /// Whether axis 0 of the inputs and outputs is the batch (else the whole
  /// tensor is one sample).
  bool batched = true;
  /// Why one ONNX weight became several parameters (an unrolled Loop's
  /// body): they start equal but would train apart, so fine-tuning is
  /// refused. Empty when every weight is one parameter.
  std::string repeatedWeights;
  /// --per-sample on a graph the per-sample check could not follow: why
  /// (the driver warns; the user vouched for it).
  std::string uncheckedPerSample;
};

/// Throws ImportError naming the op, the node and the opset where they apply.
/// `fixedBatch` > 0 (nnc import --batch N): when axis 0 cannot be the batch,
/// a dynamic axis 0 is taken as N, so the whole tensors can be one sample.
/// `perSample` (--per-sample): when axis 0 cannot be the batch, each sample
/// runs through the graph as a batch of one (axis 0 fixed at 1 inside, the
/// batch outside): right for a graph that computes every sample on its own.
ImportedModel importOnnx(const onnx::ModelProto &model, int64_t opset,
                         const std::string &modelName, const std::string &origin,
                         int64_t fixedBatch = 0, bool perSample = false);

} // namespace nnc::onnx_import
