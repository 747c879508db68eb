//===- OnnxModel.cpp - reading and validating an ONNX file -----------------===//
#include "import/OnnxModel.h"
#include "support/StoredValues.h"

#include "import/GraphTranslator.h"
#include "support/Diagnostics.h"

#include <algorithm>

#include "onnx/checker.h"

#include <cstdio>
#include <cstring>
#include <sys/stat.h>

namespace nnc::onnx_import {

int64_t Tensor::count() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

std::string elemTypeName(int32_t t) {
  switch (t) {
  case onnx::TensorProto_DataType_FLOAT: return "float";
  case onnx::TensorProto_DataType_DOUBLE: return "double";
  case onnx::TensorProto_DataType_FLOAT16: return "float16";
  case onnx::TensorProto_DataType_BFLOAT16: return "bfloat16";
  case onnx::TensorProto_DataType_INT64: return "int64";
  case onnx::TensorProto_DataType_INT32: return "int32";
  case onnx::TensorProto_DataType_INT16: return "int16";
  case onnx::TensorProto_DataType_INT8: return "int8";
  case onnx::TensorProto_DataType_UINT8: return "uint8";
  case onnx::TensorProto_DataType_UINT16: return "uint16";
  case onnx::TensorProto_DataType_UINT32: return "uint32";
  case onnx::TensorProto_DataType_UINT64: return "uint64";
  case onnx::TensorProto_DataType_BOOL: return "bool";
  case onnx::TensorProto_DataType_STRING: return "string";
  case onnx::TensorProto_DataType_COMPLEX64: return "complex64";
  case onnx::TensorProto_DataType_COMPLEX128: return "complex128";
  default: return "element type " + std::to_string(t);
  }
}

namespace {

template <typename T> void appendRaw(const std::string &raw, std::vector<double> &out) {
  size_t n = raw.size() / sizeof(T);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out.push_back(static_cast<double>(v));
  }
}

size_t elemSize(int32_t t) {
  switch (t) {
  case onnx::TensorProto_DataType_FLOAT:
  case onnx::TensorProto_DataType_INT32:
  case onnx::TensorProto_DataType_UINT32: return 4;
  case onnx::TensorProto_DataType_DOUBLE:
  case onnx::TensorProto_DataType_INT64:
  case onnx::TensorProto_DataType_UINT64: return 8;
  case onnx::TensorProto_DataType_FLOAT16:
  case onnx::TensorProto_DataType_INT16:
  case onnx::TensorProto_DataType_UINT16: return 2;
  case onnx::TensorProto_DataType_BOOL:
  case onnx::TensorProto_DataType_INT8:
  case onnx::TensorProto_DataType_UINT8: return 1;
  default: return 0;
  }
}

/// The ONNX library's multi-line messages as one line.
std::string oneLine(const std::string &text) {
  std::string out;
  for (char c : text) {
    bool space = c == '\n' || c == '\r' || c == ' ' || c == '\t';
    if (space && (out.empty() || out.back() == ' '))
      continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

} // namespace

std::string dimsText(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string countText(double n) {
  if (n >= 0 && n < 9007199254740992.0)
    return std::to_string(static_cast<int64_t>(n));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", n);
  return buf;
}

std::string firstOutput(const onnx::NodeProto &n) {
  for (const std::string &out : n.output())
    if (!out.empty())
      return out;
  return {};
}

std::string nodeLabel(const onnx::NodeProto &n) {
  return n.name().empty() ? "producing '" + firstOutput(n) + "'" : "'" + n.name() + "'";
}

Tensor tensorValues(const onnx::TensorProto &t, const std::string &what) {
  Tensor out;
  out.elemType = t.data_type();
  if (t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL || t.external_data_size() > 0)
    throw ImportError{what + " keeps its data in an external file; nnc imports only "
                             "self-contained models (save with all tensors inside the .onnx)"};
  size_t size = elemSize(out.elemType);
  if (size == 0)
    throw ImportError{what + " has element type " + elemTypeName(out.elemType) +
                      "; nnc imports float, double, float16, integer and bool tensors"};
  double count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0)
      throw ImportError{what + " has a negative dimension (" + std::to_string(d) + ")"};
    out.dims.push_back(d);
    count *= double(d);
  }
  if (count > double(uint64_t(1) << 32))
    throw ImportError{what + " declares " + countText(count) +
                      " elements; nnc imports at most 2^32 per tensor"};
  const int64_t n = static_cast<int64_t>(count);
  auto mismatch = [&](int64_t have) {
    return ImportError{what + " declares " + std::to_string(n) + " elements (shape " +
                       dimsText(out.dims) + ") but holds " + std::to_string(have)};
  };
  if (t.has_raw_data()) {
    const std::string &raw = t.raw_data();
    if (raw.size() % size != 0 || int64_t(raw.size() / size) != n)
      throw mismatch(int64_t(raw.size() / size));
    switch (out.elemType) {
    case onnx::TensorProto_DataType_FLOAT: appendRaw<float>(raw, out.values); break;
    case onnx::TensorProto_DataType_DOUBLE: appendRaw<double>(raw, out.values); break;
    case onnx::TensorProto_DataType_INT64: appendRaw<int64_t>(raw, out.values); break;
    case onnx::TensorProto_DataType_INT32: appendRaw<int32_t>(raw, out.values); break;
    case onnx::TensorProto_DataType_BOOL: appendRaw<uint8_t>(raw, out.values); break;
    case onnx::TensorProto_DataType_INT8: appendRaw<int8_t>(raw, out.values); break;
    case onnx::TensorProto_DataType_UINT8: appendRaw<uint8_t>(raw, out.values); break;
    case onnx::TensorProto_DataType_INT16: appendRaw<int16_t>(raw, out.values); break;
    case onnx::TensorProto_DataType_UINT16: appendRaw<uint16_t>(raw, out.values); break;
    case onnx::TensorProto_DataType_UINT32: appendRaw<uint32_t>(raw, out.values); break;
    case onnx::TensorProto_DataType_UINT64: appendRaw<uint64_t>(raw, out.values); break;
    case onnx::TensorProto_DataType_FLOAT16:
      appendRaw<uint16_t>(raw, out.values);
      for (double &v : out.values)
        v = halfValue(uint16_t(v));
      break;
    }
    return out;
  }
  switch (out.elemType) {
  case onnx::TensorProto_DataType_FLOAT:
    out.values.assign(t.float_data().begin(), t.float_data().end());
    break;
  case onnx::TensorProto_DataType_DOUBLE:
    out.values.assign(t.double_data().begin(), t.double_data().end());
    break;
  case onnx::TensorProto_DataType_INT64:
    for (int64_t v : t.int64_data())
      out.values.push_back(double(v));
    break;
  case onnx::TensorProto_DataType_UINT32:
  case onnx::TensorProto_DataType_UINT64:
    for (uint64_t v : t.uint64_data())
      out.values.push_back(double(v));
    break;
  case onnx::TensorProto_DataType_FLOAT16: // the bits, in int32_data
    for (int32_t v : t.int32_data())
      out.values.push_back(halfValue(uint16_t(v)));
    break;
  default: // int32, the narrower integers and bool are stored in int32_data
    for (int32_t v : t.int32_data())
      out.values.push_back(double(v));
    break;
  }
  if (int64_t(out.values.size()) != n)
    throw mismatch(int64_t(out.values.size()));
  return out;
}

onnx::ModelProto readOnnxModel(const std::string &path, int64_t &opset) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw ImportError{"not a regular file"};
  std::string bytes, error;
  if (!readFile(path, bytes, error, kMaxOnnxBytes))
    throw ImportError{error};
  if (bytes.empty())
    throw ImportError{"the file is empty; expected an ONNX model"};
  return parseOnnxModel(bytes, opset);
}

onnx::ModelProto parseOnnxModel(const std::string &bytes, int64_t &opset) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw ImportError{"not an ONNX model: the protobuf does not parse (truncated or corrupted)"};
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw ImportError{"not an ONNX model: it has no graph (or an empty one)"};
  opset = -1;
  for (const auto &imp : model.opset_import()) {
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
    else if (imp.domain() != "ai.onnx.ml")
      throw ImportError{"the model uses operator domain '" + imp.domain() +
                        "'; nnc imports the default ONNX domain only"};
  }
  if (opset < 0)
    throw ImportError{"the model imports no default-domain opset"};
  if (opset < kMinOpset || opset > kMaxOpset)
    throw ImportError{"the model uses opset " + std::to_string(opset) + "; nnc imports opsets " +
                      std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset)};
  // What nnc refuses anyway is said in nnc's words before the checker runs.
  for (const auto &t : model.graph().initializer())
    if (t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL || t.external_data_size() > 0)
      throw ImportError{"initializer '" + t.name() + "' keeps its data in an external file; nnc "
                        "imports only self-contained models (save with all tensors inside the .onnx)"};
  for (const auto &n : model.graph().node())
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      throw ImportError{n.op_type() + " node '" +
                        (n.name().empty() ? firstOutput(n) : n.name()) +
                        "' is an op of domain '" + n.domain() +
                        "'; nnc imports ops of the default ONNX domain only"};
  // Ops nnc does not import are refused first, in nnc's words.
  const std::vector<std::string> supported = supportedOps();
  for (const auto &n : model.graph().node())
    if (!std::binary_search(supported.begin(), supported.end(), n.op_type()))
      throw ImportError{n.op_type() + " node " + nodeLabel(n) +
                        " (opset " + std::to_string(opset) + "): nnc does not import the op " +
                        n.op_type()};
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    throw ImportError{"the ONNX checker refuses the model: " + oneLine(e.what())};
  }
  // ONNX's shape inference is not run: the importer computes every shape it
  // uses itself, and libonnx 1.12's inference crashes on some hostile files
  // (the fuzzer's findings, docs/robustness.md).
  return model;
}

} // namespace nnc::onnx_import
