//===- OnnxWriter.cpp - building an ONNX graph value by value -------------===//
#include "export/OnnxWriter.h"

#include <cstring>

namespace nnc::onnx_export {

int32_t onnxType(DType t) {
  switch (t) {
  case DType::F32:
    return onnx::TensorProto::FLOAT;
  case DType::F64:
    return onnx::TensorProto::DOUBLE;
  case DType::I32:
    return onnx::TensorProto::INT32;
  }
  return onnx::TensorProto::UNDEFINED;
}

int32_t onnxStorageType(Storage s) {
  switch (s) {
  case Storage::Float: break;
  case Storage::Bool: return onnx::TensorProto::BOOL;
  case Storage::I8: return onnx::TensorProto::INT8;
  case Storage::I16: return onnx::TensorProto::INT16;
  case Storage::I32: return onnx::TensorProto::INT32;
  case Storage::I64: return onnx::TensorProto::INT64;
  case Storage::U8: return onnx::TensorProto::UINT8;
  case Storage::U16: return onnx::TensorProto::UINT16;
  case Storage::U32: return onnx::TensorProto::UINT32;
  case Storage::U64: return onnx::TensorProto::UINT64;
  case Storage::F16: return onnx::TensorProto::FLOAT16;
  }
  return onnx::TensorProto::UNDEFINED;
}

std::string OnnxWriter::fresh(const std::string &base) {
  std::string name = base.empty() ? "t" : base;
  while (taken_->count(name))
    name = (base.empty() ? "t" : base) + "_" + std::to_string(++counter_);
  taken_->insert(name);
  return name;
}

std::string OnnxWriter::node(const std::string &opType, const std::vector<std::string> &inputs,
                             const std::vector<Attr> &attrs, const std::string &out) {
  return nodeOutputs(opType, inputs, attrs, {out.empty() ? fresh(opType) : out})[0];
}

std::vector<std::string> OnnxWriter::node(const std::string &opType,
                                          const std::vector<std::string> &inputs,
                                          const std::vector<Attr> &attrs, int outputs) {
  std::vector<std::string> names;
  for (int k = 0; k < outputs; ++k)
    names.push_back(fresh(opType + "_" + std::to_string(k)));
  return nodeOutputs(opType, inputs, attrs, names);
}

std::vector<std::string> OnnxWriter::nodeOutputs(const std::string &opType,
                                                 const std::vector<std::string> &inputs,
                                                 const std::vector<Attr> &attrs,
                                                 const std::vector<std::string> &outputs) {
  onnx::NodeProto *n = graph_.add_node();
  n->set_op_type(opType);
  n->set_name(outputs[0]);
  for (const std::string &in : inputs)
    n->add_input(in);
  for (const std::string &out : outputs)
    n->add_output(out);
  for (const Attr &a : attrs) {
    onnx::AttributeProto *p = n->add_attribute();
    p->set_name(a.name);
    switch (a.kind) {
    case Attr::Kind::Int:
      p->set_type(onnx::AttributeProto::INT);
      p->set_i(a.i);
      break;
    case Attr::Kind::Float:
      p->set_type(onnx::AttributeProto::FLOAT);
      p->set_f(a.f);
      break;
    case Attr::Kind::Ints:
      p->set_type(onnx::AttributeProto::INTS);
      for (int64_t v : a.ints)
        p->add_ints(v);
      break;
    case Attr::Kind::String:
      p->set_type(onnx::AttributeProto::STRING);
      p->set_s(a.s);
      break;
    case Attr::Kind::Strings:
      p->set_type(onnx::AttributeProto::STRINGS);
      for (int64_t k = 0; k < a.i; ++k)
        p->add_strings(a.s);
      break;
    }
  }
  return outputs;
}

namespace {

template <typename T> std::string rawBytes(const std::vector<double> &values) {
  std::string raw(values.size() * sizeof(T), '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    T v = static_cast<T>(values[i]);
    std::memcpy(&raw[i * sizeof(T)], &v, sizeof(T));
  }
  return raw;
}

} // namespace

std::string OnnxWriter::tensor(int32_t elemType, const std::vector<int64_t> &dims,
                               const std::vector<double> &values, const std::string &name) {
  onnx::TensorProto *t = graph_.add_initializer();
  std::string id = name.empty() ? fresh("const") : name;
  t->set_name(id);
  t->set_data_type(elemType);
  for (int64_t d : dims)
    t->add_dims(d);
  // raw_data is little-endian, as the x86-64 and AArch64 hosts nnc runs on.
  switch (elemType) {
  case onnx::TensorProto::FLOAT:
    t->set_raw_data(rawBytes<float>(values));
    break;
  case onnx::TensorProto::DOUBLE:
    t->set_raw_data(rawBytes<double>(values));
    break;
  case onnx::TensorProto::INT32:
    t->set_raw_data(rawBytes<int32_t>(values));
    break;
  default:
    t->set_raw_data(rawBytes<int64_t>(values));
    break;
  }
  return id;
}

void OnnxWriter::declare(onnx::ValueInfoProto *info, const std::string &name, int32_t elemType,
                         const TensorType &t) {
  info->set_name(name);
  onnx::TypeProto_Tensor *tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(elemType);
  onnx::TensorShapeProto *shape = tensor->mutable_shape();
  if (t.batched)
    shape->add_dim()->set_dim_param("N");
  for (int64_t d : t.dims)
    shape->add_dim()->set_dim_value(d);
}

std::string OnnxWriter::batchVector() {
  if (batchVector_.empty()) {
    std::string shape = node("Shape", {batchSource_});
    batchVector_ = node("Gather", {shape, ints({0})}, {Attr::of("axis", 0)}, fresh("batch"));
  }
  return batchVector_;
}

std::string OnnxWriter::fullShape(const TensorType &t) {
  if (!t.batched)
    return ints(t.dims);
  if (t.dims.empty())
    return batchVector();
  return node("Concat", {batchVector(), ints(t.dims)}, {Attr::of("axis", 0)});
}

std::string OnnxWriter::reshapeTo(const std::string &x, const TensorType &t) {
  std::vector<int64_t> dims = t.dims;
  if (t.batched)
    dims.insert(dims.begin(), -1);
  return node("Reshape", {x, ints(dims)});
}

} // namespace nnc::onnx_export
