//===- OnnxExport.h - a model's predict graph as an ONNX model ---*- C++ -*-===//
//
// `nnc export` writes the inference graph a model compiles to: the predict
// entry's nodes after simplification, op by op, each as the ONNX operators
// that compute the same values. Inputs, outputs and parameters keep their
// names; the batch is the dynamic axis 0 ("N"). Layers are not rebuilt from
// the primitives (a conv2d is exported as its im2col gather and its matrix
// product), so onnxruntime computes exactly the graph nnc compiles.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Program.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <string>
#include <vector>

namespace nnc::onnx_export {

/// The opsets `nnc export --opset` accepts.
constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 17;

/// What cannot be exported; the message names the op and where the model
/// made it.
struct ExportError {
  std::string message;
  SourceLoc loc;
};

/// The values of state tensor `index` (parameters, frozen tensors, buffers).
using StateReader = std::function<std::vector<double>(int index)>;

/// The predict entry of `p` as an ONNX model at `opset`; throws ExportError.
onnx::ModelProto exportModel(const Program &p, const StateReader &state, int64_t opset);

} // namespace nnc::onnx_export
