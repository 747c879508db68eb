//===- Npy.h - writing NumPy .npy files -------------------------*- C++ -*-===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnc {

/// int64 elements (not a runtime dtype: class indices are i32 inside nnc).
constexpr int kNpyInt64 = 100;

/// The bytes of a version 1.0 .npy file (C order, little-endian) holding
/// `values` as `dtype` (NNRT_F32, NNRT_F64, NNRT_I32 or kNpyInt64) with
/// shape `dims`.
std::string npyBytes(int dtype, const std::vector<int64_t> &dims,
                     const std::vector<double> &values);

} // namespace nnc
