//===- Utf8.h - a code point as UTF-8 -------------------------*- C++ -*-===//
#pragma once

#include <cstdint>
#include <string>

namespace nnc {

/// The UTF-8 bytes of one code point (for the JSON reader's \u escapes and
/// the text vocabulary).
std::string utf8(uint32_t codePoint);

} // namespace nnc
