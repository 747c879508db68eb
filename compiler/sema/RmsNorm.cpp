//===- RmsNorm.cpp - sema: root-mean-square normalisation -----------------===//
//
// nn.RMSNorm (PyTorch 2.4; 1.13 has none): x / sqrt(mean(x²) + eps) over
// the trailing `shape` dims of each sample, then an elementwise weight.
// No mean is subtracted and there is no bias, which is what makes it
// cheaper than layer_norm in the transformers that use it.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

#include <cfloat>

namespace nnc {

/// rms_norm(x, shape = [last dim], eps = the dtype's machine epsilon,
/// affine = true): PyTorch's default eps is torch.finfo(x.dtype).eps; the
/// weight `NAME.weight` starts at ones.
Node *Lowering::rmsNorm(const Expr &e) {
  Graph &g = graph();
  CallArgs a = bind(e, {"x", "shape", "eps", "affine", "name", "trainable"}, 1);
  Node *x = tensorArg(a, "x");
  const std::vector<int64_t> &dims = x->type.dims;
  std::vector<int64_t> shape = trailingShape(a, x, "rms_norm");
  double eps = x->type.dtype == DType::F64 ? DBL_EPSILON : double(FLT_EPSILON);
  if (const Expr *ep = a.get("eps")) {
    eps = scalarLiteral(*ep, "eps");
    if (!(eps > 0))
      diag_.fatal(ep->loc, "rms_norm 'eps' must be positive");
  }
  bool affine = !a.get("affine") || scalarLiteral(*a.get("affine"), "affine") != 0;
  std::vector<int64_t> axes;
  for (size_t i = dims.size() - shape.size(); i < dims.size(); ++i)
    axes.push_back(int64_t(i));
  Node *meanSquare = mean(g.binary(OpKind::Mul, x, x), axes, true);
  Node *rms = g.unary(OpKind::Sqrt, g.binary(OpKind::Add, meanSquare, scalarOf(eps, meanSquare->type)));
  Node *y = g.binary(OpKind::Div, x, g.broadcastTo(rms, x->type));
  if (!affine)
    return y;
  std::string name = layerName(a, "rms_norm");
  InitSpec ones;
  ones.kind = InitSpec::Kind::Constant;
  ones.a = 1;
  Node *w = createParam(name + ".weight", TensorType{x->type.dtype, shape, false}, ones,
                        trainableArg(a), a.call->loc);
  return g.binary(OpKind::Mul, y, g.broadcastTo(w, y->type));
}

} // namespace nnc
