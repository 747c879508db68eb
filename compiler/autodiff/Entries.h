//===- Entries.h - the compiled functions of a model ------------*- C++ -*-===//
//
// Differentiates the loss and defines the entry points codegen compiles:
//   predict(inputs) -> outputs                      (inference mode)
//   eval(inputs, targets) -> loss, metrics, outputs  (inference mode)
//   train_step(inputs, targets) -> loss, metrics, lr; updates the state
//   grad(inputs, targets) -> loss, d loss / d param for each parameter
//   trace(inputs, targets) -> each named value and d loss / d value
//   train_loss(inputs, targets) -> loss             (training mode, gradcheck)
// All share one graph, so forward, backward and update are one function.
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Program.h"

namespace nnc {

void buildEntries(Program &p);

} // namespace nnc
