//===- Npy.h - writing NumPy .npy files -------------------------*- C++ -*-===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnc {

/// int64 elements (not a runtime dtype: class indices are i32 inside nnc).
constexpr int kNpyInt64 = 100;
/// numpy bool elements ('|b1'): True where the value is non-zero (a bool
/// output's 1s and 0s).
constexpr int kNpyBool = 101;

/// The bytes of a version 1.0 .npy file (C order, little-endian) holding
/// `values` as `dtype` (NNRT_F32, NNRT_F64, NNRT_I32, kNpyInt64
/// or kNpyBool) with
/// shape `dims`.
std::string npyBytes(int dtype, const std::vector<int64_t> &dims,
                     const std::vector<double> &values);

} // namespace nnc
