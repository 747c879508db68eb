//===- Fusion.cpp - which nodes need no buffer of their own ---------------===//
#include "opt/Fusion.h"

#include <algorithm>
#include <map>

namespace nnc {

/// Channels below which an image's windows are still written by im2col.
static constexpr int64_t kMinImplicitChannels = 8;

/// Computes one element from the same element of each operand (aliases
/// such as stop-gradient and mode select compute nothing).
static bool fusableElementwise(const Node &n, const FusionInputs &in) {
  return nnc::isElementwise(n.op) && &in.canonical(n) == &n;
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
    if (!fusableElementwise(*n, in) || in.outputs.count(n) || aliased.count(n))
      continue;
    const std::vector<const Node *> &r = readers[n];
    if (r.size() != 1 || !fusableElementwise(*r[0], in))
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
      onlyElementwise = onlyElementwise && fusableElementwise(*reader, in);
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
    if (&in.canonical(*u.second) != u.second || !fusableElementwise(*u.second, in))
      if (!fusableElementwise(in.canonical(*u.second), in))
        return {};
  // Reverse topological order: a node joins when all its readers joined.
  std::set<const Node *> joined;
  for (auto it = in.nodes.rbegin(); it != in.nodes.rend(); ++it) {
    const Node *n = *it;
    if (!fusableElementwise(*n, in) || n->type.batched || aliased.count(n) || results.count(n))
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

std::map<const Node *, GemmEpilogue> planGemmEpilogues(const FusionInputs &in,
                                                       std::set<const Node *> &fused) {
  // Readers seen through aliases: `reshape(matmul)` read by an add counts
  // as the add reading the matmul.
  std::map<const Node *, std::vector<const Node *>> readers;
  for (const Node *n : in.nodes)
    if (&in.canonical(*n) == n)
      for (const Node *o : in.operands(*n))
        readers[&in.canonical(*o)].push_back(n);
  std::set<const Node *> escapes; // results and updates, or an alias of one
  for (const Node *o : in.outputs)
    escapes.insert(&in.canonical(*o));
  Readers direct = readersOf(in);
  std::map<const Node *, GemmEpilogue> epilogues;
  for (const Node *m : in.nodes) {
    if (m->op != OpKind::MatMul || &in.canonical(*m) != m || escapes.count(m) || fused.count(m))
      continue;
    const std::vector<const Node *> &r = readers[m];
    if (r.size() != 1 || r[0]->op != OpKind::Add)
      continue;
    const Node *add = r[0];
    // Batched only: unbatched adds may belong to the optimizer's update loops.
    if (!add->type.batched || !m->type.batched || add->type.dtype != m->type.dtype ||
        add->type.elementsPerSample() != m->type.elementsPerSample())
      continue;
    const Node *other = &in.canonical(*add->operands[0]) == m ? add->operands[1] : add->operands[0];
    if (&in.canonical(*other) == m || other->op != OpKind::BroadcastTo || !fused.count(other))
      continue;
    // The broadcast repeats a [N] tensor over the rows: element i of the
    // product is column i mod N.
    const Node *bias = other->operands[0];
    const Node &biasData = in.canonical(*bias);
    // C is rows x columns, columns = B's column count; bias index i mod N
    // is the column only when that is the product's last dimension.
    const Node &factor = *m->operands[1];
    int64_t columns = 1;
    for (int64_t d : matrixView(factor.type, m->transB).cols)
      columns *= d;
    if (factor.type.batched || m->type.dims.empty() || m->type.dims.back() != columns)
      continue;
    if (bias->type.batched || bias->type.elementsPerSample() != columns ||
        bias->type.dtype != m->type.dtype || fused.count(&biasData) ||
        biasData.op == OpKind::Constant || biasData.op == OpKind::BroadcastTo ||
        biasData.op == OpKind::BatchSize || biasData.op == OpKind::DropoutMask)
      continue; // the GEMM reads the bias from a buffer: these may have none
    const Node *target = add;
    bool relu = false;
    if (fused.count(add)) { // computed in its one elementwise reader
      const Node *reader = direct.readers[add][0];
      if (reader->op == OpKind::Relu && !fused.count(reader)) {
        target = reader;
        relu = true;
      } else {
        fused.erase(add); // the GEMM writes the sum; the reader loads it
      }
    }
    fused.insert(m);
    epilogues[target] = {m, bias, relu};
  }
  return epilogues;
}

/// Whether the product m calls the GEMM whatever the batch: its size with
/// a batch of one already does (MatMulKernels.cpp's test).
static bool gemmAtAnyBatch(const Node &m) {
  auto extent = [](const std::vector<int64_t> &dims) {
    int64_t p = 1;
    for (int64_t d : dims)
      p *= d == kBatchDim ? 1 : d;
    return p;
  };
  MatrixView a = matrixView(m.operands[0]->type, m.transA);
  MatrixView b = matrixView(m.operands[1]->type, m.transB);
  int64_t rows = extent(a.rows);
  return rows >= kGemmMinRows && rows * extent(a.cols) * extent(b.cols) >= kGemmMinWork;
}

std::set<const Node *> planImplicitIm2Col(const FusionInputs &in) {
  Readers index = readersOf(in);
  std::set<const Node *> implicit;
  for (const Node *n : in.nodes) {
    if (n->op != OpKind::Im2Col || &in.canonical(*n) != n || in.outputs.count(n) ||
        index.aliased.count(n) || !n->type.batched)
      continue;
    const Node &image = *n->operands[0];
    if (!image.type.batched || image.type.dims.size() != 3 || image.type.dims[2] < kMinImplicitChannels)
      continue;
    const std::vector<const Node *> &readers = index.readers[n];
    bool ok = !readers.empty();
    for (const Node *r : readers)
      ok = ok && r->op == OpKind::MatMul && r->operands[0] == n && r->operands[1] != n &&
           gemmAtAnyBatch(*r);
    if (ok)
      implicit.insert(n);
  }
  return implicit;
}

std::vector<const Node *> entryOperands(const Entry &e, const Node &n) {
  if (n.op == OpKind::ModeSelect)
    return {n.operands[e.training ? 0 : 1]};
  if (n.op == OpKind::DropoutMask && !e.training)
    return {};
  return {n.operands.begin(), n.operands.end()};
}

const Node &canonicalNode(const Entry &e, const Node &n) {
  if (!hasFlag(n.op, kAlias))
    return n;
  // A mode select aliases the operand of the entry's mode; the others operand 0.
  bool second = n.op == OpKind::ModeSelect && !e.training;
  return canonicalNode(e, *n.operands[second ? 1 : 0]);
}

EntryFusion planEntryFusion(const Program &p, const Entry &e, bool fuse) {
  EntryFusion plan;
  plan.fuse = fuse;
  std::set<const Node *> seen;
  std::vector<const Node *> stack(e.results.begin(), e.results.end());
  for (auto &u : e.updates)
    stack.push_back(u.second);
  while (!stack.empty()) {
    const Node *n = stack.back();
    stack.pop_back();
    if (seen.insert(n).second)
      for (const Node *o : entryOperands(e, *n))
        stack.push_back(o);
  }
  for (auto &n : p.graph.nodes())
    if (seen.count(n.get()))
      plan.nodes.push_back(n.get());
  if (!fuse)
    return plan;

  std::set<const Node *> outputs(e.results.begin(), e.results.end());
  for (auto &u : e.updates)
    outputs.insert(u.second);
  FusionInputs in{plan.nodes, outputs, [&](const Node &n) { return entryOperands(e, n); },
                  [&](const Node &n) -> const Node & { return canonicalNode(e, n); }};
  plan.fused = planElementwiseFusion(in);
  for (const Node *n : planBroadcastInlining(in))
    plan.fused.insert(n);
  std::vector<std::pair<int, const Node *>> updates(e.updates.begin(), e.updates.end());
  for (const Node *n : planUpdateLoops(in, updates)) {
    plan.fused.insert(n);
    if (outputs.count(n))
      plan.inUpdateLoop.insert(n);
  }
  plan.epilogues = planGemmEpilogues(in, plan.fused);
  for (const Node *n : planImplicitIm2Col(in))
    plan.fused.insert(n);
  return plan;
}

} // namespace nnc
