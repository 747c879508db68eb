//===- HeaderGen.h - the C header of a compiled model -----------*- C++ -*-===//
#pragma once

#include "ir/Program.h"

#include <string>

namespace nnc {

/// The self-contained C header declaring PREFIX_create, PREFIX_predict, ...
std::string generateHeader(const Program &p, const std::string &prefix,
                           const std::string &sourceName, int64_t maxBatch);

} // namespace nnc
