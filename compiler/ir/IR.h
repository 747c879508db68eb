//===- IR.h - the tensor IR every stage after sema reads and writes -*- C++ -*-===//
//
// A model is one Graph of SSA nodes with static shapes. Each node is defined
// once; operands always precede users in `Graph::nodes()`, so the node list is
// a topological order. Shapes are per sample: a node whose `batched` flag is
// set has an implicit leading batch dimension of run-time size B. Binary
// elementwise ops take operands of identical type: broadcasting is explicit
// (BroadcastTo, and its adjoint SumTo), which keeps gradient rules one line.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "support/Diagnostics.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc {

enum class DType { F32, F64, I32 }; // I32: class labels only
const char *dtypeName(DType t);

/// A tensor type: element type, per-sample dims, and whether the value has
/// a leading batch dimension.
struct TensorType {
  DType dtype = DType::F32;
  std::vector<int64_t> dims;
  bool batched = false;

  int64_t elementsPerSample() const;
  bool isScalar() const { return dims.empty(); }
  bool operator==(const TensorType &o) const {
    return dtype == o.dtype && dims == o.dims && batched == o.batched;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }
  /// `f64[B, 2, 2]`-style text; B marks the batch dimension.
  std::string str() const;
  /// Per-sample dims as `[2, 2]` (what a user wrote).
  std::string shapeStr() const;
};

/// Every IR op, one enumerator per row of Ops.def.
enum class OpKind {
#define NNC_OP(Name, Printed, Operands, Kind, Flags) Name,
#include "ir/Ops.def"
};

/// What kind of computation an op is (the row's macro in Ops.def).
enum class OpClass { Leaf, Random, Unary, Binary, Ternary, Shape, Window, Contraction, Index, Loop, Fused };

/// The operand count of an op whose nodes differ in how many they have (Scan).
constexpr int kVariadic = -1;

/// Properties of an op (the Flags column of Ops.def).
enum OpFlag : unsigned {
  kBound = 1u << 0,      // bound by name from outside (inputs, state)
  kNoMerge = 1u << 1,    // stateful or random: CSE never merges it
  kFoldable = 1u << 2,   // ConstantFold may evaluate it
  kNoGradient = 1u << 3, // no gradient flows to its operands
  kAlias = 1u << 4,      // reads an operand's buffer, computes nothing
  kFunction = 1u << 5,   // a model calls it by its printed name: `exp(x)`
};

/// SELU's constants, PyTorch's (Klambauer et al. 2017).
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

/// One row of the op table.
struct OpInfo {
  const char *name;
  int operands; // how many operands every node of the op has
  OpClass opClass;
  unsigned flags;
};
const OpInfo &opInfo(OpKind op);
inline const char *opName(OpKind op) { return opInfo(op).name; }
inline bool hasFlag(OpKind op, OpFlag flag) { return (opInfo(op).flags & flag) != 0; }
inline OpClass opClass(OpKind op) { return opInfo(op).opClass; }
/// No operands: inputs, state, constants, the batch size.
inline bool isLeaf(OpKind op) { return opClass(op) == OpClass::Leaf; }
inline bool isUnaryElementwise(OpKind op) { return opClass(op) == OpClass::Unary; }
inline bool isBinaryElementwise(OpKind op) { return opClass(op) == OpClass::Binary; }
/// One element from the same element of each operand.
inline bool isElementwise(OpKind op) {
  return isUnaryElementwise(op) || isBinaryElementwise(op) || opClass(op) == OpClass::Ternary;
}

/// A sliding window over [H, W, C] (conv2d, pooling).
struct Window {
  int64_t kh = 1, kw = 1, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int64_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
  int64_t outH(int64_t h) const { return (h + padTop + padBottom - dilationH * (kh - 1) - 1) / strideH + 1; }
  int64_t outW(int64_t w) const { return (w + padLeft + padRight - dilationW * (kw - 1) - 1) / strideW + 1; }
};

struct ScanBody; // ir/Scan.h

struct Node {
  int id = 0;
  OpKind op;
  TensorType type;
  std::vector<Node *> operands;
  std::string name;          // Input/Param: bound name; others: user's name if any
  std::vector<double> data;  // Constant: the elements (1 element = splat);
                             // RandomNormal: mean, std; RandomUniform: low, high
  std::vector<int64_t> ints; // Transpose: perm; Slice/Pad: starts; MaxTo: unused
  Window window;             // Im2Col/Col2Im/MaxPool/MaxPoolGrad
  double scalar = 0;         // Im2Col: padding value; DropoutMask: rate
  int stateIndex = -1;       // Param: index into Program::state
  bool transA = false, transB = false; // MatMul, BatchMatMul
  std::shared_ptr<ScanBody> scan;      // Scan: its body; ScanResult: ints[0] = which result
  SourceLoc loc;

  Node(OpKind op, TensorType type) : op(op), type(std::move(type)) {}
  bool isSplatConstant() const {
    return op == OpKind::Constant && data.size() == 1;
  }
};

/// The full (batch-included) shape, with kBatchDim standing for B.
constexpr int64_t kBatchDim = -1;
std::vector<int64_t> fullDims(const TensorType &t);

/// How MatMul sees an operand: a 2-D matrix [rows, cols] where cols is the
/// last dim and rows the product of all others (the batch included). Each
/// part is a list of dims whose product is the extent (kBatchDim = B).
struct MatrixView {
  std::vector<int64_t> rows, cols;
};
MatrixView matrixView(const TensorType &t, bool transposed);

/// How BatchMatMul sees its operands and result: `count` matrices of
/// M x K, K x N and M x N (after the transposes), with the per-sample
/// stack size `stack` (the leading dims' product; count = B * stack when
/// batched).
struct StackView {
  int64_t stack = 1, m = 0, n = 0, k = 0;
};
StackView stackView(const Node &batchMatMul);

/// Owns the nodes. Builders check their operands (internal invariants) with
/// asserts: user-facing checks happen in sema before these are called.
class Graph {
public:
  Node *add(std::unique_ptr<Node> node);
  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }
  /// The nodes `roots` depend on (roots included), in graph order.
  std::vector<Node *> reaching(const std::vector<const Node *> &roots) const;
  /// One more than the largest id handed out: ids stay unique and stable
  /// when passes erase nodes (dropout masks and profiles key on them).
  int idBound() const { return nextId_; }
  /// Removes the nodes for which `dead` is true; nobody may still use them.
  template <typename Pred> void eraseIf(Pred dead) {
    std::vector<std::unique_ptr<Node>> kept;
    for (auto &n : nodes_)
      if (!dead(*n))
        kept.push_back(std::move(n));
    nodes_ = std::move(kept);
  }

  Node *input(const std::string &name, const TensorType &t, SourceLoc loc = {});
  Node *param(const std::string &name, const TensorType &t, int stateIndex,
              SourceLoc loc = {});
  Node *constant(DType dtype, std::vector<int64_t> dims, std::vector<double> data);
  Node *scalar(DType dtype, double value) { return constant(dtype, {}, {value}); }
  Node *batchSize(DType dtype);
  Node *unary(OpKind op, Node *x);
  Node *binary(OpKind op, Node *a, Node *b);
  /// b where cond is non-zero, else c; all three of one type.
  Node *select(Node *cond, Node *b, Node *c);
  Node *broadcastTo(Node *x, const TensorType &t);
  Node *sumTo(Node *x, const TensorType &t);
  Node *reshape(Node *x, std::vector<int64_t> dims);
  Node *matmul(Node *a, Node *b, bool transA, bool transB);
  /// Stacks of matrices (rank >= 2 per sample, equal leading dims):
  /// [..., M, K] @ [..., K, N] -> [..., M, N], batched when either is.
  Node *batchMatMul(Node *a, Node *b, bool transA, bool transB);
  Node *maxTo(Node *x, const TensorType &t);
  Node *transpose(Node *x, std::vector<int64_t> perm);
  Node *slice(Node *x, std::vector<int64_t> starts, std::vector<int64_t> sizes);
  Node *pad(Node *x, std::vector<int64_t> starts, std::vector<int64_t> dims);
  Node *im2col(Node *x, const Window &w, double padValue);
  Node *col2im(Node *cols, const Window &w, const TensorType &imageType);
  Node *maxPool(Node *x, const Window &w);
  Node *maxPoolGrad(Node *x, Node *g, const Window &w);
  Node *oneHot(Node *labels, int64_t classes, DType dtype);
  /// x's slices along `axis` picked by the i32 `indices` (torch.index_select
  /// with an index tensor of any shape; batched when either is).
  Node *gather(Node *x, Node *indices, int64_t axis);
  /// ArgMax / ArgMin over per-sample `axis`: i32, that axis dropped.
  Node *argReduce(OpKind op, Node *x, int64_t axis);
  /// The adjoint of gather: `g`'s slices summed into zeros of type `t` at
  /// their indices (and over the batch when t is unbatched).
  Node *scatterAdd(Node *g, Node *indices, int64_t axis, const TensorType &t);
  /// Per-sample -log softmax(logits)[label] over logits' last axis.
  Node *softmaxCrossEntropy(Node *logits, Node *labels);
  /// Its gradient with respect to the logits, given the loss's adjoint g.
  Node *softmaxCrossEntropyGrad(Node *logits, Node *labels, Node *g);
  /// Softmax over the last axis as one row kernel, and its gradient.
  Node *softmaxRows(Node *x);
  Node *softmaxRowsGrad(Node *y, Node *g);
  Node *cast(Node *x, DType dtype);
  Node *modeSelect(Node *training, Node *inference);
  Node *dropoutMask(Node *step, Node *seed, const TensorType &t, double rate);
  /// RandomNormal (a = mean, b = std) or RandomUniform (a = low, b = high)
  /// of type t, keyed by the step counter and the seed.
  Node *random(OpKind op, Node *step, Node *seed, const TensorType &t, double a, double b);

  /// Broadcasts (or sums) `x` to `t` only when its type differs.
  Node *fitTo(Node *x, const TensorType &t);
  /// A constant `value` with type t (a broadcast splat).
  Node *fill(double value, const TensorType &t);

private:
  std::vector<std::unique_ptr<Node>> nodes_;
  int nextId_ = 0;
};

/// Result type of broadcasting a and b (numpy rules on per-sample dims, batch
/// if either is batched); false when the dims are incompatible.
bool broadcastTypes(const TensorType &a, const TensorType &b, TensorType &out);

} // namespace nnc
