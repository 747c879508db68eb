//===- Fusion.cpp - which elementwise nodes need no buffer ----------------===//
#include "codegen/Fusion.h"

#include <algorithm>
#include <map>

namespace nnc {

/// Computes one element from the same element of each operand (aliases
/// such as stop-gradient and mode select compute nothing).
static bool isElementwise(const Node &n, const FusionInputs &in) {
  return (isUnaryElementwise(n.op) || isBinaryElementwise(n.op)) && &in.canonical(n) == &n;
}

/// Readers of each node, counted per operand slot, and the nodes read
/// through an alias (reshape, mode select): those need their buffer.
struct Readers {
  std::map<const Node *, std::vector<const Node *>> readers;
  std::set<const Node *> aliased;
};

static Readers readersOf(const FusionInputs &in) {
  Readers r;
  for (const Node *n : in.nodes) {
    if (&in.canonical(*n) != n)
      r.aliased.insert(&in.canonical(*n));
    for (const Node *o : in.operands(*n))
      r.readers[o].push_back(n);
  }
  return r;
}

std::set<const Node *> planElementwiseFusion(const FusionInputs &in) {
  Readers index = readersOf(in);
  auto &readers = index.readers;
  auto &aliased = index.aliased;
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

/// Whether broadcasting `src` to `n` only repeats it: src's dims (leading
/// 1s dropped) are the trailing dims of n's full shape.
static bool repeatsAlongLeadingAxes(const Node &n, const Node &src) {
  if (src.type.batched)
    return false;
  std::vector<int64_t> inner = src.type.dims, outer = fullDims(n.type);
  while (!inner.empty() && inner.front() == 1)
    inner.erase(inner.begin());
  if (inner.size() > outer.size())
    return false;
  return std::equal(inner.begin(), inner.end(), outer.end() - inner.size());
}

std::set<const Node *> planBroadcastInlining(const FusionInputs &in) {
  Readers index = readersOf(in);
  std::set<const Node *> inlined;
  for (const Node *n : in.nodes) {
    if (n->op != OpKind::BroadcastTo || in.outputs.count(n) || index.aliased.count(n) ||
        !repeatsAlongLeadingAxes(*n, *n->operands[0]))
      continue;
    const std::vector<const Node *> &r = index.readers[n];
    bool onlyElementwise = !r.empty();
    for (const Node *reader : r)
      onlyElementwise = onlyElementwise && isElementwise(*reader, in);
    if (onlyElementwise)
      inlined.insert(n);
  }
  return inlined;
}

std::set<const Node *>
planUpdateLoops(const FusionInputs &in, const std::vector<std::pair<int, const Node *>> &updates) {
  Readers index = readersOf(in);
  auto &readers = index.readers;
  auto &aliased = index.aliased;
  std::set<const Node *> updateValues;
  for (auto &u : updates)
    updateValues.insert(u.second);
  // Results are copied out before the update loops run: they must not
  // depend on a value computed only there.
  std::set<const Node *> results;
  for (const Node *n : in.outputs)
    if (!updateValues.count(n))
      results.insert(n);
  // An update whose value is a state tensor itself (or an alias) reads the
  // state the loops overwrite: then no loops at all.
  for (auto &u : updates)
    if (&in.canonical(*u.second) != u.second || !isElementwise(*u.second, in))
      if (!isElementwise(in.canonical(*u.second), in))
        return {};
  // Reverse topological order: a node joins when all its readers joined.
  std::set<const Node *> joined;
  for (auto it = in.nodes.rbegin(); it != in.nodes.rend(); ++it) {
    const Node *n = *it;
    if (!isElementwise(*n, in) || n->type.batched || aliased.count(n) || results.count(n))
      continue;
    const std::vector<const Node *> &r = readers[n];
    if (r.empty() && !updateValues.count(n))
      continue;
    bool ok = true;
    for (const Node *reader : r)
      ok = ok && joined.count(reader) &&
           reader->type.elementsPerSample() == n->type.elementsPerSample();
    if (ok)
      joined.insert(n);
  }
  return joined;
}

} // namespace nnc
