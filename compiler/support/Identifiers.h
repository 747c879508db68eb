//===- Identifiers.h - .nn identifiers for names from elsewhere -*- C++ -*-===//
//
// An imported ONNX model's inputs and outputs keep their ONNX names for
// binding (--data, --input); the .nn source needs identifiers. This is the
// one rule between the two (docs/onnx.md).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <string>

namespace nnc {

/// Every character outside [A-Za-z0-9_] becomes '_', a leading digit (or an
/// empty name) gets a '_' before it, and a keyword or built-in constant gets
/// a '_' after it: `input.1` -> `input_1`, `0` -> `_0`, `input` -> `input_`.
std::string identifierFor(const std::string &name);

} // namespace nnc
