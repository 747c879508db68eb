//===- Interpolation.h - PyTorch's resampling index rules --------*- C++ -*-===//
//
// Which input elements an output element of nearest or linear resampling
// reads, as PyTorch 1.13's CPU kernels compute them (UpSample.h). sema's
// `upsample` builds its gathers and matrices from these, and `nnc import`
// compares an ONNX Resize's own rule against them before it writes an
// `upsample`, so both agree on one definition.
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

/// The [out, in] row-major matrix of linear interpolation: row o weights
/// the two neighbours of src = max((o + 0.5)·scale - 0.5, 0), or
/// o·(in - 1)/(out - 1) with alignCorners; computed in float when `inF32`
/// (PyTorch's opmath for float tensors), else in double.
std::vector<double> linearWeights(int64_t in, int64_t out, bool alignCorners, double scaleFactor,
                                  bool inF32);

/// The [out, in] matrix of adaptive average pooling: output o averages the
/// inputs floor(o·in/out) to ceil((o+1)·in/out) - 1.
std::vector<double> adaptiveAverageWeights(int64_t in, int64_t out);

} // namespace nnc
