//===- Storage.h - the element type an input or output has outside nnc -===//
//
// nnc computes in f32 or f64. An input or output may be declared with
// another element type (`input m: bool[4]`, `input x: i64[3]`,
// `output y: f16 = ...`): that is the type its data has outside (numpy
// .npy files, ONNX graphs), converted at the model's edges. Integers
// compute in f64 (exact up to 2^53), bool and f16 in f32.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_STORAGE_H
#define NNC_SUPPORT_STORAGE_H

#include <string>

namespace nnc {

enum class Storage { Float, Bool, I8, I16, I32, I64, U8, U16, U32, U64, F16 };

/// The .nn spelling ("i64"), or "" for Float (the computing type's own).
inline const char *storageName(Storage s) {
  switch (s) {
  case Storage::Float: return "";
  case Storage::Bool: return "bool";
  case Storage::I8: return "i8";
  case Storage::I16: return "i16";
  case Storage::I32: return "i32";
  case Storage::I64: return "i64";
  case Storage::U8: return "u8";
  case Storage::U16: return "u16";
  case Storage::U32: return "u32";
  case Storage::U64: return "u64";
  case Storage::F16: return "f16";
  }
  return "";
}

/// The storage type a .nn type name spells; Float when it is not one.
inline Storage storageFromName(const std::string &name) {
  for (Storage s : {Storage::Bool, Storage::I8, Storage::I16, Storage::I32, Storage::I64,
                    Storage::U8, Storage::U16, Storage::U32, Storage::U64, Storage::F16})
    if (name == storageName(s))
      return s;
  return Storage::Float;
}

inline bool isIntegerStorage(Storage s) { return s >= Storage::I8 && s <= Storage::U64; }
inline bool isSignedStorage(Storage s) { return s >= Storage::I8 && s <= Storage::I64; }

/// Bits of an integer storage type.
inline int storageBits(Storage s) {
  switch (s) {
  case Storage::I8: case Storage::U8: return 8;
  case Storage::I16: case Storage::U16: case Storage::F16: return 16;
  case Storage::I32: case Storage::U32: return 32;
  default: return 64;
  }
}

/// numpy's descr for the storage type ('<i8', '|u1', '<f2', '|b1'); "" for Float.
inline std::string npyDescr(Storage s) {
  if (s == Storage::Float)
    return "";
  if (s == Storage::Bool)
    return "|b1";
  int bytes = storageBits(s) / 8;
  char kind = s == Storage::F16 ? 'f' : isSignedStorage(s) ? 'i' : 'u';
  return std::string(bytes == 1 ? "|" : "<") + kind + std::to_string(bytes);
}

/// What the float buffers of a typed input or output carry, for the C
/// header and `nnc info`: " (i64: whole numbers)"; "" for Float.
inline std::string storageNote(Storage s, bool input) {
  if (s == Storage::Float)
    return "";
  if (s == Storage::Bool)
    return " (bool: 1 or 0)";
  if (s == Storage::F16)
    return " (f16: values a float16 holds)";
  // Outputs are not wrapped in the buffer: nnc predict wraps them as it writes.
  return std::string(" (") + storageName(s) + ": whole numbers" +
         (input ? ")" : ", not yet wrapped to " + std::to_string(storageBits(s)) + " bits)");
}

} // namespace nnc

#endif
