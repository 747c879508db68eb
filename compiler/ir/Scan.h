//===- Scan.h - recurrence: a loop over a sequence axis with a body -*- C++ -*-===//
//
// A scan runs its body once per step t of a sequence, carrying state from
// one step to the next (RNN, LSTM, GRU, a user's cell):
//
//   carry = init
//   for t in 0..T-1 (T-1..0 when reversed):
//     carry, y = body(carry, xs[t], captures)
//     ys[t] = y
//   results: the final carry, then ys stacked along a new axis 0
//
// The body is a Program of its own with one entry: its arguments are the
// carries, the step's slices of the sequences and the captures (loop
// invariants: weights, precomputed values); its results are the new carries
// then the per-step outputs. Sequences and stacked outputs have the step
// axis first in each sample ([B, T, ...], PyTorch's batch_first). Code
// generation emits the body once, as a function the scan's loop calls, so
// code size does not grow with T.
//
// Every scan also returns, after the user's outputs, the carries that
// entered each step ("saved" carries): its gradient, the reverse scan
// (backpropagation through time, Autodiff.cpp), recomputes each step's
// body from them, so nothing else of the forward loop is kept. Results no
// entry reads are not written.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Program.h"

#include <map>
#include <memory>

namespace nnc {

struct ScanBody {
  Program program;     // the body; program.entries[0] is its one entry
  int64_t length = 0;  // T, the number of steps
  bool reverse = false;
  /// The layer that made the scan ("lstm", "gru", "gru_reset_before",
  /// "rnn_tanh", "rnn_relu"),
  /// empty for a user's cell: `nnc export` writes a layer's scan as ONNX's
  /// LSTM, GRU or RNN op.
  std::string cell;
  size_t carries = 0, sequences = 0, captures = 0; // the operand groups, in this order
  size_t outputs = 0;  // the user's per-step outputs (the saved carries follow)
  /// Body values kept per step for the gradient (results after the saved
  /// carries): the reverse scan reads them instead of recomputing them.
  std::vector<const Node *> kept;
  /// NNC_PROFILE=1: the body's node n is profiled as profileBase + n.id
  /// (set by code generation; -1 until then).
  int profileBase = -1;

  const Entry &entry() const { return program.entries[0]; }
  /// Result k of the scan: final carries, the user's stacked outputs, the
  /// saved carries (stacked), the kept values (stacked).
  size_t resultCount() const { return 2 * carries + outputs + kept.size(); }
  size_t savedCarry(size_t k) const { return carries + outputs + k; }
  size_t stackedOutput(size_t m) const { return carries + m; }
  /// The result that stacks body node n's value of every step (added once).
  size_t keep(Node *n);
};

/// Builds a scan's body, then the scan. The body's nodes go in `body()`;
/// carry(), sequence() and capture() give the Input nodes the body reads.
class ScanBuilder {
public:
  ScanBuilder(int64_t length, bool reverse, const std::string &name);
  Graph &body() { return scan_->program.graph; }
  /// The carried value, starting from `init`.
  Node *carry(Node *init);
  /// Step t's slice of `xs` (per sample [T, ...]).
  Node *sequence(Node *xs);
  /// A loop-invariant outer value (a weight, a precomputed tensor); asking
  /// twice for one value gives one Input.
  Node *capture(Node *outer);
  /// The scan in `outer`: new carries (one per carry(), same types) and
  /// per-step outputs.
  Node *finish(Graph &outer, const std::vector<Node *> &newCarries,
               const std::vector<Node *> &outputs);

private:
  std::shared_ptr<ScanBody> scan_;
  std::string name_;
  std::vector<Node *> carryInit_, sequenceOuter_, captureOuter_;
  std::vector<Node *> carryIn_, sequenceIn_, captureIn_;
  std::map<const Node *, Node *> captured_;
};

/// Result k of `scan` (see ScanBody): its node, made once per k.
Node *scanResult(Graph &g, Node *scan, size_t k);
/// The type of result k.
TensorType scanResultType(const ScanBody &body, size_t k);

/// A copy of `n` (every attribute) in `g` with new operands.
Node *cloneNode(Graph &g, const Node &n, std::vector<Node *> operands);

} // namespace nnc
