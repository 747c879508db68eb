//===- Npy.h - writing NumPy .npy files -------------------------*- C++ -*-===//
#pragma once

#include "support/Storage.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc {

/// int64 elements (not a runtime dtype: class indices are i32 inside nnc).
constexpr int kNpyInt64 = 100;

/// The bytes of a version 1.0 .npy file (C order, little-endian) holding
/// `values` as `dtype` (NNRT_F32, NNRT_F64, NNRT_I32 or kNpyInt64) with
/// shape `dims`; as `storage` instead when it is not Float (a typed output:
/// bool is non-zero, integers wrap, f16 rounds to even; integer values must
/// be whole numbers, see integerBits).
std::string npyBytes(int dtype, const std::vector<int64_t> &dims,
                     const std::vector<double> &values, Storage storage = Storage::Float);

} // namespace nnc
