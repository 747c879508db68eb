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
static LinearTaps linear(int64_t in, int64_t out, bool alignCorners, double scaleFactor) {
  T scale;
  if (alignCorners)
    scale = out > 1 ? T(in - 1) / T(out - 1) : T(0);
  else
    scale = scaleFactor > 0 ? T(1.0 / scaleFactor) : T(in) / T(out);
  LinearTaps taps;
  for (int64_t o = 0; o < out; ++o) {
    T src = alignCorners ? scale * T(o) : std::max(scale * (T(o) + T(0.5)) - T(0.5), T(0));
    int64_t i0 = std::min<int64_t>(int64_t(src), in - 1);
    T lambda1 = std::min(std::max(src - T(i0), T(0)), T(1));
    taps.index0.push_back(i0);
    taps.index1.push_back(i0 + (i0 < in - 1 ? 1 : 0));
    taps.weight0.push_back(double(T(1) - lambda1));
    taps.weight1.push_back(double(lambda1));
  }
  return taps;
}

LinearTaps linearTaps(int64_t in, int64_t out, bool alignCorners, double scaleFactor, bool inF32) {
  return inF32 ? linear<float>(in, out, alignCorners, scaleFactor)
               : linear<double>(in, out, alignCorners, scaleFactor);
}

Window1D adaptiveWindow(int64_t o, int64_t in, int64_t out) {
  return {o * in / out, ((o + 1) * in + out - 1) / out};
}

} // namespace nnc
