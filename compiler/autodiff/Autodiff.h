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

/// The same from several outputs at once: each seed is (output, its given
/// adjoint), equal outputs summing (a scan body's new carries and per-step
/// outputs, ScanGradient.cpp).
std::map<const Node *, Node *> differentiateFrom(Graph &graph,
                                                 const std::vector<std::pair<Node *, Node *>> &seeds,
                                                 const std::vector<Node *> &wrt);

/// Backpropagation through time: the adjoints of a scan's operands (null
/// where none, or where `needs` is false), given the adjoints of its
/// results (null where none), as one reverse scan (ScanGradient.cpp).
std::vector<Node *> scanGradient(Graph &graph, Node *scan, const std::vector<Node *> &dResults,
                                 const std::vector<bool> &needs);

} // namespace nnc
