//===- Scan.cpp - building scans ------------------------------------------===//
#include "ir/Scan.h"

#include <algorithm>
#include <cassert>

namespace nnc {

ScanBuilder::ScanBuilder(int64_t length, bool reverse, const std::string &name)
    : scan_(std::make_shared<ScanBody>()), name_(name) {
  scan_->length = length;
  scan_->reverse = reverse;
  scan_->program.modelName = name;
}

Node *ScanBuilder::carry(Node *init) {
  carryInit_.push_back(init);
  carryIn_.push_back(body().input(name_ + ".carry" + std::to_string(carryIn_.size()), init->type));
  return carryIn_.back();
}

Node *ScanBuilder::sequence(Node *xs) {
  assert(!xs->type.dims.empty() && xs->type.dims[0] == scan_->length && "not a sequence");
  TensorType step = xs->type;
  step.dims.erase(step.dims.begin());
  sequenceOuter_.push_back(xs);
  sequenceIn_.push_back(body().input(name_ + ".step" + std::to_string(sequenceIn_.size()), step));
  return sequenceIn_.back();
}

Node *ScanBuilder::capture(Node *outer) {
  auto known = captured_.find(outer);
  if (known != captured_.end())
    return known->second;
  captureOuter_.push_back(outer);
  captureIn_.push_back(
      body().input(name_ + ".capture" + std::to_string(captureIn_.size()), outer->type));
  return captured_[outer] = captureIn_.back();
}

Node *ScanBuilder::finish(Graph &outer, const std::vector<Node *> &newCarries,
                          const std::vector<Node *> &outputs) {
  assert(newCarries.size() == carryIn_.size() && "one new value per carry");
  ScanBody &s = *scan_;
  s.carries = carryIn_.size();
  s.sequences = sequenceIn_.size();
  s.captures = captureIn_.size();
  s.outputs = outputs.size();
  std::vector<Node *> args = carryIn_;
  args.insert(args.end(), sequenceIn_.begin(), sequenceIn_.end());
  args.insert(args.end(), captureIn_.begin(), captureIn_.end());
  Entry entry("body", args, false);
  for (size_t k = 0; k < newCarries.size(); ++k) {
    assert(newCarries[k]->type == carryIn_[k]->type && "a carry changed its type");
    entry.addResult(newCarries[k], "carry" + std::to_string(k), ResultRole::Value);
  }
  for (size_t m = 0; m < outputs.size(); ++m)
    entry.addResult(outputs[m], "output" + std::to_string(m), ResultRole::Value);
  for (size_t k = 0; k < carryIn_.size(); ++k) // the saved carries
    entry.addResult(carryIn_[k], "saved" + std::to_string(k), ResultRole::Value);
  s.program.entries.push_back(std::move(entry));

  auto node = std::make_unique<Node>(OpKind::Scan, TensorType{});
  node->operands = carryInit_;
  node->operands.insert(node->operands.end(), sequenceOuter_.begin(), sequenceOuter_.end());
  node->operands.insert(node->operands.end(), captureOuter_.begin(), captureOuter_.end());
  node->scan = scan_;
  node->name = name_;
  return outer.add(std::move(node));
}

size_t ScanBody::keep(Node *n) {
  size_t i = std::find(kept.begin(), kept.end(), n) - kept.begin();
  if (i == kept.size()) {
    kept.push_back(n);
    program.entries[0].addResult(n, "kept" + std::to_string(i), ResultRole::Value);
  }
  return 2 * carries + outputs + i;
}

TensorType scanResultType(const ScanBody &body, size_t k) {
  const Node *value = body.entry().results[k];
  if (k < body.carries)
    return value->type;
  TensorType t = value->type; // a step's output, stacked along a new axis 0
  t.dims.insert(t.dims.begin(), body.length);
  return t;
}

Node *scanResult(Graph &g, Node *scan, size_t k) {
  assert(scan->op == OpKind::Scan && k < scan->scan->resultCount());
  auto n = std::make_unique<Node>(OpKind::ScanResult, scanResultType(*scan->scan, k));
  n->operands = {scan};
  n->ints = {static_cast<int64_t>(k)};
  return g.add(std::move(n));
}

Node *cloneNode(Graph &g, const Node &n, std::vector<Node *> operands) {
  auto copy = std::make_unique<Node>(n.op, n.type);
  copy->operands = std::move(operands);
  copy->name = n.name;
  copy->data = n.data;
  copy->ints = n.ints;
  copy->window = n.window;
  copy->scalar = n.scalar;
  copy->stateIndex = n.stateIndex;
  copy->transA = n.transA;
  copy->transB = n.transB;
  copy->scan = n.scan;
  copy->loc = n.loc;
  return g.add(std::move(copy));
}

} // namespace nnc
