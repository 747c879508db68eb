//===- HeaderGen.h - the C header of a compiled model -----------*- C++ -*-===//
#pragma once

#include "ir/Program.h"

#include <string>

namespace nnc {

struct HeaderOptions {
  std::string prefix;
  std::string sourceName;     // the .nn file, for the comment
  int64_t maxBatch = 256;
  bool inferenceOnly = false; // predict only: no train_step declared
};

/// The self-contained C header declaring PREFIX_create, PREFIX_predict, ...
/// (C99 and C++, warning-free under -Wall -Wextra).
std::string generateHeader(const Program &p, const HeaderOptions &options);

} // namespace nnc
