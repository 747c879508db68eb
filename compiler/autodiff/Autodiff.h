//===- Autodiff.h - symbolic reverse-mode differentiation -------*- C++ -*-===//
//
// A graph transformation: walks the graph backwards from the loss, applies
// one gradient rule per op, sums the contributions of fan-out, and adds the
// resulting adjoint computations as ordinary IR nodes. There is no tape and
// nothing at run time: the gradient is code like any other.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Program.h"

#include <map>

namespace nnc {

/// Adds nodes computing d(loss)/d(n) for every node n on a path from a node
/// in `wrt` to `loss`; returns node -> adjoint node (same type as the node).
/// Nodes in `wrt` the loss does not depend on get no entry.
std::map<const Node *, Node *> differentiate(Graph &graph, Node *loss,
                                             const std::vector<Node *> &wrt);

} // namespace nnc
