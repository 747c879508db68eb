//===- ConvInputGradient.h - a stride-1 convolution's input gradient -*- C++ -*-===//
#pragma once

#include "ir/IR.h"

namespace nnc {

/// The adjoint of `im2col` (the windows of a convolution's input) when its
/// adjoint `g` is the convolution's dY · Kᵀ and the window has stride 1 and
/// no dilation: the input gradient as a forward convolution of dY with the
/// flipped kernel, [H, W, C] like the image. Null when that does not apply
/// (the caller scatters g with col2im).
Node *convInputGradient(Graph &G, Node *im2col, Node *g);

} // namespace nnc
