//===- DCE.cpp - erase what nothing reads ---------------------------------===//
//
// Live: everything an entry returns or writes back, the model's outputs,
// loss, metrics and named values (traces read them), and every input and
// state tensor (the ABI binds them whether used or not). Autodiff adds
// adjoints for every node on a path to the loss; the ones no update reads
// (an input's, a frozen parameter's) end here.
//
//===----------------------------------------------------------------------===//
#include "opt/Passes.h"

#include <set>

namespace nnc {

int eliminateDeadCode(Program &p) {
  std::vector<const Node *> roots;
  for (const Entry &e : p.entries) {
    roots.insert(roots.end(), e.args.begin(), e.args.end());
    roots.insert(roots.end(), e.results.begin(), e.results.end());
    for (auto &u : e.updates)
      roots.push_back(u.second);
  }
  for (const Output &o : p.outputs)
    roots.push_back(o.node);
  for (const Output &m : p.metrics)
    roots.push_back(m.node);
  for (auto &named : p.named)
    roots.push_back(named.second);
  for (auto &u : p.bufferUpdates)
    roots.push_back(u.second);
  if (p.loss)
    roots.push_back(p.loss);
  for (const StateTensor &s : p.state)
    roots.push_back(s.node);
  for (const Interface &in : p.inputs)
    roots.push_back(in.node);
  std::vector<Node *> live = p.graph.reaching(roots);
  std::set<const Node *> keep(live.begin(), live.end());
  size_t before = p.graph.nodes().size();
  p.graph.eraseIf([&](const Node &n) { return !keep.count(&n); });
  return static_cast<int>(before - p.graph.nodes().size());
}

} // namespace nnc
