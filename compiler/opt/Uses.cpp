//===- Uses.cpp - replace-all-uses over a Program -------------------------===//
#include "opt/Passes.h"

namespace nnc {

void replaceAllUses(Program &p, const std::map<const Node *, Node *> &with) {
  if (with.empty())
    return;
  auto follow = [&](Node *&n) {
    // Chains (a -> b -> c) resolve to their end.
    for (auto it = with.find(n); it != with.end(); it = with.find(n))
      n = it->second;
  };
  for (auto &n : p.graph.nodes())
    for (Node *&o : n->operands)
      follow(o);
  for (Entry &e : p.entries) {
    for (Node *&r : e.results)
      follow(r);
    for (auto &u : e.updates)
      follow(u.second);
  }
  for (Output &o : p.outputs)
    follow(o.node);
  for (Output &m : p.metrics)
    follow(m.node);
  for (auto &named : p.named)
    follow(named.second);
  for (auto &u : p.bufferUpdates)
    follow(u.second);
  if (p.loss)
    follow(p.loss);
}

} // namespace nnc
