//===- Limits.h - the ranges of the counts nnc accepts ----------*- C++ -*-===//
//
// One place for the largest whole number a count may be, wherever it is
// written: a `train { }` option or a command-line flag (steps, epochs,
// batch, seed, ...). 2^53 is the largest an f64 holds exactly (the step
// counter is an f64 state tensor) and leaves room for products such as
// epochs x steps per epoch to be checked in doubles.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

namespace nnc {

constexpr int64_t kMaxCount = int64_t(1) << 53;
/// Kernel threads (--threads): more than any machine nnc runs on has.
constexpr int64_t kMaxThreads = 1024;

} // namespace nnc
