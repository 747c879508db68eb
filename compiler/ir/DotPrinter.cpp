//===- DotPrinter.cpp - Graphviz of the training graph (`--emit=dot`) ------===//
//
// Forward nodes are drawn in one cluster, gradient and update nodes in
// another, as TensorBoard shows a graph and its gradients.
//===----------------------------------------------------------------------===//
#include "ir/Program.h"

#include <set>

namespace nnc {

void printDot(const Program &p, std::ostream &os) {
  // Forward = everything the eval entry (loss and outputs) needs.
  std::set<const Node *> forward;
  std::vector<const Node *> stack;
  if (p.loss)
    stack.push_back(p.loss);
  for (const Output &o : p.outputs)
    stack.push_back(o.node);
  while (!stack.empty()) {
    const Node *n = stack.back();
    stack.pop_back();
    if (forward.insert(n).second)
      for (const Node *o : n->operands)
        stack.push_back(o);
  }
  // Draw what the train step uses (or the forward graph when there is none).
  std::set<const Node *> drawn = forward;
  if (const Entry *e = p.entry("train_step")) {
    for (auto &u : e->updates)
      stack.push_back(u.second);
    while (!stack.empty()) {
      const Node *n = stack.back();
      stack.pop_back();
      if (drawn.insert(n).second)
        for (const Node *o : n->operands)
          stack.push_back(o);
    }
  }

  os << "digraph \"" << p.modelName << "\" {\n  rankdir=TB;\n"
     << "  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n";
  auto label = [](const Node &n) {
    std::string l = opName(n.op);
    if (!n.name.empty())
      l += (hasFlag(n.op, kBound) ? " " : "\\n") + n.name;
    return l + "\\n" + n.type.str();
  };
  for (int cluster = 0; cluster < 2; ++cluster) {
    os << "  subgraph cluster_" << (cluster ? "gradient" : "forward") << " {\n"
       << "    label=\"" << (cluster ? "gradient and update" : "forward") << "\";\n";
    for (auto &n : p.graph.nodes()) {
      if (!drawn.count(n.get()) || (forward.count(n.get()) != 0) == (cluster == 1))
        continue;
      const char *style = n->op == OpKind::Param   ? ", style=filled, fillcolor=\"#cfe2ff\""
                           : n->op == OpKind::Input ? ", style=filled, fillcolor=\"#d1e7dd\""
                                                    : "";
      os << "    n" << n->id << " [label=\"" << label(*n) << "\"" << style << "];\n";
    }
    os << "  }\n";
  }
  for (auto &n : p.graph.nodes()) {
    if (!drawn.count(n.get()))
      continue;
    for (const Node *o : n->operands)
      os << "  n" << o->id << " -> n" << n->id << ";\n";
  }
  if (p.loss)
    os << "  loss [shape=ellipse]; n" << p.loss->id << " -> loss;\n";
  if (const Entry *e = p.entry("train_step"))
    for (auto &u : e->updates)
      os << "  n" << u.second->id << " -> n" << p.state[u.first].node->id
         << " [style=dashed, label=\"update\"];\n";
  os << "}\n";
}

} // namespace nnc
