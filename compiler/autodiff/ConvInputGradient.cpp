//===- ConvInputGradient.cpp - a stride-1 convolution's input gradient ----===//
//
// The adjoint of im2col is col2im, so a convolution's input gradient is
// first the product dY · Kᵀ (one row of taps x C per output pixel, 31 MB for
// the lecture CNN's conv2 at batch 50) and then a scatter-add of that matrix
// into the image. For a stride-1, undilated window it is also a forward
// convolution: dX = conv(dY padded by k-1-p, K flipped in both spatial axes
// with its channel axes swapped), which PyTorch's convolution backward
// computes the same way. As a convolution it is im2col + matmul again, and
// that im2col is packed from dY inside the GEMM (opt/Fusion.cpp,
// planImplicitIm2Col): no product matrix, no scatter.
//
//===----------------------------------------------------------------------===//
#include "autodiff/ConvInputGradient.h"

namespace nnc {

/// The window that slides over dY [OH, OW, F] and yields [H, W] pixels:
/// stride 1, each side padded by k - 1 - p. Null when a side would need a
/// negative padding (p >= k: pixels no window reads).
static bool flippedWindow(const Window &w, Window &out) {
  if (w.strideH != 1 || w.strideW != 1 || w.dilationH != 1 || w.dilationW != 1)
    return false;
  out = w;
  out.padTop = w.kh - 1 - w.padTop;
  out.padBottom = w.kh - 1 - w.padBottom;
  out.padLeft = w.kw - 1 - w.padLeft;
  out.padRight = w.kw - 1 - w.padRight;
  return out.padTop >= 0 && out.padBottom >= 0 && out.padLeft >= 0 && out.padRight >= 0;
}

Node *convInputGradient(Graph &G, Node *im2col, Node *g) {
  Node *image = im2col->operands[0];
  // g must be the forward product's adjoint and nothing else: dY · Kᵀ with
  // K [taps·C, F] shared by every sample (a per-sample kernel is a stack).
  if (g->op != OpKind::MatMul || g->transA || !g->transB || im2col->scalar != 0.0 ||
      image->type.dims.size() != 3)
    return nullptr;
  Node *dY = g->operands[0], *K = g->operands[1];
  const Window &w = im2col->window;
  int64_t H = image->type.dims[0], W = image->type.dims[1], C = image->type.dims[2];
  int64_t taps = w.kh * w.kw, F = K->type.dims.back();
  Window flipped;
  if (K->type.batched || K->type.dims != std::vector<int64_t>{taps * C, F} ||
      !flippedWindow(w, flipped))
    return nullptr;
  // K'[(i, j, f), c] = K[(kh-1-i, kw-1-j, c), f]: flipping both spatial axes
  // reverses the flattened tap index.
  std::vector<double> reversed(taps);
  for (int64_t t = 0; t < taps; ++t)
    reversed[t] = double(taps - 1 - t);
  Node *order = G.constant(DType::I32, {taps}, reversed);
  Node *k = G.gather(G.reshape(K, {taps, C, F}), order, 0);
  k = G.reshape(G.transpose(k, {0, 2, 1}), {taps * F, C});
  Node *dYimage = G.reshape(dY, {w.outH(H), w.outW(W), F});
  Node *cols = G.im2col(dYimage, flipped, 0.0); // [H·W, taps·F]
  return G.reshape(G.matmul(cols, k, false, false), {H, W, C});
}

} // namespace nnc
