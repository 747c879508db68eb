//===- Entries.cpp --------------------------------------------------------===//
#include "autodiff/Entries.h"

#include "autodiff/Autodiff.h"
#include "autodiff/Optimizer.h"

namespace nnc {

/// Whether `n` depends on a target (then it cannot be computed by predict).
static bool dependsOnTarget(const Program &p, const Node *n) {
  std::vector<bool> uses(p.graph.nodes().size(), false);
  for (const Interface &in : p.inputs)
    if (in.isTarget)
      uses[in.node->id] = true;
  for (auto &node : p.graph.nodes()) {
    for (const Node *o : node->operands)
      if (uses[o->id])
        uses[node->id] = true;
    if (node.get() == n)
      return uses[n->id];
  }
  return false;
}

void buildEntries(Program &p) {
  std::vector<Node *> inputs, all;
  for (const Interface &in : p.inputs) {
    all.push_back(in.node);
    if (!in.isTarget)
      inputs.push_back(in.node);
  }

  // Outputs computed from targets (e.g. an error term) are left out of
  // predict, which takes inputs only; eval returns them.
  Entry predict{"predict", inputs, {}, {}, {}};
  for (const Output &o : p.outputs) {
    if (dependsOnTarget(p, o.node))
      continue;
    predict.results.push_back(o.node);
    predict.resultNames.push_back(o.name);
  }
  p.entries.push_back(predict);
  if (!p.loss)
    return;

  Entry eval{"eval", all, {p.loss}, {"loss"}, {}};
  for (const Output &o : p.outputs) {
    eval.results.push_back(o.node);
    eval.resultNames.push_back(o.name);
  }
  p.entries.push_back(eval);

  // Differentiate for the parameters and for every named value (traces).
  std::vector<Node *> wrt;
  for (const StateTensor &s : p.state)
    if (s.kind == StateTensor::Kind::Param)
      wrt.push_back(s.node);
  for (auto &named : p.named)
    wrt.push_back(named.second);
  std::map<const Node *, Node *> adjoint = differentiate(p.graph, p.loss, wrt);

  Entry grad{"grad", all, {p.loss}, {"loss"}, {}};
  for (const StateTensor &s : p.state) {
    if (s.kind != StateTensor::Kind::Param)
      continue;
    auto found = adjoint.find(s.node);
    grad.results.push_back(found != adjoint.end() ? found->second
                                                  : p.graph.fill(0.0, s.type));
    grad.resultNames.push_back("d_" + s.name);
  }

  Entry trace{"trace", all, {}, {}, {}};
  for (auto &named : p.named) {
    trace.results.push_back(named.second);
    trace.resultNames.push_back(named.first);
    auto found = adjoint.find(named.second);
    trace.results.push_back(found != adjoint.end()
                                ? found->second
                                : p.graph.fill(0.0, named.second->type));
    trace.resultNames.push_back("d_" + named.first);
  }

  Entry train{"train_step", all, {p.loss}, {"loss"}, {}};
  train.updates = buildOptimizerUpdates(p, adjoint);

  p.entries.push_back(train);
  p.entries.push_back(grad);
  p.entries.push_back(trace);
}

} // namespace nnc
