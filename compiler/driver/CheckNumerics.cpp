//===- CheckNumerics.cpp --------------------------------------------------===//
#include "driver/CheckNumerics.h"

#include "support/Json.h"

#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace nnc {
namespace {

/// Nodes `roots` depend on, in graph (topological) order.
std::vector<Node *> dependencies(const Program &p, const std::vector<Node *> &roots) {
  return p.graph.reaching({roots.begin(), roots.end()});
}

/// Leaves are bound or constant: nothing to check in them.
bool computed(const Node *n) {
  return !isLeaf(n->op);
}

} // namespace

void addNumericsEntry(Program &p) {
  const Entry *train = p.entry("train_step");
  if (!train)
    return;
  std::vector<Node *> roots = train->results;
  for (auto &u : train->updates)
    roots.push_back(u.second);
  Entry numerics{"numerics", train->args, true};
  for (Node *n : dependencies(p, roots))
    if (computed(n))
      numerics.addResult(n, "v" + std::to_string(n->id), ResultRole::Value);
  p.entries.push_back(numerics);
}

void StateSnapshot::save(ModelInstance &m) {
  const Program &p = m.program();
  tensors.resize(p.state.size());
  for (size_t i = 0; i < p.state.size(); ++i) {
    int64_t count = 0;
    int dtype = 0;
    const char *data =
        static_cast<const char *>(nnrt_model_param(m.raw(), p.state[i].name.c_str(), &count, &dtype));
    tensors[i].assign(data, data + count * nnrt_dtype_size(dtype));
  }
}

void StateSnapshot::restore(ModelInstance &m) const {
  const Program &p = m.program();
  for (size_t i = 0; i < p.state.size() && i < tensors.size(); ++i) {
    void *data = nnrt_model_param(m.raw(), p.state[i].name.c_str(), nullptr, nullptr);
    std::memcpy(data, tensors[i].data(), tensors[i].size());
  }
}

std::string nonFiniteState(ModelInstance &m) {
  const Program &p = m.program();
  for (size_t i = 0; i < p.state.size(); ++i)
    for (double v : m.stateValues(static_cast<int>(i)))
      if (!std::isfinite(v))
        return "'" + p.state[i].name + "' non-finite (" + formatNumber(v) + ")";
  return "";
}

std::string firstNonFinite(ModelInstance &m, const Dataset &d, const std::vector<int64_t> &indices) {
  const Program &p = m.program();
  const Entry *entry = p.entry("numerics");
  std::vector<std::vector<double>> r;
  if (!entry || !m.run("numerics", d, indices, r))
    return "";
  std::set<const Node *> forward;
  std::vector<Node *> lossRoots = {p.loss};
  for (const Output &o : p.metrics)
    lossRoots.push_back(o.node);
  for (Node *n : dependencies(p, lossRoots))
    forward.insert(n);
  std::map<const Node *, size_t> resultOf;
  for (size_t k = 0; k < entry->results.size(); ++k)
    resultOf[entry->results[k]] = k;
  for (size_t k = 0; k < entry->results.size() && k < r.size(); ++k) {
    const Node *n = entry->results[k];
    for (size_t e = 0; e < r[k].size(); ++e) {
      if (std::isfinite(r[k][e]))
        continue;
      std::string s = "%" + std::to_string(n->id) + " = " + opName(n->op);
      for (size_t i = 0; i < n->operands.size(); ++i)
        s += (i ? ", %" : " %") + std::to_string(n->operands[i]->id);
      s += " : " + n->type.str();
      if (!n->name.empty())
        s += "  # " + n->name;
      s += " (" + formatNumber(r[k][e]) + " at element " + std::to_string(e);
      // The operands' values there, when all are elementwise partners.
      std::string operands;
      size_t partners = 0;
      for (const Node *o : n->operands) {
        auto found = resultOf.find(o);
        if (found == resultOf.end() || r[found->second].size() != r[k].size())
          break;
        operands += (partners++ ? ", " : "") + formatNumber(r[found->second][e]);
      }
      if (partners && partners == n->operands.size())
        s += std::string(partners == 1 ? ", from " : ", from operands ") + operands;
      s += std::string("), in ") +
           (forward.count(n) ? "the forward pass" : "the gradient or the optimizer update");
      return s;
    }
  }
  return "";
}

} // namespace nnc
