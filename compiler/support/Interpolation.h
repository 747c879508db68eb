//===- Interpolation.h - PyTorch's resampling index rules --------*- C++ -*-===//
//
// Which input elements an output element of nearest or linear resampling
// (and of adaptive average pooling) reads, as PyTorch 1.13's CPU kernels
// compute them (UpSample.h, AdaptiveAveragePooling.cpp). sema's `upsample`
// and `adaptive_avgpool` gather those elements, and `nnc import` compares
// an ONNX Resize's own rule against them before it writes an `upsample`,
// so both agree on one definition.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <vector>

namespace nnc {

/// Input index read by output `o` of nearest resampling from `in` to `out`
/// elements: min(floor(o · scale), in - 1), the scale 1/scaleFactor when
/// one was given (> 0), else in/out, in float as PyTorch computes it.
int64_t nearestSource(int64_t o, int64_t in, int64_t out, double scaleFactor);

/// PyTorch's 'nearest-exact': min(floor((o + 0.5) · scale), in - 1), the
/// scale as for nearestSource.
int64_t nearestExactSource(int64_t o, int64_t in, int64_t out, double scaleFactor);

/// Linear interpolation from `in` to `out` elements: output o is
/// weight0[o]·x[index0[o]] + weight1[o]·x[index1[o]], the two neighbours of
/// src = max((o + 0.5)·scale - 0.5, 0), or o·(in - 1)/(out - 1) with
/// alignCorners; computed in float when `inF32` (PyTorch's opmath for float
/// tensors), else in double.
struct LinearTaps {
  std::vector<int64_t> index0, index1;
  std::vector<double> weight0, weight1;
};
LinearTaps linearTaps(int64_t in, int64_t out, bool alignCorners, double scaleFactor, bool inF32);

/// Bicubic interpolation (PyTorch's, A = -0.75) from `in` to `out`
/// elements: output o is the sum over k < 4 of weight[k][o]·x[index[k][o]],
/// the neighbours floor(src) - 1 + k clamped to the input, src = (o + 0.5)·
/// scale - 0.5 (not clamped at 0), or o·(in - 1)/(out - 1) with
/// alignCorners; float or double as linearTaps.
struct CubicTaps {
  std::vector<int64_t> index[4];
  std::vector<double> weight[4];
};
CubicTaps cubicTaps(int64_t in, int64_t out, bool alignCorners, double scaleFactor, bool inF32);

/// The four weights of the cubic convolution kernel with coefficient `a`
/// at fraction t of the way from the second tap to the third.
void cubicWeights(double t, double a, double w[4]);

/// Adaptive average pooling's window for output o: inputs [begin, end),
/// begin = floor(o·in/out), end = ceil((o + 1)·in/out).
struct Window1D {
  int64_t begin, end;
};
Window1D adaptiveWindow(int64_t o, int64_t in, int64_t out);

} // namespace nnc
