//===- Entries.h - the compiled functions of a model ------------*- C++ -*-===//
//
// Differentiates the loss and defines the entry points codegen compiles:
//   predict(inputs) -> outputs                      (inference mode)
//   eval(inputs, targets) -> loss, metrics, outputs  (inference mode)
//   train_step(inputs, targets) -> loss, metrics, lr; updates the state
//   grad(inputs, targets) -> loss, d loss / d param for each parameter
//   trace(inputs, targets) -> each named value and d loss / d value
//   train_loss(inputs, targets) -> loss             (training mode, gradcheck)
// With splitStep, train_step is also offered in two halves (data-parallel
// training puts an all-reduce between them, docs/distributed.md):
//   grads(inputs, targets) -> loss, metrics, d_P for every parameter P in
//       state order; moves running statistics (batch norm)
//   apply(d_P for every parameter) -> lr; the optimizer update and step count
// grads then apply equals train_step bit for bit.
// All share one graph, so forward, backward and update are one function.
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Program.h"

namespace nnc {

void buildEntries(Program &p, bool splitStep = false);

} // namespace nnc
