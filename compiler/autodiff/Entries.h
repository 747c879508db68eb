//===- Entries.h - the compiled functions of a model ------------*- C++ -*-===//
//
// Differentiates the loss and defines the entry points codegen compiles:
//   predict(inputs) -> outputs
//   eval(inputs, targets) -> loss, outputs
//   train_step(inputs, targets) -> loss; updates every parameter
//   grad(inputs, targets) -> loss, d loss / d param for each parameter
//   trace(inputs, targets) -> each named value and d loss / d value
// All share one graph, so forward, backward and update are one function.
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Program.h"

namespace nnc {

void buildEntries(Program &p);

} // namespace nnc
