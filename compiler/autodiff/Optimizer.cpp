//===- Optimizer.cpp ------------------------------------------------------===//
//
// SGD as torch.optim.SGD (dampening 0):
//   g = grad + weight_decay * p
//   buf = momentum * buf + g              (buf starts at 0, so step 1 gives g)
//   g = nesterov ? g + momentum * buf : buf   (when momentum > 0)
//   p = p - lr * g
//===----------------------------------------------------------------------===//
#include "autodiff/Optimizer.h"

namespace nnc {

std::vector<std::pair<int, Node *>>
buildOptimizerUpdates(Program &p, const std::map<const Node *, Node *> &grads) {
  Graph &G = p.graph;
  const OptimizerSpec &opt = p.optimizer;
  std::vector<std::pair<int, Node *>> updates;
  size_t paramCount = p.state.size();
  for (size_t i = 0; i < paramCount; ++i) {
    if (p.state[i].kind != StateTensor::Kind::Param)
      continue;
    Node *param = p.state[i].node;
    auto found = grads.find(param);
    if (found == grads.end())
      continue; // the loss does not depend on it: like PyTorch's grad None
    const TensorType &t = param->type;
    auto scaled = [&](double k, Node *x) {
      return G.binary(OpKind::Mul, G.fill(k, t), x);
    };
    Node *g = found->second;
    if (opt.weightDecay != 0)
      g = G.binary(OpKind::Add, g, scaled(opt.weightDecay, param));
    if (opt.momentum != 0) {
      StateTensor buf;
      buf.name = p.state[i].name + ".momentum";
      buf.type = t;
      buf.kind = StateTensor::Kind::OptState;
      int index = static_cast<int>(p.state.size());
      buf.node = G.param(buf.name, t, index);
      p.state.push_back(buf);
      Node *next = G.binary(OpKind::Add, scaled(opt.momentum, buf.node), g);
      updates.push_back({index, next});
      g = opt.nesterov ? G.binary(OpKind::Add, g, scaled(opt.momentum, next)) : next;
    }
    Node *updated = G.binary(OpKind::Sub, param, scaled(opt.lr, g));
    updated->name = p.state[i].name + ".next";
    updates.push_back({static_cast<int>(i), updated});
  }
  return updates;
}

} // namespace nnc
