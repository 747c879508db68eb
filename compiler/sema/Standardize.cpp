//===- Standardize.cpp - sema: an input standardised by fitted statistics -===//
//
// `nnc train --standardize NAME` (Keras' Normalization layer, adapted):
// NAME is used as (NAME - NAME.mean) / NAME.std, with the mean and standard
// deviation per channel (the last axis, or the one given) as buffers. The
// trainer fits them on the training data before the first step; they are
// saved with the parameters, so eval, predict, compiled objects and ONNX
// export compute with the same numbers.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

namespace nnc {

Node *Lowering::standardizeInput(const Interface &in, int64_t axis) {
  Graph &g = graph();
  Node *x = in.node;
  std::string flag = "--standardize " + in.name;
  if (in.isTarget || in.classes)
    diag_.fatal(in.loc, flag + ": '" + in.name + "' is " +
                            (in.classes ? "a class label" : "a target") +
                            "; only inputs of numbers can be standardised");
  const std::vector<int64_t> &dims = x->type.dims;
  int64_t rank = static_cast<int64_t>(dims.size());
  std::vector<int64_t> statDims(dims.size(), 1);
  if (rank > 0) {
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
      diag_.fatal(in.loc, flag + ":" + std::to_string(axis) + ": '" + in.name + "' is " +
                              x->type.shapeStr() + "; its axes are 0.." +
                              std::to_string(rank - 1) + " (or -1 for the last)");
    statDims[a] = dims[a];
  }
  TensorType statType{x->type.dtype, statDims, false};
  InitSpec ones;
  ones.kind = InitSpec::Kind::Constant;
  ones.a = 1;
  const char *fix = "rename the input or the layer that uses the name";
  Node *mean = createParam(in.name + ".mean", statType, InitSpec{}, false, in.loc, fix);
  Node *std = createParam(in.name + ".std", statType, ones, false, in.loc, fix);
  program_->state[mean->stateIndex].kind = StateTensor::Kind::Buffer;
  program_->state[std->stateIndex].kind = StateTensor::Kind::Buffer;
  Node *centered = g.binary(OpKind::Sub, x, g.broadcastTo(mean, x->type));
  return g.binary(OpKind::Div, centered, g.broadcastTo(std, x->type));
}

} // namespace nnc
