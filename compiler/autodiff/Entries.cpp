//===- Entries.cpp --------------------------------------------------------===//
#include "autodiff/Entries.h"

#include "autodiff/Autodiff.h"
#include "autodiff/Optimizer.h"

namespace nnc {

/// Whether `n` depends on a target (then it cannot be computed by predict).
static bool dependsOnTarget(const Program &p, const Node *n) {
  std::vector<bool> uses(p.graph.idBound(), false);
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

/// The loss, then each metric of the batch.
static void addLossAndMetrics(const Program &p, Entry &e) {
  e.addResult(p.loss, "loss", ResultRole::Loss);
  for (const Output &m : p.metrics)
    e.addResult(m.node, m.name, ResultRole::Metric);
}

/// x's adjoint, or zeros when the loss does not depend on x.
static Node *adjointOrZero(Program &p, const std::map<const Node *, Node *> &adjoint,
                           const Node *x) {
  auto found = adjoint.find(x);
  return found != adjoint.end() ? found->second : p.graph.fill(0.0, x->type);
}

/// d_P for every trainable parameter, in state order.
static void addParameterGradients(Program &p, const std::map<const Node *, Node *> &adjoint,
                                  Entry &e) {
  for (const StateTensor &s : p.state)
    if (s.kind == StateTensor::Kind::Param)
      e.addResult(adjointOrZero(p, adjoint, s.node), "d_" + s.name, ResultRole::Gradient);
}

void buildEntries(Program &p, bool splitStep) {
  std::vector<Node *> inputs, all;
  for (const Interface &in : p.inputs) {
    all.push_back(in.node);
    if (!in.isTarget)
      inputs.push_back(in.node);
  }
  // Carried state is read by every entry that runs the model and written
  // back by predict and train_step (not eval: evaluating leaves the state
  // training carries alone).
  for (const CarriedState &c : p.carried) {
    inputs.push_back(c.initial);
    all.push_back(c.initial);
  }
  auto writeCarried = [&](Entry &e) {
    for (const CarriedState &c : p.carried)
      e.addResult(c.final, c.name, ResultRole::Carried);
  };

  // Outputs computed from targets (e.g. an error term) are left out of
  // predict, which takes inputs only; eval returns them.
  Entry predict{"predict", inputs, false};
  for (const Output &o : p.outputs)
    if (!dependsOnTarget(p, o.node))
      predict.addResult(o.node, o.name, ResultRole::Output);
  writeCarried(predict);
  p.entries.push_back(predict);
  if (!p.loss)
    return;

  // eval: loss, then metrics, then outputs (inference mode).
  Entry eval{"eval", all, false};
  addLossAndMetrics(p, eval);
  for (const Output &o : p.outputs)
    eval.addResult(o.node, o.name, ResultRole::Output);
  p.entries.push_back(eval);

  // Differentiate for the parameters and for every named value (traces).
  std::vector<Node *> wrt;
  for (const StateTensor &s : p.state)
    if (s.kind == StateTensor::Kind::Param)
      wrt.push_back(s.node);
  for (auto &named : p.named)
    wrt.push_back(named.second);
  std::map<const Node *, Node *> adjoint = differentiate(p.graph, p.loss, wrt);

  Entry grad{"grad", all, true};
  grad.addResult(p.loss, "loss", ResultRole::Loss);
  addParameterGradients(p, adjoint, grad);

  Entry trace{"trace", all, true};
  for (auto &named : p.named) {
    trace.addResult(named.second, named.first, ResultRole::Value);
    trace.addResult(adjointOrZero(p, adjoint, named.second), "d_" + named.first,
                    ResultRole::Gradient);
  }

  // train_step: loss and metrics of the batch, every parameter updated,
  // running statistics moved, the step counter advanced.
  Entry train{"train_step", all, true};
  addLossAndMetrics(p, train);
  Node *lr = nullptr;
  train.updates = buildOptimizerUpdates(p, adjoint, &lr);
  train.addResult(lr, "lr", ResultRole::LearningRate);
  writeCarried(train);
  train.updates.insert(train.updates.end(), p.bufferUpdates.begin(), p.bufferUpdates.end());
  if (p.stepState >= 0) {
    Node *t = p.state[p.stepState].node;
    train.updates.push_back({p.stepState, p.graph.binary(OpKind::Add, t, p.graph.scalar(DType::F64, 1))});
  }

  // The loss exactly as grad computes it (training mode), for gradcheck.
  Entry trainLoss{"train_loss", all, true};
  trainLoss.addResult(p.loss, "loss", ResultRole::Loss);

  std::vector<Entry> split;
  if (splitStep) {
    // grads: train_step's results before the update; the d_P results are
    // contiguous in a caller's gradient buffer (parameter state order).
    Entry grads{"grads", all, true};
    grads.updates = p.bufferUpdates;
    addLossAndMetrics(p, grads);
    // apply: the same optimizer formulas, reading each gradient from an
    // unbatched argument instead of the adjoint node.
    Entry apply{"apply", {}, true};
    std::map<const Node *, Node *> given;
    for (const StateTensor &s : p.state) {
      if (s.kind != StateTensor::Kind::Param)
        continue;
      auto found = adjoint.find(s.node);
      grads.addResult(adjointOrZero(p, adjoint, s.node), "d_" + s.name, ResultRole::Gradient);
      Node *arg = p.graph.input("d_" + s.name, s.type);
      apply.args.push_back(arg);
      if (found != adjoint.end()) // no gradient: no update, as in train_step
        given[s.node] = arg;
    }
    Node *applyLr = nullptr;
    apply.updates = buildOptimizerUpdates(p, given, &applyLr);
    apply.addResult(applyLr, "lr", ResultRole::LearningRate);
    if (p.stepState >= 0) {
      Node *t = p.state[p.stepState].node;
      apply.updates.push_back({p.stepState, p.graph.binary(OpKind::Add, t, p.graph.scalar(DType::F64, 1))});
    }
    split = {grads, apply};
  }

  p.entries.push_back(train);
  p.entries.push_back(grad);
  p.entries.push_back(trace);
  p.entries.push_back(trainLoss);
  p.entries.insert(p.entries.end(), split.begin(), split.end());
}

} // namespace nnc
