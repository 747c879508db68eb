//===- MemoryPlan.cpp - liveness, then first-fit offsets ------------------===//
#include "codegen/MemoryPlan.h"

#include <algorithm>
#include <functional>

namespace nnc {

/// Buffers start 8-byte aligned (a batched one at offset * batch).
static constexpr int64_t kBufferAlign = 8;

static int64_t bytesOf(DType t) { return t == DType::F64 ? 8 : 4; }

bool isInlineScalar(const Entry &e, const Node &node) {
  const Node &n = canonicalNode(e, node);
  if (n.isSplatConstant() || n.op == OpKind::BatchSize)
    return true;
  if (n.op == OpKind::DropoutMask && !e.training)
    return true; // all ones outside training
  return n.op == OpKind::BroadcastTo && isInlineScalar(e, *n.operands[0]);
}

bool needsBuffer(const Entry &e, const EntryFusion &fusion, const Node &n) {
  return &canonicalNode(e, n) == &n && !isInlineScalar(e, n) && !fusion.fused.count(&n) &&
         !isLeaf(n.op) && n.op != OpKind::Scan;
}

MemoryPlan planMemory(const Entry &e, const EntryFusion &fusion) {
  const std::vector<const Node *> &nodes = fusion.nodes;
  MemoryPlan plan;
  plan.end = nodes.size();
  std::map<const Node *, size_t> def, last;
  std::function<void(const Node &, size_t)> read = [&](const Node &o, size_t at) {
    const Node &c = canonicalNode(e, o);
    if (fusion.fused.count(&c)) { // evaluated at its reader: reads its operands there
      for (const Node *x : c.operands)
        read(*x, at);
      return;
    }
    last[&c] = std::max(last[&c], at);
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    // A scan writes its results (scan_result nodes, maybe made much later
    // by autodiff) while it runs.
    def[nodes[i]] = nodes[i]->op == OpKind::ScanResult ? def.at(nodes[i]->operands[0]) : i;
    if (!fusion.fused.count(nodes[i]))
      for (const Node *o : entryOperands(e, *nodes[i]))
        read(*o, i);
  }
  for (const Node *r : e.results)
    read(*r, plan.end);
  for (auto &u : e.updates)
    read(*u.second, plan.end);

  auto place = [&](bool batched) {
    std::vector<BufferSlot> placed;
    std::vector<const Node *> order;
    for (const Node *n : nodes)
      if (needsBuffer(e, fusion, *n) && n->type.batched == batched)
        order.push_back(n);
    auto bytes = [](const Node *n) {
      return alignTo(n->type.elementsPerSample() * bytesOf(n->type.dtype), kBufferAlign);
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](const Node *a, const Node *b) { return bytes(a) > bytes(b); });
    int64_t total = 0;
    for (const Node *n : order) {
      size_t from = def[n], to = std::max(last[n], from);
      std::vector<std::pair<int64_t, int64_t>> busy; // address ranges alive with n
      for (const BufferSlot &q : placed)
        if (from <= q.to && q.from <= to)
          busy.push_back({q.offset, q.offset + q.bytes});
      std::sort(busy.begin(), busy.end());
      int64_t offset = 0, size = bytes(n);
      for (auto &range : busy) {
        if (offset + size <= range.first)
          break;
        offset = std::max(offset, range.second);
      }
      placed.push_back({n, batched, offset, size, from, to});
      total = std::max(total, offset + size);
    }
    return std::make_pair(placed, total);
  };
  auto fixed = place(false);
  plan.size.fixed = alignTo(fixed.second, 64);
  auto batched = place(true);
  plan.size.perSample = batched.second;
  plan.slots = fixed.first;
  plan.slots.insert(plan.slots.end(), batched.first.begin(), batched.first.end());
  plan.scanBlock = plan.size;
  WorkspaceSize block;
  for (const Node *n : nodes)
    if (n->op == OpKind::Scan) {
      WorkspaceSize need = layoutScan(*n, e.training, fusion.fuse).size;
      block.fixed = std::max(block.fixed, need.fixed);
      block.perSample = std::max(block.perSample, need.perSample);
    }
  plan.size.fixed += alignTo(block.fixed, 64);
  plan.size.perSample += block.perSample;
  std::stable_sort(plan.slots.begin(), plan.slots.end(),
                   [](const BufferSlot &a, const BufferSlot &b) { return a.from < b.from; });
  for (size_t i = 0; i < plan.slots.size(); ++i)
    plan.slotOf[plan.slots[i].node] = i;
  return plan;
}

void printMemoryPlan(const Program &p, bool fuse, std::ostream &os) {
  for (const Entry &e : p.entries) {
    EntryFusion fusion = planEntryFusion(p, e, fuse);
    MemoryPlan plan = planMemory(e, fusion);
    os << "entry " << e.name << ": " << plan.slots.size() << " buffers, workspace "
       << plan.size.fixed << " + " << plan.size.perSample << " bytes/sample\n";
    for (const BufferSlot &s : plan.slots) {
      os << "  %" << s.node->id << " = " << opName(s.node->op) << " : " << s.node->type.str()
         << "  " << (s.batched ? "per-sample" : "fixed") << " offset " << s.offset << " size "
         << s.bytes << " live " << s.from << ".." ;
      if (s.to == plan.end)
        os << "end";
      else
        os << s.to;
      os << '\n';
    }
  }
}

} // namespace nnc
