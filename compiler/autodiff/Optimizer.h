//===- Optimizer.h - optimizer updates as IR --------------------*- C++ -*-===//
#pragma once

#include "ir/Program.h"

#include <map>

namespace nnc {

/// Emits the optimizer's update of every trainable parameter as IR nodes
/// (PyTorch's update formulas), adding optimizer-state tensors such as
/// momentum buffers to the program. Returns (state index, new value) pairs.
/// `learningRate` receives the step's learning rate (an f64 scalar node, a
/// function of the step counter when there is a schedule).
std::vector<std::pair<int, Node *>>
buildOptimizerUpdates(Program &p, const std::map<const Node *, Node *> &grads,
                      Node **learningRate = nullptr);

} // namespace nnc
