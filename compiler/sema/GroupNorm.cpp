//===- GroupNorm.cpp - sema: nn.GroupNorm over channels-last tensors ------===//
//
// PyTorch normalises each sample's channel groups of (N, C, *) over the
// group's channels and every position. nnc's channels are the last axis
// ([H, W, C] images, [T, C] sequences, [C] vectors), so the sample is seen
// as [positions, groups, C / groups] and normalised over axes 0 and 2:
// the same numbers as PyTorch on the permuted tensor.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

namespace nnc {

/// group_norm(x, groups, eps = 1e-5, affine = true): (x - mean) / sqrt(var +
/// eps) per group, biased variance, then per-channel weight (ones) and bias
/// (zeros) when affine (`NAME.weight`, `NAME.bias`, nn.GroupNorm's keys).
Node *Lowering::groupNorm(const Expr &e) {
  Graph &g = graph();
  CallArgs a = bind(e, {"x", "groups", "eps", "affine", "name", "trainable"}, 2);
  Node *x = tensorArg(a, "x");
  const std::vector<int64_t> &dims = x->type.dims;
  if (dims.empty() || x->type.dtype == DType::I32)
    operandError(*a.get("x"), "'group_norm' needs a float tensor with channels (the last axis), got " +
                                  x->type.str());
  int64_t channels = dims.back();
  int64_t groups = intLiteral(*a.get("groups"), "groups", 1, channels);
  if (channels % groups != 0)
    diag_.fatal(a.loc("groups"), "'group_norm' splits " + std::to_string(channels) +
                                     " channels into " + std::to_string(groups) +
                                     " groups, which does not divide them");
  double eps = a.get("eps") ? scalarLiteral(*a.get("eps"), "eps") : 1e-5;
  if (!(eps > 0))
    diag_.fatal(a.get("eps")->loc, "group_norm 'eps' must be positive");
  bool affine = !a.get("affine") || scalarLiteral(*a.get("affine"), "affine") != 0;
  int64_t positions = x->type.elementsPerSample() / channels;
  Node *grouped = g.reshape(x, {positions, groups, channels / groups});
  Node *y = g.reshape(normalized(grouped, {0, 2}, eps), dims);
  return affine ? withAffine(a, "group_norm", y, {channels}) : y;
}

} // namespace nnc
