//===- Fusion.h - which elementwise nodes need no buffer --------*- C++ -*-===//
//
// An elementwise node read by exactly one elementwise node of the same
// element count is computed inside that consumer's loop, element by
// element, instead of being written to memory and read back: chains such as
// an optimizer's update or an activation's derivative become one loop.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Program.h"

#include <functional>
#include <set>
#include <vector>

namespace nnc {

struct FusionInputs {
  /// The entry's nodes in topological order.
  const std::vector<const Node *> &nodes;
  /// Nodes that must be materialised (results, state updates).
  const std::set<const Node *> &outputs;
  /// The operands a node reads in this entry.
  std::function<std::vector<const Node *>(const Node &)> operands;
  /// The node whose buffer n reads (n itself unless n is an alias).
  std::function<const Node &(const Node &)> canonical;
};

/// The nodes to compute inline in their consumer.
std::set<const Node *> planElementwiseFusion(const FusionInputs &in);

/// Broadcasts that repeat their (unbatched) source along leading axes only,
/// e.g. a bias [C] over [B, H, W, C], read only by elementwise nodes: the
/// readers load source element (i mod C) instead of a materialised copy.
std::set<const Node *> planBroadcastInlining(const FusionInputs &in);

/// Nodes computed by the final update loops: elementwise state updates
/// (stateIndex, value) of unbatched tensors, with every elementwise node of
/// the same size that only they read. An update qualifies when nothing
/// else reads it, except other qualifying nodes. Returns the updates and
/// the nodes they absorb.
std::set<const Node *>
planUpdateLoops(const FusionInputs &in, const std::vector<std::pair<int, const Node *>> &updates);

} // namespace nnc
