//===- Sampling.h - which samples each training step sees --------*- C++ -*-===//
//
// Seeded shuffles that give the same batches on every machine, and the
// validation split (--val-split).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "driver/Dataset.h"

#include <cstdint>
#include <vector>

namespace nnc {

/// splitmix64: a tiny generator with the same output on every platform, so
/// shuffles (unlike std::shuffle, whose algorithm the library chooses) are
/// reproducible across machines.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

/// Fisher-Yates with an unbiased bounded draw (rejection sampling).
void shuffle(std::vector<int64_t> &v, SplitMix64 &rng);

/// --val-split F: the last fraction F of the training samples, after one
/// seeded shuffle (its own stream, so it does not move the epoch shuffles),
/// becomes `val`; the rest stays in `data`. False (error printed) when
/// either part would be empty.
bool splitValidation(Dataset &data, double fraction, uint64_t seed, Dataset &val);

} // namespace nnc
