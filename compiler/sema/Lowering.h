//===- Lowering.h - sema's internal state (not a public header) -*- C++ -*-===//
//
// The Lowering class is split over several files by concern:
//   ModelLowering.cpp  declarations (input, param, loss, optimizer, data, ...)
//   Expressions.cpp    names, operators, `@`, indexing, literals
//   Builtins.cpp       functions: activations, reductions, shape ops, losses
//   Layers.cpp         layers that create parameters, and user `def`s
//   Attention.cpp      layer norm, masked fill, attention
//   Convolution.cpp    conv1d, conv2d, conv2d_transpose, pooling, pad
//   Resampling.cpp     upsample, adaptive pooling, pixel shuffle
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Scan.h"
#include "sema/DataEval.h"
#include "sema/ModelLowering.h"

#include <map>
#include <set>

namespace nnc {

/// A typed tensor (node) or a compile-time literal not yet given a dtype.
struct Value {
  Node *node = nullptr;
  Literal literal;
  bool batchSum = false; // a loss asking for reduce: sum over the batch
  /// A loss over tokens (cross-entropy of a sequence): per sample, the sum of
  /// the counted tokens' losses and their count; a `loss` or `metric` divides
  /// the batch's sums, as PyTorch's reduction='mean' over all tokens.
  Node *tokenSum = nullptr, *tokenCount = nullptr;
  bool isLiteral() const { return node == nullptr; }
};

struct Symbol {
  Value value;
  SourceLoc loc;
  std::string what; // "input", "param", ... for messages
};

/// The arguments of a call bound to a function's parameter list.
struct CallArgs {
  const Expr *call = nullptr;
  std::vector<std::string> names;
  std::vector<const Expr *> exprs; // nullptr when not given
  std::vector<SourceLoc> locs;

  const Expr *get(const std::string &name) const;
  SourceLoc loc(const std::string &name) const;
};

/// The most elements one tensor may have per sample.
constexpr int64_t kMaxElements = int64_t(1) << 32;

std::string dimsStr(const std::vector<int64_t> &dims);
/// "; did you mean 'x'?" when one of `names` is close, else "; expected a, b or c".
std::string hint(const std::string &name, const std::vector<std::string> &names);

bool isWindowLayer(const std::string &name);     // Convolution.cpp
bool isResamplingLayer(const std::string &name); // Resampling.cpp

class Lowering {
public:
  Lowering(DiagnosticEngine &diag, const LoweringOptions &options);
  std::unique_ptr<Program> run(const ModuleAST &module);

  // --- declarations (ModelLowering.cpp) ---
  void decl(const Decl &d);
  void warnUnused();
  void checkInlineLabels();
  void define(const std::string &name, SourceLoc loc, Value v, const std::string &what);
  DType dtype(const std::string &name, SourceLoc loc);
  TensorType type(const TypeSpec &spec, bool classesAllowed = false);
  int64_t namedSize(const std::string &name, SourceLoc loc);
  void param(const Decl &d);
  InitSpec init(const Expr &e, const TensorType &t, const std::string &name,
                int64_t fanIn, int64_t fanOut);
  void constant(const Decl &d);
  void output(const Decl &d);
  void loss(const Decl &d);
  void metric(const Decl &d);
  void optimizer(const Decl &d);
  void data(const Decl &d);
  void train(const Decl &d);

  // --- expressions (Expressions.cpp) ---
  Value expr(const Expr &e);
  void checkSizes(size_t firstNode, const Expr &e);
  Value lookup(const std::string &name, SourceLoc loc);
  std::string suggestion(const std::string &name);
  Node *materialize(const Value &v, DType dtype);
  Value binary(const Expr &e);
  Node *arith(const std::string &op, Node *x, Node *y, SourceLoc loc);
  void noteDeclared(const Expr &operand);
  [[noreturn]] void operandError(const Expr &operand, const std::string &message);
  Node *matmul(Node *a, Node *b, SourceLoc loc);
  /// torch.matmul of stacks (a @ b, or a @ b^T over b's last two axes).
  Node *stackedMatmul(Node *a, Node *b, SourceLoc loc, bool transB = false);
  Value index(const Expr &e);
  double scalarLiteral(const Expr &e, const std::string &what);
  int64_t intLiteral(const Expr &e, const std::string &what, int64_t min, int64_t max);
  std::vector<int64_t> intList(const Expr &e, const std::string &what, int64_t min, int64_t max);
  std::vector<double> callArgs(const Expr &call, const std::vector<std::string> &params,
                               const std::vector<double> &defaults);

  // --- builtins (Builtins.cpp) ---
  Value call(const Expr &e);
  CallArgs bind(const Expr &call, const std::vector<std::string> &params, size_t required);
  Node *tensorArg(const CallArgs &args, const std::string &name);
  Node *tensorExpr(const Expr &e, const std::string &fn);
  std::vector<int64_t> axesArg(const CallArgs &args, const TensorType &t);
  int64_t oneAxis(const CallArgs &args, const TensorType &t, int64_t fallback);
  Node *reduce(OpKind op, Node *x, const std::vector<int64_t> &axes, bool keepdims);
  Node *mean(Node *x, const std::vector<int64_t> &axes, bool keepdims);
  Node *cumulativeSum(Node *x, int64_t axis, bool exclusive, bool reverse);
  Node *logSoftmax(Node *x, int64_t axis);
  int64_t vectorAxis(const CallArgs &a, const Node *x, const Expr &call);
  Node *scalarOf(double v, const TensorType &like);
  Node *selection(const Expr &e);
  Value lossFunction(const std::string &name, const CallArgs &args);
  Value perSampleLoss(Node *elementwise, const CallArgs &args);

  // --- layers and defs (Layers.cpp) ---
  bool isLayer(const std::string &name) const;
  Value layer(const Expr &e);
  Node *createParam(const std::string &name, const TensorType &t, const InitSpec &init,
                    bool trainable, SourceLoc loc,
                    const char *fix = "give the layer a distinct name: argument");
  std::string layerName(const CallArgs &args, const std::string &suffix);
  InitSpec layerInit(const CallArgs &args, const std::string &key, const std::string &paramName,
                     const TensorType &t, int64_t fanIn, int64_t fanOut, bool isBias);
  Node *seedState();
  bool trainableArg(const CallArgs &a);
  /// y + NAME.bias (per channel, the last axis) unless `bias: false`.
  Node *layerBias(const CallArgs &a, const std::string &name, Node *y, int64_t units,
                  int64_t fanIn, int64_t fanOut);
  // --- convolution and pooling (Convolution.cpp) ---
  Node *windowLayer(const Expr &e);
  Node *transposedConv(const CallArgs &a, Node *x, Node *weight);
  Node *weightArg(const CallArgs &a, const std::string &fn, bool oneD, Node *x);
  Node *padLayer(const Expr &e);
  // --- upsample, adaptive pooling, pixel shuffle (Resampling.cpp) ---
  Node *resampling(const Expr &e);
  Node *rmsNorm(const Expr &e); // RmsNorm.cpp
  /// (x - NAME.mean) / NAME.std for --standardize (Standardize.cpp).
  Node *standardizeInput(const Interface &in, int64_t axis);
  Value callDef(const Expr &e);
  /// The body of `def` with its parameters bound in `scope`, for a use
  /// named `fn` at `loc` (a call, or a scan's cell).
  Value expandDef(const Decl &def, const std::string &fn, SourceLoc loc,
                  std::map<std::string, Symbol> scope);
  Value repeat(const Expr &e);
  Node *embedding(const Expr &e);
  // --- activations (Activations.cpp) ---
  bool isActivation(const std::string &name) const;
  Node *activation(const Expr &e);
  Node *softplus(Node *x, double beta, double threshold);
  Node *whereAbove(Node *x, double bound, Node *above, Node *otherwise);
  Node *times(Node *x, double factor);
  Node *hardClamp(Node *x, double lo, double hi, Node *low, Node *high, Node *middle);
  Node *prelu(const Expr &e);
  // --- cosine similarity and margin losses (PairLosses.cpp) ---
  bool isPairLoss(const std::string &name) const;
  Value pairLoss(const Expr &e);
  Node *clampMinZero(Node *v);
  std::pair<Node *, Node *> samePair(const CallArgs &a, const char *first, const char *second,
                                     const std::string &fn);
  // --- layer norm and attention (Attention.cpp) ---
  Node *layerNorm(const Expr &e);
  std::vector<int64_t> trailingShape(const CallArgs &a, Node *x, const std::string &fn);
  Node *groupNorm(const Expr &e); // GroupNorm.cpp
  // --- rnn, lstm, gru (Recurrent.cpp) ---
  Value recurrent(const Expr &e);
  // --- scan(cell, xs, init) (Scan.cpp) ---
  Value scan(const Expr &e);
  /// n as the scan body being lowered sees it: values from outside a body
  /// become its captures (constants are copied in).
  Node *visible(Node *n);
  Node *normalized(Node *x, const std::vector<int64_t> &axes, double eps);
  Node *withAffine(const CallArgs &a, const std::string &layer, Node *y,
                   const std::vector<int64_t> &shape);
  Node *maskedFill(const Expr &e);
  Node *scaledDotProductAttention(const Expr &e);
  Node *multiHeadAttention(const Expr &e);
  Node *attention(Node *q, Node *k, Node *v, Node *mask, bool causal, double dropout,
                  double scale, SourceLoc loc);
  void initDefaults(const Decl &d);

  DiagnosticEngine &diag_;
  LoweringOptions options_;
  std::unique_ptr<Program> program_;
  std::map<std::string, Symbol> symbols_;
  std::map<std::string, Literal> literals_; // untyped constants, `pi`, true/false
  std::set<std::string> typedConsts_;       // `const K: f32 = ...`: not folded into literals
  std::set<std::string> poisoned_;
  std::set<std::string> used_; // global symbols looked up at least once
  std::map<std::string, const Decl *> defs_;
  /// Class indices of data blocks, checked once every loss is known.
  struct LabelCheck {
    std::string input;
    SourceLoc loc;
    std::vector<double> values;
  };
  std::vector<LabelCheck> labelChecks_;
  /// Expressions that stand for an already computed value (repeat's input).
  std::map<const Expr *, Value> substitutes_;
  /// Integer tensors that hold class indices (class(N) inputs, argmax
  /// results, tokens gathered from them): their number of classes N.
  std::map<const Node *, int64_t> classes_;
  int64_t classesOf(const Node *n) const {
    auto it = classes_.find(n);
    return it == classes_.end() ? 0 : it->second;
  }

  /// The let being lowered names the layers in it (`conv1` -> conv1.weight);
  /// inside a def the prefix of the use is prepended.
  std::string currentLet_;
  int layersInLet_ = 0;
  std::vector<std::string> prefixes_;
  /// Scopes of def bodies: innermost last.
  std::vector<std::map<std::string, Symbol>> scopes_;
  int defDepth_ = 0;
  std::vector<std::string> expanding_; // the defs being expanded, outermost first
  std::map<std::string, int> anonymousUses_; // def uses outside declarations
  SourceLoc trainLoc_; // the train block, once seen
  /// Model-wide default initialisers (`init truncated_normal(0.1), bias 0.1`).
  const Expr *defaultWeightInit_ = nullptr;
  const Expr *defaultBiasInit_ = nullptr;

  /// The scans whose cells are being lowered, outermost first: new nodes
  /// go into the innermost one's body.
  std::vector<ScanBuilder *> scans_;
  SourceLoc scanLoc_; // the innermost scan, for what a cell may not do

  Graph &graph() { return scans_.empty() ? program_->graph : scans_.back()->body(); }
  /// Untyped constants visible here: globals not hidden by a def's scope,
  /// plus the def's number arguments.
  std::map<std::string, Literal> literalEnv() const;
};

} // namespace nnc
