//===- Fusion.cpp - which elementwise nodes need no buffer ----------------===//
#include "codegen/Fusion.h"

#include <map>

namespace nnc {

/// Computes one element from the same element of each operand (aliases
/// such as stop-gradient and mode select compute nothing).
static bool isElementwise(const Node &n, const FusionInputs &in) {
  return (isUnaryElementwise(n.op) || isBinaryElementwise(n.op)) && &in.canonical(n) == &n;
}

std::set<const Node *> planElementwiseFusion(const FusionInputs &in) {
  // Readers of each node, counted per operand slot; reads through an alias
  // (reshape, mode select) need the buffer, so they forbid fusion.
  std::map<const Node *, std::vector<const Node *>> readers;
  std::set<const Node *> aliased;
  for (const Node *n : in.nodes) {
    if (&in.canonical(*n) != n)
      aliased.insert(&in.canonical(*n));
    for (const Node *o : in.operands(*n))
      readers[o].push_back(n);
  }
  std::set<const Node *> fused;
  for (const Node *n : in.nodes) {
    if (!isElementwise(*n, in) || in.outputs.count(n) || aliased.count(n))
      continue;
    const std::vector<const Node *> &r = readers[n];
    if (r.size() != 1 || !isElementwise(*r[0], in))
      continue;
    const Node &user = *r[0];
    if (user.type.batched != n->type.batched ||
        user.type.elementsPerSample() != n->type.elementsPerSample())
      continue;
    fused.insert(n);
  }
  return fused;
}

} // namespace nnc
