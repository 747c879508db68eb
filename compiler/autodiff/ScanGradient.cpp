//===- ScanGradient.cpp - backpropagation through time --------------------===//
//
// The gradient of a scan is a scan running the other way. Its step t gets
// the carries that entered forward step t (the forward scan's saved
// carries), the step's sequence slices and the adjoints of the step's
// outputs; it recomputes the forward body from them and differentiates it
// with the same rules as every other graph (differentiateFrom), seeded by
// the adjoints of the new carries, which it carries backwards. Gradients of
// captures (weights) are carried too, summed over the steps. So the
// forward loop keeps only its carries, T x the carry per sequence.
//
//===----------------------------------------------------------------------===//
#include "autodiff/Autodiff.h"
#include "ir/Scan.h"

#include <cassert>

namespace nnc {

std::vector<Node *> scanGradient(Graph &g, Node *scan, const std::vector<Node *> &dResults,
                                 const std::vector<bool> &needs) {
  const ScanBody &fwd = *scan->scan;
  const Entry &fe = fwd.entry();
  size_t nc = fwd.carries, ns = fwd.sequences, nw = fwd.captures;
  ScanBuilder b(fwd.length, !fwd.reverse, scan->name + ".grad");
  Graph &body = b.body();

  // Carries: the adjoints of the forward carries, then one sum per capture
  // whose gradient is wanted.
  std::vector<Node *> dCarry;
  for (size_t k = 0; k < nc; ++k) {
    Node *init = dResults[k] ? dResults[k] : g.fill(0.0, fe.args[k]->type);
    dCarry.push_back(b.carry(init));
  }
  std::vector<size_t> wanted; // captures whose gradient is summed
  std::vector<Node *> sums;
  for (size_t j = 0; j < nw; ++j)
    if (needs[nc + ns + j]) {
      wanted.push_back(j);
      sums.push_back(b.carry(g.fill(0.0, fe.args[nc + ns + j]->type)));
    }
  // Sequences: the saved carries, the forward sequences, the outputs' adjoints.
  std::map<const Node *, Node *> cloned;
  std::vector<Node *> saved, xs, ws;
  for (size_t k = 0; k < nc; ++k) {
    saved.push_back(b.sequence(scanResult(g, scan, fwd.savedCarry(k))));
    cloned[fe.args[k]] = saved.back();
  }
  for (size_t j = 0; j < ns; ++j) {
    xs.push_back(b.sequence(scan->operands[nc + j]));
    cloned[fe.args[nc + j]] = xs.back();
  }
  std::vector<Node *> dOutput(fwd.outputs, nullptr);
  for (size_t m = 0; m < fwd.outputs; ++m)
    if (Node *d = dResults[fwd.stackedOutput(m)])
      dOutput[m] = b.sequence(d);
  for (size_t j = 0; j < nw; ++j) {
    ws.push_back(b.capture(scan->operands[nc + ns + j]));
    cloned[fe.args[nc + ns + j]] = ws.back();
  }

  // The forward step again, on this step's saved carries.
  for (auto &n : fwd.program.graph.nodes()) {
    if (cloned.count(n.get()))
      continue;
    assert(n->op != OpKind::Input && "a body input that is not an argument");
    std::vector<Node *> operands;
    for (Node *o : n->operands)
      operands.push_back(cloned.at(o));
    cloned[n.get()] = cloneNode(body, *n, operands);
  }
  std::vector<std::pair<Node *, Node *>> seeds;
  for (size_t k = 0; k < nc; ++k)
    seeds.push_back({cloned.at(fe.results[k]), dCarry[k]});
  for (size_t m = 0; m < fwd.outputs; ++m)
    if (dOutput[m])
      seeds.push_back({cloned.at(fe.results[nc + m]), dOutput[m]});
  std::vector<Node *> wrt = saved;
  wrt.insert(wrt.end(), xs.begin(), xs.end());
  wrt.insert(wrt.end(), ws.begin(), ws.end());
  std::map<const Node *, Node *> adjoint = differentiateFrom(body, seeds, wrt);
  auto adjointOr0 = [&](Node *x) {
    auto it = adjoint.find(x);
    return it != adjoint.end() ? it->second : body.fill(0.0, x->type);
  };

  std::vector<Node *> newCarries, outputs;
  for (size_t k = 0; k < nc; ++k)
    newCarries.push_back(adjointOr0(saved[k]));
  for (size_t i = 0; i < wanted.size(); ++i) {
    auto it = adjoint.find(ws[wanted[i]]);
    newCarries.push_back(it == adjoint.end() ? sums[i]
                                             : body.binary(OpKind::Add, sums[i], it->second));
  }
  std::vector<size_t> outputOf; // sequence j -> its output's index
  for (size_t j = 0; j < ns; ++j)
    if (needs[nc + j]) {
      outputOf.push_back(j);
      outputs.push_back(adjointOr0(xs[j]));
    }
  Node *back = b.finish(g, newCarries, outputs);

  std::vector<Node *> d(scan->operands.size(), nullptr);
  for (size_t k = 0; k < nc; ++k)
    if (needs[k])
      d[k] = scanResult(g, back, k);
  for (size_t i = 0; i < wanted.size(); ++i)
    d[nc + ns + wanted[i]] = scanResult(g, back, nc + i);
  for (size_t i = 0; i < outputOf.size(); ++i)
    d[nc + outputOf[i]] = scanResult(g, back, back->scan->stackedOutput(i));
  return d;
}

} // namespace nnc
