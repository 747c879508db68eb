//===- FreezeInputs.h - graph inputs fixed at import time -------*- C++ -*-===//
//
// `nnc import --freeze NAME=FILE`: a graph input whose value the importer
// must know (a Reshape's shape, a Resize's scales, a Slice's starts, the
// axes of a reduction) is bound to FILE's tensor and becomes an
// initializer, as if the exporter had folded it. nnc compiles static
// shapes, so such inputs cannot stay inputs.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "import/OnnxModel.h"

#include <string>

namespace nnc::onnx_import {

/// Turns graph input `name` into a Constant node of `value`, first in the
/// graph (a constant, not a weight, so it folds at import time). Throws
/// ImportError when there is no such input, or `value`'s element type or
/// shape is not the input's (a dynamic dimension takes any size).
void freezeInput(onnx::ModelProto &model, const std::string &name, onnx::TensorProto value);

/// A TensorProto of graph input `name`'s element type holding `values`
/// with shape `dims` (the driver reads them from a .npy file); throws
/// ImportError for an unknown input, an element type nnc does not
/// freeze, or an integer element type and a value that is not a whole number.
onnx::TensorProto tensorForInput(const onnx::ModelProto &model, const std::string &name,
                                 const std::vector<int64_t> &dims,
                                 const std::vector<double> &values);

} // namespace nnc::onnx_import
