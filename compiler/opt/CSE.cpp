//===- CSE.cpp - compute equal expressions once ---------------------------===//
//
// Walks the graph in order with a table from "what a node computes" (op,
// type, attributes, operands after earlier merges) to the first node that
// computes it. Leaves bound from outside (inputs, state) are never merged,
// and neither are stateful or random ops (dropout masks: each draws its own
// stream): the op table's kBound and kNoMerge flags.
//
//===----------------------------------------------------------------------===//
#include "opt/Passes.h"

#include <cstdio>
#include <unordered_map>

namespace nnc {
namespace {

/// Constants with more elements are not worth comparing.
constexpr size_t kMaxComparedConstant = 4096;

/// The op table decides (kBound, kNoMerge); large constants are not
/// compared.
bool mergeable(const Node &n) {
  if (hasFlag(n.op, kBound) || hasFlag(n.op, kNoMerge))
    return false;
  return n.op != OpKind::Constant || n.data.size() <= kMaxComparedConstant;
}

void put(std::string &key, double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%a,", v); // exact
  key += buf;
}

void put(std::string &key, int64_t v) { key += std::to_string(v) + ','; }

std::string keyOf(const Node &n) {
  std::string key = std::to_string(static_cast<int>(n.op)) + '|' + n.type.str() + '|';
  for (const Node *o : n.operands)
    put(key, static_cast<int64_t>(o->id));
  key += '|';
  for (int64_t v : n.ints)
    put(key, v);
  key += '|';
  for (double v : n.data)
    put(key, v);
  const Window &w = n.window;
  for (int64_t v : {w.kh, w.kw, w.strideH, w.strideW, w.dilationH, w.dilationW, w.padTop,
                    w.padBottom, w.padLeft, w.padRight})
    put(key, v);
  put(key, n.scalar);
  key += n.transA ? 'T' : 'N';
  key += n.transB ? 'T' : 'N';
  return key;
}

} // namespace

int eliminateCommonSubexpressions(Program &p) {
  std::unordered_map<std::string, Node *> first;
  std::map<const Node *, Node *> with;
  for (auto &node : p.graph.nodes()) {
    for (Node *&o : node->operands) {
      auto it = with.find(o);
      if (it != with.end())
        o = it->second;
    }
    if (!mergeable(*node))
      continue;
    auto [it, inserted] = first.emplace(keyOf(*node), node.get());
    if (!inserted)
      with[node.get()] = it->second;
  }
  replaceAllUses(p, with);
  return static_cast<int>(with.size());
}

} // namespace nnc
