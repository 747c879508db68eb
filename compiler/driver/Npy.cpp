//===- Npy.cpp ------------------------------------------------------------===//
#include "driver/Npy.h"

#include "support/StoredValues.h"
#include "nnrt.h"

#include <cstring>

namespace nnc {

std::string npyBytes(int dtype, const std::vector<int64_t> &dims,
                     const std::vector<double> &values, Storage storage) {
  std::string shape = "(";
  for (size_t i = 0; i < dims.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(dims[i]);
  shape += dims.size() == 1 ? ",)" : ")"; // Python's one-element tuple
  std::string descr = storage != Storage::Float ? npyDescr(storage)
                      : dtype == NNRT_F32         ? "<f4"
                      : dtype == NNRT_F64         ? "<f8"
                      : dtype == kNpyInt64        ? "<i8"
                                                  : "<i4";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // NumPy pads the header with spaces so the data starts 64-byte aligned.
  size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  for (double v : values) {
    char bytes[8];
    if (storage == Storage::Bool) {
      out += v != 0 ? '\x01' : '\x00';
    } else if (storage == Storage::F16) {
      uint16_t h = halfBits(v);
      out.append(reinterpret_cast<const char *>(&h), 2); // little-endian hosts only, as below
    } else if (storage != Storage::Float) {
      uint64_t i = 0;
      integerBits(storage, v, i);
      out.append(reinterpret_cast<const char *>(&i), storageBits(storage) / 8);
    } else if (dtype == NNRT_F32) {
      float f = static_cast<float>(v);
      std::memcpy(bytes, &f, 4);
      out.append(bytes, 4);
    } else if (dtype == NNRT_F64) {
      std::memcpy(bytes, &v, 8);
      out.append(bytes, 8);
    } else if (dtype == kNpyInt64) {
      int64_t i = static_cast<int64_t>(v);
      std::memcpy(bytes, &i, 8);
      out.append(bytes, 8);
    } else {
      int32_t i = static_cast<int32_t>(v);
      std::memcpy(bytes, &i, 4);
      out.append(bytes, 4);
    }
  }
  return out;
}

} // namespace nnc
