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

int64_t nearestExactSource(int64_t o, int64_t in, int64_t out, double scaleFactor) {
  float scale = scaleFactor > 0 ? float(1.0 / scaleFactor) : float(in) / float(out);
  // (o + 0.5)·scale in double, then floorf's float, as PyTorch's kernel.
  return std::min<int64_t>(int64_t(std::floor(float((double(o) + 0.5) * scale))), in - 1);
}

/// PyTorch's area_pixel_compute_scale: input pixels per output pixel.
template <typename T>
static T pixelScale(int64_t in, int64_t out, bool alignCorners, double scaleFactor) {
  if (alignCorners)
    return out > 1 ? T(in - 1) / T(out - 1) : T(0);
  return scaleFactor > 0 ? T(1.0 / scaleFactor) : T(in) / T(out);
}

template <typename T>
static LinearTaps linear(int64_t in, int64_t out, bool alignCorners, double scaleFactor) {
  T scale = pixelScale<T>(in, out, alignCorners, scaleFactor);
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

template <typename T> static void cubicKernel(T t, T a, T w[4]) {
  // PyTorch's cubic_convolution1 (|x| <= 1) and cubic_convolution2 (1 < |x| < 2).
  auto near = [a](T x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  auto far = [a](T x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

void cubicWeights(double t, double a, double w[4]) { cubicKernel<double>(t, a, w); }

template <typename T>
static CubicTaps cubic(int64_t in, int64_t out, bool alignCorners, double scaleFactor) {
  T scale = pixelScale<T>(in, out, alignCorners, scaleFactor);
  CubicTaps taps;
  for (int64_t o = 0; o < out; ++o) {
    T src = alignCorners ? scale * T(o) : scale * (T(o) + T(0.5)) - T(0.5);
    int64_t i0 = std::min<int64_t>(int64_t(std::floor(float(src))), in - 1);
    T t = std::min(std::max(src - T(i0), T(0)), T(1));
    T w[4];
    cubicKernel<T>(t, T(-0.75), w);
    for (int k = 0; k < 4; ++k) {
      taps.index[k].push_back(std::clamp<int64_t>(i0 - 1 + k, 0, in - 1));
      taps.weight[k].push_back(double(w[k]));
    }
  }
  return taps;
}

CubicTaps cubicTaps(int64_t in, int64_t out, bool alignCorners, double scaleFactor, bool inF32) {
  return inF32 ? cubic<float>(in, out, alignCorners, scaleFactor)
               : cubic<double>(in, out, alignCorners, scaleFactor);
}

Window1D adaptiveWindow(int64_t o, int64_t in, int64_t out) {
  return {o * in / out, ((o + 1) * in + out - 1) / out};
}

} // namespace nnc
