//===- OnnxModel.h - reading and validating an ONNX file --------*- C++ -*-===//
//
// The importer's view of an ONNX file: parsed by the ONNX library's own
// protobuf classes and checked by its checker (its shape inference is not
// run: it crashes on some hostile files, and the importer computes every
// shape itself). Anything the importer cannot trust (a truncated file,
// external data, an opset outside 1..17) is refused here with a message
// that names the file.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "onnx/onnx_pb.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::onnx_import {

/// The oldest and newest default-domain opsets the importer translates
/// (before 7, the legacy `broadcast`/`axis` attributes of arithmetic and
/// Pad's `paddings` are honoured: the PyTorch-converted models of the ONNX
/// test suite are opset 6, a few node tests opset 1).
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 17;
/// The largest ONNX file read (protobuf's own limit is 2 GiB).
constexpr uint64_t kMaxOnnxBytes = uint64_t(2) << 30;

/// An ImportError's message is the whole line after `FILE: error: `.
struct ImportError {
  std::string message;
};

/// A tensor whose values are known when importing (an initializer, a
/// Constant node, a folded shape computation), values as doubles.
struct Tensor {
  int32_t elemType = 0; // onnx::TensorProto_DataType
  std::vector<int64_t> dims;
  std::vector<double> values;
  int64_t count() const;
};

/// Reads `path`: parse, nnc's own checks, the ONNX checker; throws ImportError.
/// `opset` gets the default domain's opset version.
onnx::ModelProto readOnnxModel(const std::string &path, int64_t &opset);
/// The same for the bytes of a model (the fuzzer's way in).
onnx::ModelProto parseOnnxModel(const std::string &bytes, int64_t &opset);

/// The values of a TensorProto (raw_data or the typed fields); throws
/// ImportError for external data, a size that does not match the shape, or
/// an element type other than float, double, int64, int32 and bool.
Tensor tensorValues(const onnx::TensorProto &t, const std::string &what);

/// "[2, 3]": dims as the importer writes them in messages and .nn source.
std::string dimsText(const std::vector<int64_t> &dims);
/// An element count computed in double (it may exceed any integer type) for
/// a message: exact below 2^53, else in scientific notation.
std::string countText(double n);

/// A node's first output that is given (optional outputs may be left
/// empty, Y of an LSTM that only Y_h is read from); empty when none is.
std::string firstOutput(const onnx::NodeProto &n);

/// How messages name a node: 'its name', or producing 'its first output'.
std::string nodeLabel(const onnx::NodeProto &n);

/// "float", "int64", ... for messages.
std::string elemTypeName(int32_t elemType);

} // namespace nnc::onnx_import
