//===- CheckNumerics.h - find the op that made a NaN or Inf -----*- C++ -*-===//
//
// `nnc train --check-numerics`: when a step's loss or update is not finite,
// the step is rerun from the state before it through a "numerics" entry that
// returns every value train_step computes (forward pass, gradients, update),
// and the first non-finite one in graph order is the op that produced it:
// its operands come before it and were finite.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "driver/ModelInstance.h"

#include <string>
#include <vector>

namespace nnc {

/// Adds the "numerics" entry (after buildEntries, before the JIT).
void addNumericsEntry(Program &p);

/// The raw bytes of every state tensor, to rerun a step from before it.
struct StateSnapshot {
  std::vector<std::vector<char>> tensors;
  void save(ModelInstance &m);
  void restore(ModelInstance &m) const;
};

/// The first parameter or state tensor holding a NaN or Inf ("" if none).
std::string nonFiniteState(ModelInstance &m);

/// Reruns the batch `indices` through "numerics" (the model must hold the
/// state from before the step) and describes the first non-finite value,
/// e.g. `%7 = log %6 : f64[B, 1] (NaN), in the forward pass`; "" if none.
std::string firstNonFinite(ModelInstance &m, const Dataset &d, const std::vector<int64_t> &indices);

} // namespace nnc
