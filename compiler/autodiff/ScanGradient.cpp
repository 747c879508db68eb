//===- ScanGradient.cpp - backpropagation through time --------------------===//
//
// The gradient of a scan is a scan running the other way. Its step t gets
// the carries that entered forward step t (the forward scan's saved
// carries), the step's sequence slices and the adjoints of the step's
// outputs; it recomputes the forward body from them and differentiates it
// with the same rules as every other graph (differentiateFrom), seeded by
// the adjoints of the new carries, which it carries backwards. So the
// forward loop keeps its carries, T x the carry per sequence, and the
// step's matrix products (h @ W, the expensive part of a step): the reverse
// body reads those instead of recomputing them (their gradient needs only
// their operands, so the recomputed product is left dead).
//
// Gradients of captures (weights) are sums over the steps. A weight's step
// gradient that is a product over the batch, dW_t = a_tᵀ b_t (every
// `h @ W` gives one), is not summed in the loop: the loop outputs a_t and
// b_t per step (or uses the saved carries and sequences it already has) and
// one matrix product after it contracts steps and batch at once,
// dW = Aᵀ B over [B, T, ...]: one large GEMM instead of T small ones and T
// accumulations. A bias's step gradient, a sum over the batch, likewise
// becomes one sum after the loop. Other capture gradients are carried.
//
//===----------------------------------------------------------------------===//
#include "autodiff/Autodiff.h"
#include "ir/Scan.h"

#include <cassert>
#include <set>

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
  std::vector<size_t> wanted; // captures whose gradient is wanted
  for (size_t j = 0; j < nw; ++j)
    if (needs[nc + ns + j])
      wanted.push_back(j);
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

  // The forward step again, on this step's saved carries; a matrix product
  // that changes from step to step is read from the forward scan instead.
  std::set<const Node *> varying(fe.args.begin(), fe.args.begin() + nc + ns);
  std::map<Node *, Node *> keptAs; // recomputed product -> its kept value
  for (auto &n : fwd.program.graph.nodes()) {
    if (cloned.count(n.get()))
      continue;
    assert(n->op != OpKind::Input && "a body input that is not an argument");
    std::vector<Node *> operands;
    for (Node *o : n->operands) {
      operands.push_back(cloned.at(o));
      if (varying.count(o))
        varying.insert(n.get());
    }
    cloned[n.get()] = cloneNode(body, *n, operands);
    if (n->op == OpKind::MatMul && varying.count(n.get()))
      keptAs[cloned[n.get()]] = b.sequence(scanResult(g, scan, scan->scan->keep(n.get())));
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
  std::vector<size_t> outputOf; // sequence j -> its output's index
  for (size_t j = 0; j < ns; ++j)
    if (needs[nc + j]) {
      outputOf.push_back(j);
      outputs.push_back(adjointOr0(xs[j]));
    }

  // Capture gradients: a product or a sum over the batch is done once after
  // the loop, on the stacked values; anything else is summed in a carry.
  // A stacked value is a sequence the loop already reads (the saved
  // carries, the forward sequences), or one more output of the loop.
  std::map<const Node *, Node *> outer; // the loop's sequence inputs, outside
  for (size_t k = 0; k < nc; ++k)
    outer[saved[k]] = scanResult(g, scan, fwd.savedCarry(k));
  for (size_t j = 0; j < ns; ++j)
    outer[xs[j]] = scan->operands[nc + j];
  std::map<const Node *, size_t> stackedAt; // body node -> its output index
  auto stacked = [&](Node *v) {
    if (!outer.count(v) && !stackedAt.count(v)) {
      stackedAt[v] = outputs.size();
      outputs.push_back(v);
    }
  };
  auto batchProduct = [](const Node *a) {
    return a->op == OpKind::MatMul && a->transA && !a->transB && !a->type.batched &&
           a->operands[0]->type.batched && a->operands[1]->type.batched;
  };
  auto batchSum = [](const Node *a) {
    return a->op == OpKind::SumTo && !a->type.batched && a->operands[0]->type.batched;
  };
  std::vector<Node *> dCapture(wanted.size(), nullptr); // body adjoint, when after the loop
  std::vector<int> carriedAt(wanted.size(), -1);
  for (size_t i = 0; i < wanted.size(); ++i) {
    auto it = adjoint.find(ws[wanted[i]]);
    if (it == adjoint.end())
      continue; // no gradient: zeros
    Node *a = it->second;
    if (batchProduct(a) || batchSum(a)) {
      dCapture[i] = a;
      for (Node *o : a->operands)
        stacked(o);
      continue;
    }
    carriedAt[i] = static_cast<int>(newCarries.size());
    Node *sum = b.carry(g.fill(0.0, a->type));
    newCarries.push_back(body.binary(OpKind::Add, sum, a));
  }
  // Every use of a recomputed product reads the kept value: the product
  // itself is then dead (its gradient rule reads only its operands).
  for (auto &n : body.nodes())
    for (Node *&o : n->operands)
      if (keptAs.count(o))
        o = keptAs.at(o);
  for (std::vector<Node *> *list : {&newCarries, &outputs})
    for (Node *&v : *list)
      if (keptAs.count(v))
        v = keptAs.at(v);
  Node *back = b.finish(g, newCarries, outputs);
  auto all = [&](Node *v) {
    auto it = outer.find(v);
    return it != outer.end() ? it->second
                             : scanResult(g, back, back->scan->stackedOutput(stackedAt.at(v)));
  };

  std::vector<Node *> d(scan->operands.size(), nullptr);
  for (size_t k = 0; k < nc; ++k)
    if (needs[k])
      d[k] = scanResult(g, back, k);
  for (size_t i = 0; i < wanted.size(); ++i) {
    const TensorType &type = fe.args[nc + ns + wanted[i]]->type;
    Node *a = dCapture[i];
    d[nc + ns + wanted[i]] =
        carriedAt[i] >= 0 ? scanResult(g, back, static_cast<size_t>(carriedAt[i]))
        : !a              ? g.fill(0.0, type)
        : a->op == OpKind::MatMul
            ? g.matmul(all(a->operands[0]), all(a->operands[1]), true, false)
            : g.sumTo(all(a->operands[0]), type);
  }
  for (size_t i = 0; i < outputOf.size(); ++i)
    d[nc + outputOf[i]] = scanResult(g, back, back->scan->stackedOutput(i));
  return d;
}

} // namespace nnc
