//===- StoredValues.h - values as a typed input or output stores them -----===//
//
// The conversions at a model's edges for `input x: i64[...]`,
// `output y: u8 = ...`, `f16`: what a float value is as the stored type
// (integers wrap modulo 2^bits, as C++ narrows an integer; f16 rounds to
// nearest even) and back.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_STOREDVALUES_H
#define NNC_SUPPORT_STOREDVALUES_H

#include "support/Storage.h"

#include <cstdint>
#include <string>

namespace nnc {

/// The IEEE half-precision bits nearest `v` (ties to even; overflow to inf).
uint16_t halfBits(double v);
/// The value of IEEE half-precision bits.
double halfValue(uint16_t bits);

/// The two's-complement bits of `v` as the integer type `s` stores it,
/// wrapped modulo 2^bits (zero-extended to 64 bits); false when `v` is not a
/// finite whole number.
bool integerBits(Storage s, double v, uint64_t &bits);
/// Those bits read back as the type's value (sign-extended for signed types).
/// Exact for every stored value but a u64 beyond 2^53.
double integerValue(Storage s, uint64_t bits);

/// Whether `v` is a value of type `s` (bool 0 or 1, an integer in range,
/// a float16 exactly), so that an input holds it without change.
bool holdsExactly(Storage s, double v);

/// The storage type whose .npy descr is `descr`; Float when none is.
Storage storageOfNpy(const std::string &descr);

/// numpy's name for a .npy descr ('<i8' -> "int64"), or the descr itself.
std::string npyTypeName(const std::string &descr);

} // namespace nnc

#endif
