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

/// The most bytes nnc reads from one file of each kind (readFile), devices
/// and pipes included. A model is source text (data belongs in --data);
/// JSON holds parameters or a predict batch; data files are CSV, IDX or
/// .npy (read into doubles, 8 bytes a value, so 2 GiB of bytes is already
/// 16 GiB in memory); a text is characters.
constexpr uint64_t kMaxModelBytes = uint64_t(64) << 20;
constexpr uint64_t kMaxJsonBytes = uint64_t(1) << 30;
constexpr uint64_t kMaxDataBytes = uint64_t(2) << 30;
constexpr uint64_t kMaxTextBytes = uint64_t(1) << 30;

} // namespace nnc
