//===- Interpolation.cpp - PyTorch's resampling index rules ---------------===//
#include "support/Interpolation.h"

#include <algorithm>
#include <cmath>

namespace nnc {

int64_t nearestSource(int64_t o, int64_t in, int64_t out, double scaleFactor) {
  if (out == in)
    return o;
  if (out == 2 * in)
    return o >> 1;
  float scale = scaleFactor > 0 ? float(1.0 / scaleFactor) : float(in) / float(out);
  return std::min<int64_t>(int64_t(std::floor(float(o) * scale)), in - 1);
}

template <typename T>
static std::vector<double> linear(int64_t in, int64_t out, bool alignCorners, double scaleFactor) {
  T scale;
  if (alignCorners)
    scale = out > 1 ? T(in - 1) / T(out - 1) : T(0);
  else
    scale = scaleFactor > 0 ? T(1.0 / scaleFactor) : T(in) / T(out);
  std::vector<double> M(static_cast<size_t>(out * in), 0.0);
  for (int64_t o = 0; o < out; ++o) {
    T src = alignCorners ? scale * T(o) : std::max(scale * (T(o) + T(0.5)) - T(0.5), T(0));
    int64_t i0 = std::min<int64_t>(int64_t(src), in - 1);
    T lambda1 = std::min(std::max(src - T(i0), T(0)), T(1));
    int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
    M[o * in + i0] += double(T(1) - lambda1);
    M[o * in + i1] += double(lambda1);
  }
  return M;
}

std::vector<double> linearWeights(int64_t in, int64_t out, bool alignCorners, double scaleFactor,
                                  bool inF32) {
  return inF32 ? linear<float>(in, out, alignCorners, scaleFactor)
               : linear<double>(in, out, alignCorners, scaleFactor);
}

std::vector<double> adaptiveAverageWeights(int64_t in, int64_t out) {
  std::vector<double> M(static_cast<size_t>(out * in), 0.0);
  for (int64_t o = 0; o < out; ++o) {
    int64_t start = o * in / out, end = ((o + 1) * in + out - 1) / out;
    for (int64_t i = start; i < end; ++i)
      M[o * in + i] = 1.0 / double(end - start);
  }
  return M;
}

} // namespace nnc
