//===- FreezeInputs.cpp - graph inputs fixed at import time ---------------===//
#include "import/FreezeInputs.h"

#include "support/Suggest.h"

#include <cmath>
#include <cstdio>

namespace nnc::onnx_import {

namespace {

const onnx::ValueInfoProto &graphInput(const onnx::ModelProto &model, const std::string &name) {
  std::vector<std::string> names;
  for (const auto &in : model.graph().input()) {
    if (in.name() == name)
      return in;
    names.push_back(in.name());
  }
  throw ImportError{"--freeze " + name + ": the model has no graph input '" + name + "'" +
                    nnc::didYouMean(name, names)};
}

std::string formatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

} // namespace

onnx::TensorProto tensorForInput(const onnx::ModelProto &model, const std::string &name,
                                 const std::vector<int64_t> &dims,
                                 const std::vector<double> &values) {
  const auto &in = graphInput(model, name);
  int32_t type = in.type().tensor_type().elem_type();
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims)
    t.add_dims(d);
  for (double v : values) {
    switch (type) {
    case onnx::TensorProto_DataType_FLOAT: t.add_float_data(float(v)); break;
    case onnx::TensorProto_DataType_DOUBLE: t.add_double_data(v); break;
    case onnx::TensorProto_DataType_INT64:
    case onnx::TensorProto_DataType_INT32:
      if (v != std::floor(v) || std::fabs(v) > 9.007199254740992e15)
        throw ImportError{"--freeze " + name + ": the input holds integers; the file has " +
                          formatNumber(v)};
      if (type == onnx::TensorProto_DataType_INT64)
        t.add_int64_data(int64_t(v));
      else
        t.add_int32_data(int32_t(v));
      break;
    default:
      throw ImportError{"--freeze " + name + ": the input has element type " +
                        elemTypeName(type) + "; nnc freezes float, double, int64 and int32 inputs"};
    }
  }
  return t;
}

void freezeInput(onnx::ModelProto &model, const std::string &name, onnx::TensorProto value) {
  const auto &in = graphInput(model, name);
  const auto &tt = in.type().tensor_type();
  std::string what = "--freeze " + name;
  if (value.data_type() != tt.elem_type())
    throw ImportError{what + ": the value is " + elemTypeName(value.data_type()) +
                      ", the input " + elemTypeName(tt.elem_type())};
  std::vector<int64_t> dims(value.dims().begin(), value.dims().end());
  bool fits = tt.has_shape() && tt.shape().dim_size() == int(dims.size());
  for (int k = 0; fits && k < tt.shape().dim_size(); ++k) {
    const auto &d = tt.shape().dim(k);
    fits = !d.has_dim_value() || d.dim_value() <= 0 || d.dim_value() == dims[k];
  }
  if (!fits) {
    std::vector<int64_t> declared;
    for (const auto &d : tt.shape().dim())
      declared.push_back(d.has_dim_value() ? d.dim_value() : -1);
    throw ImportError{what + ": the value has shape " + dimsText(dims) + "; the input is " +
                      dimsText(declared) + " (-1: any size)"};
  }
  tensorValues(value, what); // the data matches the shape, the type is one nnc reads
  value.set_name(name);
  auto *inputs = model.mutable_graph()->mutable_input();
  for (int i = 0; i < inputs->size(); ++i)
    if (inputs->Get(i).name() == name) {
      inputs->DeleteSubrange(i, 1);
      break;
    }
  auto *inits = model.mutable_graph()->mutable_initializer();
  for (int i = 0; i < inits->size(); ++i)
    if (inits->Get(i).name() == name) { // IR 3: the initializer was listed as an input too
      inits->DeleteSubrange(i, 1);
      break;
    }
  // A Constant node first in the graph, not an initializer: the value is a
  // constant that folds like any other (a float initializer is a weight).
  auto *nodes = model.mutable_graph()->mutable_node();
  onnx::NodeProto *n = nodes->Add();
  n->set_op_type("Constant");
  n->set_name("frozen " + name);
  n->add_output(name);
  onnx::AttributeProto *a = n->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  *a->mutable_t() = std::move(value);
  for (int i = nodes->size() - 1; i > 0; --i)
    nodes->SwapElements(i, i - 1);
}

} // namespace nnc::onnx_import
