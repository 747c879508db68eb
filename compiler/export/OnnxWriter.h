//===- OnnxWriter.h - building an ONNX graph value by value -----*- C++ -*-===//
//
// The exporter's pen: fresh value names, nodes with attributes, constant
// initializers, and the dynamic batch. Every ONNX value it makes has the
// full shape of an nnc value: the batch (when the value is batched) as axis
// 0, then the per-sample dims.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "support/Storage.h"

#include "onnx/onnx_pb.h"

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

namespace nnc::onnx_export {

/// onnx::TensorProto's element type of an nnc dtype.
int32_t onnxType(DType t);
/// onnx::TensorProto's element type of a typed input or output's storage
/// (bool, i8 .. u64, f16); not Float.
int32_t onnxStorageType(Storage s);

/// One attribute of a node: an int, a float, ints, a string, or one string
/// repeated (`s`, `i` times).
struct Attr {
  enum class Kind { Int, Float, Ints, String, Strings };
  Kind kind = Kind::Int;
  std::string name;
  int64_t i = 0;
  float f = 0;
  std::vector<int64_t> ints;
  std::string s;

  static Attr of(const std::string &name, int64_t v) { return make(Kind::Int, name, v); }
  static Attr real(const std::string &name, double v) {
    Attr a = make(Kind::Float, name);
    a.f = float(v);
    return a;
  }
  static Attr list(const std::string &name, std::vector<int64_t> v) {
    Attr a = make(Kind::Ints, name);
    a.ints = std::move(v);
    return a;
  }
  static Attr text(const std::string &name, std::string v) {
    Attr a = make(Kind::String, name);
    a.s = std::move(v);
    return a;
  }
  static Attr texts(const std::string &name, std::string one, int times = 1) {
    Attr a = make(Kind::Strings, name, times);
    a.s = std::move(one);
    return a;
  }

private:
  static Attr make(Kind kind, const std::string &name, int64_t i = 0) {
    Attr a;
    a.kind = kind;
    a.name = name;
    a.i = i;
    return a;
  }
};

class OnnxWriter {
public:
  explicit OnnxWriter(onnx::GraphProto &graph, std::set<std::string> *taken)
      : graph_(graph), taken_(taken) {}

  /// A name no other value has, from `base`.
  std::string fresh(const std::string &base);
  /// Adds a node; returns its (first) output, named `out` or fresh.
  std::string node(const std::string &opType, const std::vector<std::string> &inputs,
                   const std::vector<Attr> &attrs = {}, const std::string &out = "");
  /// A node with `outputs` fresh outputs ("" inputs are omitted optional ones).
  std::vector<std::string> node(const std::string &opType, const std::vector<std::string> &inputs,
                                const std::vector<Attr> &attrs, int outputs);
  /// An initializer of `dtype` with `dims` and `values` (one value per
  /// element), named `name` or fresh.
  std::string tensor(int32_t elemType, const std::vector<int64_t> &dims,
                     const std::vector<double> &values, const std::string &name = "");
  std::string ints(const std::vector<int64_t> &values) {
    return tensor(onnx::TensorProto::INT64, {int64_t(values.size())},
                  std::vector<double>(values.begin(), values.end()));
  }
  std::string scalar(DType t, double value) { return tensor(onnxType(t), {}, {value}); }
  /// A graph input or output declaration with the value's full shape.
  void declare(onnx::ValueInfoProto *info, const std::string &name, int32_t elemType,
               const TensorType &t);

  /// The batch size as a 1-D int64 tensor [B], read from `batchSource`
  /// (a batched graph input) once.
  std::string batchVector();
  void setBatchSource(const std::string &name) { batchSource_ = name; }
  bool hasBatchSource() const { return !batchSource_.empty(); }
  /// A shape tensor for `t`'s full dims: [B, dims...] with the batch read at
  /// run time when batched.
  std::string fullShape(const TensorType &t);
  /// `x` reshaped to `t`'s full dims (the batch as -1).
  std::string reshapeTo(const std::string &x, const TensorType &t);

  onnx::GraphProto &graph() { return graph_; }

private:
  std::vector<std::string> nodeOutputs(const std::string &opType,
                                       const std::vector<std::string> &inputs,
                                       const std::vector<Attr> &attrs,
                                       const std::vector<std::string> &outputs);
  onnx::GraphProto &graph_;
  std::set<std::string> *taken_; // shared with subgraphs: ONNX names are global
  std::string batchSource_, batchVector_;
  int counter_ = 0;
};

} // namespace nnc::onnx_export
