//===- StoredValues.cpp ---------------------------------------------------===//
#include "support/StoredValues.h"

#include <cmath>
#include <cstring>

namespace nnc {

uint16_t halfBits(double v) {
  uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  double a = std::fabs(v);
  if (std::isnan(v))
    return sign | 0x7e00;
  if (a >= 65520.0) // halfway between the largest half (65504) and 2^16 rounds up
    return sign | 0x7c00;
  if (a < std::ldexp(1.0, -14)) {
    // Subnormal: a multiple of 2^-24, rounded to even by nearbyint.
    return sign | uint16_t(std::nearbyint(std::ldexp(a, 24)));
  }
  int e;
  double m = std::frexp(a, &e); // a = m * 2^e, m in [0.5, 1)
  // 11 significant bits: the mantissa scaled to [1024, 2048), rounded to even.
  double q = std::nearbyint(std::ldexp(m, 11));
  if (q == 2048) {
    q = 1024;
    ++e;
  }
  int exponent = e - 1 + 15;
  if (exponent >= 31)
    return sign | 0x7c00;
  return sign | uint16_t(exponent << 10) | uint16_t(q - 1024);
}

double halfValue(uint16_t bits) {
  double sign = bits & 0x8000 ? -1.0 : 1.0;
  int exponent = (bits >> 10) & 0x1f;
  int mantissa = bits & 0x3ff;
  if (exponent == 31)
    return mantissa ? NAN : sign * INFINITY;
  if (exponent == 0)
    return sign * std::ldexp(mantissa, -24);
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

bool integerBits(Storage s, double v, uint64_t &bits) {
  if (!std::isfinite(v) || v != std::floor(v))
    return false;
  const double two63 = std::ldexp(1.0, 63), two64 = std::ldexp(1.0, 64);
  double w = std::fmod(v, two64); // exact, |w| < 2^64
  if (w >= two63)
    bits = uint64_t(w);
  else if (w < -two63)
    bits = uint64_t(w + two64); // exact: such a w is a multiple of 2^11
  else
    bits = uint64_t(int64_t(w));
  int width = storageBits(s);
  if (width < 64)
    bits &= (uint64_t(1) << width) - 1;
  return true;
}

double integerValue(Storage s, uint64_t bits) {
  int width = storageBits(s);
  if (!isSignedStorage(s))
    return double(bits);
  if (width < 64 && (bits >> (width - 1)) & 1)
    bits |= ~uint64_t(0) << width; // sign-extend
  return double(int64_t(bits));
}

bool holdsExactly(Storage s, double v) {
  if (s == Storage::Float)
    return true;
  if (s == Storage::Bool)
    return v == 0 || v == 1;
  if (s == Storage::F16)
    return std::isnan(v) || halfValue(halfBits(v)) == v;
  uint64_t bits;
  return integerBits(s, v, bits) && integerValue(s, bits) == v;
}

Storage storageOfNpy(const std::string &descr) {
  for (Storage s : {Storage::Bool, Storage::I8, Storage::I16, Storage::I32, Storage::I64,
                    Storage::U8, Storage::U16, Storage::U32, Storage::U64, Storage::F16})
    if (descr == npyDescr(s))
      return s;
  return Storage::Float;
}

std::string npyTypeName(const std::string &descr) {
  static const std::pair<const char *, const char *> names[] = {
      {"|b1", "bool"},    {"|i1", "int8"},    {"<i2", "int16"},   {"<i4", "int32"},
      {"<i8", "int64"},   {"|u1", "uint8"},   {"<u2", "uint16"},  {"<u4", "uint32"},
      {"<u8", "uint64"},  {"<f2", "float16"}, {"<f4", "float32"}, {"<f8", "float64"}};
  for (const auto &[d, name] : names)
    if (descr == d)
      return name;
  return descr;
}

} // namespace nnc
