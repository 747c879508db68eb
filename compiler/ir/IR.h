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

enum class DType { F32, F64 };
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

enum class OpKind {
  // Leaves.
  Input,     // a model input or target, bound per call
  Param,     // a state tensor (parameter or optimizer state)
  Constant,  // literal data
  BatchSize, // the run-time batch size as a scalar of the node's dtype
  // Unary elementwise.
  Neg, Exp, Log, Sigmoid, Tanh, Relu, Step, Sign, Sqrt, Sin, Cos, Abs,
  // Binary elementwise on operands of identical type.
  Add, Sub, Mul, Div, Pow,
  // Shape ops.
  BroadcastTo, // numpy broadcast to the node's type (per-sample dims, right aligned)
  SumTo,       // sums over what BroadcastTo would have broadcast; its adjoint
  Reshape,     // same elements, new per-sample dims
  // Contraction.
  MatMul, // 2-D on full shapes (batch dimension included), optional transposes
};

const char *opName(OpKind op);
bool isUnaryElementwise(OpKind op);
bool isBinaryElementwise(OpKind op);

struct Node {
  int id = 0;
  OpKind op;
  TensorType type;
  std::vector<Node *> operands;
  std::string name;          // Input/Param: bound name; others: user's name if any
  std::vector<double> data;  // Constant: the elements (1 element = splat)
  int stateIndex = -1;       // Param: index into Program::state
  bool transA = false, transB = false; // MatMul
  SourceLoc loc;

  Node(OpKind op, TensorType type) : op(op), type(std::move(type)) {}
  bool isSplatConstant() const {
    return op == OpKind::Constant && data.size() == 1;
  }
};

/// The full (batch-included) 2-D shape of a MatMul operand, with kBatchDim
/// standing for B.
constexpr int64_t kBatchDim = -1;
std::vector<int64_t> fullDims(const TensorType &t);

/// Owns the nodes. Builders check their operands (internal invariants) with
/// asserts: user-facing checks happen in sema before these are called.
class Graph {
public:
  Node *add(std::unique_ptr<Node> node);
  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }

  Node *input(const std::string &name, const TensorType &t, SourceLoc loc = {});
  Node *param(const std::string &name, const TensorType &t, int stateIndex,
              SourceLoc loc = {});
  Node *constant(DType dtype, std::vector<int64_t> dims, std::vector<double> data);
  Node *scalar(DType dtype, double value) { return constant(dtype, {}, {value}); }
  Node *batchSize(DType dtype);
  Node *unary(OpKind op, Node *x);
  Node *binary(OpKind op, Node *a, Node *b);
  Node *broadcastTo(Node *x, const TensorType &t);
  Node *sumTo(Node *x, const TensorType &t);
  Node *reshape(Node *x, std::vector<int64_t> dims);
  Node *matmul(Node *a, Node *b, bool transA, bool transB);

  /// Broadcasts (or sums) `x` to `t` only when its type differs.
  Node *fitTo(Node *x, const TensorType &t);
  /// A constant `value` with type t (a broadcast splat).
  Node *fill(double value, const TensorType &t);

private:
  std::vector<std::unique_ptr<Node>> nodes_;
};

/// Result type of broadcasting a and b (numpy rules on per-sample dims, batch
/// if either is batched); false when the dims are incompatible.
bool broadcastTypes(const TensorType &a, const TensorType &b, TensorType &out);

} // namespace nnc
