//===- Program.h - a whole model: graph, state, interface, entries -*- C++ -*-===//
//
// Sema produces a Program holding the forward graph; autodiff adds gradient
// and optimizer-update nodes to the same graph; entry points (predict,
// train_step, ...) name which nodes a compiled function takes, returns and
// writes back. Codegen turns each entry into one native function.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/IR.h"
#include "support/Storage.h"

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace nnc {

/// How a state tensor gets its first value (mirrors nnrt_init_kind).
struct InitSpec {
  enum class Kind { Zeros, Constant, Data, Uniform, Normal, TruncatedNormal, Seed };
  Kind kind = Kind::Zeros;
  double a = 0, b = 0;       // constant value | low, high | mean, std
  std::vector<double> data;  // Kind::Data
  int64_t zeroRow = -1;      // >= 0: that row of dim 0 is then zeroed (padding_idx)
};

/// A tensor that lives in the model between calls.
struct StateTensor {
  /// Mirrors nnrt_tensor_kind. Buffers (batch-norm running statistics) are
  /// exported with the parameters but neither trained nor counted.
  enum class Kind { Param, Frozen, OptState, Buffer };
  std::string name;
  TensorType type;
  Kind kind = Kind::Param;
  InitSpec init;
  Node *node = nullptr; // its Param node in the graph
  SourceLoc loc;
};

/// An input or target of the model.
struct Interface {
  std::string name;
  Node *node = nullptr; // Input node
  bool isTarget = false;
  int64_t classes = 0;  // class(N) labels: i32 in 0..N-1
  /// `input m: bool[...]`, `input x: i64[...]`: the element type outside
  /// (.npy, ONNX); bool and f16 compute in f32, integers in f64.
  Storage storage = Storage::Float;
  /// A loss's ignore_index: that label value is accepted too (and ignored).
  bool hasIgnoreIndex = false;
  int64_t ignoreIndex = 0;
  SourceLoc loc;
};

/// A named model output.
struct Output {
  std::string name;
  Node *node = nullptr;
  SourceLoc loc;
  /// `output y: bool = ...`, `output y: i64 = ...`: the element type
  /// nnc predict and nnc export write (bool: non-zero; integers wrap).
  Storage storage = Storage::Float;
};

/// State a stateful recurrent layer carries from one call to the next: the
/// entries read `initial` (an Input node, per sample) and predict and
/// train_step write `final`, which the runtime keeps per batch row for the
/// next call (NNRT_ARG_STATE_IN/OUT in nnrt.h). `initial` is an input, so
/// no gradient flows into the previous batch: truncated backpropagation
/// through time.
struct CarriedState {
  std::string name; // NAME.h_n / NAME.c_n of the layer
  Node *initial = nullptr;
  Node *final = nullptr;
  SourceLoc loc;
};

/// An optimizer with its arguments (PyTorch's names and defaults) and an
/// optional learning-rate schedule over the global step or the epoch.
struct OptimizerSpec {
  std::string kind = "sgd";
  std::map<std::string, double> args;
  std::string schedule; // "", "step", "exponential", "cosine", "plateau"
  std::map<std::string, double> scheduleArgs;
  /// `per: epoch`: the schedule counts epochs, read from the state tensor
  /// `optimizer.epoch` that whoever runs the steps sets, instead of steps.
  bool schedulePerEpoch = false;
  /// plateau: the logged value it watches (`test_loss`, `val_accuracy`, ...),
  /// whether larger is better (`mode: max`) and `threshold_mode: abs`.
  std::string monitor;
  SourceLoc monitorLoc;
  bool monitorMax = false, thresholdAbs = false;
  SourceLoc loc;
  double arg(const std::string &key, double fallback) const {
    auto it = args.find(key);
    return it == args.end() ? fallback : it->second;
  }
};

/// A data set written in the model (`data { ... }` / `data test { ... }`):
/// per name, the samples flattened, and the number of samples.
struct InlineData {
  std::string name;
  std::map<std::string, std::vector<double>> columns;
  int64_t samples = 0;
  SourceLoc loc;
};

/// What a result of an entry is. Callers find results by role and name
/// (Entry::result), so the order results are added in is nobody's contract.
enum class ResultRole {
  Loss,         // the batch's loss
  Metric,       // a metric of the batch, named as declared
  LearningRate, // the step's learning rate (after the schedule)
  Output,       // a model output, named as declared
  Gradient,     // d_NAME: the loss's gradient for a parameter or a named value
  Value,        // a named (traced or checked) value
  Carried,      // a carried state's new value, named as it (CarriedState)
};

/// A compiled function's contract: arguments (Input nodes), results (nodes
/// copied to caller buffers), and state updates applied after everything
/// else has been computed.
struct Entry {
  std::string name;
  std::vector<Node *> args;
  std::vector<Node *> results;
  std::vector<std::string> resultNames;
  std::vector<ResultRole> resultRoles;
  std::vector<std::pair<int, Node *>> updates; // state index <- new value
  /// Training mode: dropout masks are drawn and ModeSelect takes its first
  /// operand (batch statistics). Off for predict and eval.
  bool training = false;

  Entry(std::string name, std::vector<Node *> args, bool training)
      : name(std::move(name)), args(std::move(args)), training(training) {}
  void addResult(Node *n, std::string resultName, ResultRole role);
  /// The index in `results` of the result with this role and name (any
  /// name when empty); a logic_error when the entry has none.
  size_t result(ResultRole role, const std::string &resultName = "") const;
  bool hasResult(ResultRole role, const std::string &resultName = "") const;
};

struct Program {
  std::string modelName;
  SourceLoc loc;
  Graph graph;
  std::vector<StateTensor> state;
  std::vector<Interface> inputs; // inputs then targets, in declaration order
  std::vector<Output> outputs;
  std::vector<CarriedState> carried;
  Node *loss = nullptr;          // scalar, unbatched (already batch-averaged)
  SourceLoc lossLoc;
  OptimizerSpec optimizer;
  std::vector<Output> metrics;   // per-sample scalars averaged like the loss
  /// State updates that are not optimizer steps (batch-norm running stats).
  std::vector<std::pair<int, Node *>> bufferUpdates;
  int stepState = -1; // index of the global step counter, when one is needed
  bool lossBatchSum = false; // `reduce: sum`: the loss sums over the batch
  /// Values the user named (let bindings), in order, for tracing.
  std::vector<std::pair<std::string, Node *>> named;
  std::vector<InlineData> datasets;
  std::map<std::string, double> trainOptions; // train { batch: 50, ... }
  std::vector<Entry> entries;

  DType lossDType() const { return loss ? loss->type.dtype : DType::F32; }
  /// The global step counter (an f64 scalar of optimizer state), created on
  /// first use: dropout masks, schedules and Adam's bias correction read it,
  /// and train_step advances it.
  Node *stepCounter();
  int64_t parameterCount() const; // learnable scalars
  const Entry *entry(const std::string &name) const;
  /// Whether `n` is a carried state's `initial` input.
  bool isCarried(const Node *n) const;
  const InlineData *dataset(const std::string &name) const;
};

/// Text form of the graph (`--emit=ir`): every node reachable from the
/// entries (or all nodes when there are none).
void printProgram(const Program &p, std::ostream &os);
/// Graphviz of the forward and gradient graph (`--emit=dot`).
void printDot(const Program &p, std::ostream &os);

} // namespace nnc
