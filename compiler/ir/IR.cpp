//===- IR.cpp - node builders and type rules ------------------------------===//
#include "ir/IR.h"

#include <algorithm>
#include <set>

#include <cassert>
#include <sstream>

namespace nnc {

const char *dtypeName(DType t) {
  return t == DType::F32 ? "f32" : t == DType::F64 ? "f64" : "i32";
}

int64_t TensorType::elementsPerSample() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

std::string TensorType::shapeStr() const {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < dims.size(); ++i)
    os << (i ? ", " : "") << dims[i];
  os << ']';
  return os.str();
}

std::string TensorType::str() const {
  std::ostringstream os;
  os << dtypeName(dtype);
  if (batched || !dims.empty()) {
    os << '[';
    bool first = true;
    if (batched) {
      os << 'B';
      first = false;
    }
    for (int64_t d : dims) {
      os << (first ? "" : ", ") << d;
      first = false;
    }
    os << ']';
  }
  return os.str();
}

const OpInfo &opInfo(OpKind op) {
  static const OpInfo table[] = {
#define NNC_OP(Name, Printed, Operands, Kind, Flags) {Printed, Operands, OpClass::Kind, Flags},
#include "ir/Ops.def"
  };
  return table[static_cast<size_t>(op)];
}

MatrixView matrixView(const TensorType &t, bool transposed) {
  std::vector<int64_t> full = fullDims(t);
  MatrixView v;
  v.rows.assign(full.begin(), full.end() - 1);
  v.cols.push_back(full.back());
  if (transposed)
    std::swap(v.rows, v.cols);
  return v;
}

/// Product of dims, with B counted separately: {product of the rest, #B}.
static std::pair<int64_t, int> extent(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  int batch = 0;
  for (int64_t d : dims) {
    if (d == kBatchDim)
      ++batch;
    else
      n *= d;
  }
  return {n, batch};
}

std::vector<int64_t> fullDims(const TensorType &t) {
  std::vector<int64_t> dims;
  if (t.batched)
    dims.push_back(kBatchDim);
  dims.insert(dims.end(), t.dims.begin(), t.dims.end());
  return dims;
}

bool broadcastTypes(const TensorType &a, const TensorType &b, TensorType &out) {
  out.dtype = a.dtype;
  out.batched = a.batched || b.batched;
  size_t rank = std::max(a.dims.size(), b.dims.size());
  out.dims.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    // Right-aligned: missing leading dims count as 1.
    int64_t da = i < rank - a.dims.size() ? 1 : a.dims[i - (rank - a.dims.size())];
    int64_t db = i < rank - b.dims.size() ? 1 : b.dims[i - (rank - b.dims.size())];
    if (da != db && da != 1 && db != 1)
      return false;
    out.dims[i] = da == 1 ? db : da;
  }
  return true;
}

std::vector<Node *> Graph::reaching(const std::vector<const Node *> &roots) const {
  std::set<const Node *> seen;
  std::vector<const Node *> stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    const Node *n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second)
      continue;
    for (const Node *o : n->operands)
      stack.push_back(o);
  }
  std::vector<Node *> order;
  for (auto &n : nodes_)
    if (seen.count(n.get()))
      order.push_back(n.get());
  return order;
}

Node *Graph::add(std::unique_ptr<Node> node) {
  assert((opInfo(node->op).operands == kVariadic ||
          node->operands.size() == static_cast<size_t>(opInfo(node->op).operands)) &&
         "operand count differs from the op table");
  node->id = nextId_++;
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

Node *Graph::input(const std::string &name, const TensorType &t, SourceLoc loc) {
  auto n = std::make_unique<Node>(OpKind::Input, t);
  n->name = name;
  n->loc = loc;
  return add(std::move(n));
}

Node *Graph::param(const std::string &name, const TensorType &t, int stateIndex,
                   SourceLoc loc) {
  auto n = std::make_unique<Node>(OpKind::Param, t);
  n->name = name;
  n->stateIndex = stateIndex;
  n->loc = loc;
  return add(std::move(n));
}

Node *Graph::constant(DType dtype, std::vector<int64_t> dims,
                      std::vector<double> data) {
  TensorType t{dtype, std::move(dims), false};
  assert(data.size() == 1 || static_cast<int64_t>(data.size()) == t.elementsPerSample());
  auto n = std::make_unique<Node>(OpKind::Constant, t);
  n->data = std::move(data);
  return add(std::move(n));
}

Node *Graph::batchSize(DType dtype) {
  return add(std::make_unique<Node>(OpKind::BatchSize, TensorType{dtype, {}, false}));
}

Node *Graph::unary(OpKind op, Node *x) {
  assert(isUnaryElementwise(op));
  auto n = std::make_unique<Node>(op, x->type);
  n->operands = {x};
  return add(std::move(n));
}

Node *Graph::binary(OpKind op, Node *a, Node *b) {
  assert(isBinaryElementwise(op) && a->type == b->type);
  auto n = std::make_unique<Node>(op, a->type);
  n->operands = {a, b};
  return add(std::move(n));
}

Node *Graph::select(Node *cond, Node *b, Node *c) {
  assert(cond->type == b->type && b->type == c->type);
  auto n = std::make_unique<Node>(OpKind::Select, b->type);
  n->operands = {cond, b, c};
  return add(std::move(n));
}

Node *Graph::broadcastTo(Node *x, const TensorType &t) {
  auto n = std::make_unique<Node>(OpKind::BroadcastTo, t);
  n->operands = {x};
  return add(std::move(n));
}

Node *Graph::sumTo(Node *x, const TensorType &t) {
  auto n = std::make_unique<Node>(OpKind::SumTo, t);
  n->operands = {x};
  return add(std::move(n));
}

Node *Graph::reshape(Node *x, std::vector<int64_t> dims) {
  TensorType t{x->type.dtype, std::move(dims), x->type.batched};
  assert(t.elementsPerSample() == x->type.elementsPerSample());
  auto n = std::make_unique<Node>(OpKind::Reshape, t);
  n->operands = {x};
  return add(std::move(n));
}

Node *Graph::matmul(Node *a, Node *b, bool transA, bool transB) {
  MatrixView va = matrixView(a->type, transA), vb = matrixView(b->type, transB);
  assert(extent(va.cols) == extent(vb.rows) && "matmul contraction lengths differ");
  assert(extent(vb.cols).second == 0 && "a batch dimension may only lead the result");
  TensorType t{a->type.dtype, {}, false};
  for (int64_t d : va.rows) {
    if (d == kBatchDim)
      t.batched = true;
    else
      t.dims.push_back(d);
  }
  assert((va.rows.empty() || !t.batched || va.rows[0] == kBatchDim) &&
         "a batch dimension may only lead the result");
  if (vb.cols.size() == 1 || extent(vb.cols).first != 1)
    t.dims.push_back(extent(vb.cols).first);
  auto node = std::make_unique<Node>(OpKind::MatMul, t);
  node->operands = {a, b};
  node->transA = transA;
  node->transB = transB;
  return add(std::move(node));
}

Node *Graph::batchMatMul(Node *a, Node *b, bool transA, bool transB) {
  const std::vector<int64_t> &da = a->type.dims, &db = b->type.dims;
  assert(da.size() >= 2 && da.size() == db.size() && "batch_matmul needs equal ranks >= 2");
  assert(std::equal(da.begin(), da.end() - 2, db.begin()) && "batch_matmul leading dims differ");
  size_t r = da.size();
  int64_t m = transA ? da[r - 1] : da[r - 2], k = transA ? da[r - 2] : da[r - 1];
  int64_t kb = transB ? db[r - 1] : db[r - 2], n = transB ? db[r - 2] : db[r - 1];
  assert(k == kb && "batch_matmul contraction lengths differ");
  (void)k, (void)kb;
  TensorType t{a->type.dtype, da, a->type.batched || b->type.batched};
  t.dims[r - 2] = m;
  t.dims[r - 1] = n;
  auto node = std::make_unique<Node>(OpKind::BatchMatMul, t);
  node->operands = {a, b};
  node->transA = transA;
  node->transB = transB;
  return add(std::move(node));
}

StackView stackView(const Node &bmm) {
  const std::vector<int64_t> &dc = bmm.type.dims, &da = bmm.operands[0]->type.dims;
  size_t r = dc.size();
  StackView v;
  for (size_t i = 0; i + 2 < r; ++i)
    v.stack *= dc[i];
  v.m = dc[r - 2];
  v.n = dc[r - 1];
  v.k = bmm.transA ? da[r - 2] : da[r - 1];
  return v;
}

Node *Graph::maxTo(Node *x, const TensorType &t) {
  assert(t.batched == x->type.batched && "max_to does not reduce over the batch");
  auto n = std::make_unique<Node>(OpKind::MaxTo, t);
  n->operands = {x};
  return add(std::move(n));
}

Node *Graph::transpose(Node *x, std::vector<int64_t> perm) {
  TensorType t = x->type;
  for (size_t i = 0; i < perm.size(); ++i)
    t.dims[i] = x->type.dims[perm[i]];
  auto n = std::make_unique<Node>(OpKind::Transpose, t);
  n->operands = {x};
  n->ints = std::move(perm);
  return add(std::move(n));
}

/// Slice and Pad: a box of `dims` at `starts` (each the other's adjoint).
static std::unique_ptr<Node> boxNode(OpKind op, Node *x, std::vector<int64_t> starts,
                                     std::vector<int64_t> dims) {
  auto n = std::make_unique<Node>(op, TensorType{x->type.dtype, std::move(dims), x->type.batched});
  n->operands = {x};
  n->ints = std::move(starts);
  return n;
}

Node *Graph::slice(Node *x, std::vector<int64_t> starts, std::vector<int64_t> sizes) {
  return add(boxNode(OpKind::Slice, x, std::move(starts), std::move(sizes)));
}

Node *Graph::pad(Node *x, std::vector<int64_t> starts, std::vector<int64_t> dims) {
  return add(boxNode(OpKind::Pad, x, std::move(starts), std::move(dims)));
}

Node *Graph::im2col(Node *x, const Window &w, double padValue) {
  const std::vector<int64_t> &d = x->type.dims; // [H, W, C]
  TensorType t{x->type.dtype, {w.outH(d[0]) * w.outW(d[1]), w.kh * w.kw * d[2]},
               x->type.batched};
  auto n = std::make_unique<Node>(OpKind::Im2Col, t);
  n->operands = {x};
  n->window = w;
  n->scalar = padValue;
  return add(std::move(n));
}

Node *Graph::col2im(Node *cols, const Window &w, const TensorType &imageType) {
  auto n = std::make_unique<Node>(OpKind::Col2Im, imageType);
  n->operands = {cols};
  n->window = w;
  return add(std::move(n));
}

Node *Graph::maxPool(Node *x, const Window &w) {
  const std::vector<int64_t> &d = x->type.dims; // [H, W, C]
  TensorType t{x->type.dtype, {w.outH(d[0]), w.outW(d[1]), d[2]}, x->type.batched};
  auto n = std::make_unique<Node>(OpKind::MaxPool, t);
  n->operands = {x};
  n->window = w;
  return add(std::move(n));
}

Node *Graph::maxPoolGrad(Node *x, Node *g, const Window &w) {
  assert(g->type.dims.size() == 3 && g->type.dims[0] == w.outH(x->type.dims[0]) &&
         g->type.dims[1] == w.outW(x->type.dims[1]));
  auto n = std::make_unique<Node>(OpKind::MaxPoolGrad, x->type);
  n->operands = {x, g};
  n->window = w;
  return add(std::move(n));
}

Node *Graph::oneHot(Node *labels, int64_t classes, DType dtype) {
  TensorType t{dtype, labels->type.dims, labels->type.batched};
  t.dims.push_back(classes);
  auto n = std::make_unique<Node>(OpKind::OneHot, t);
  n->operands = {labels};
  return add(std::move(n));
}

Node *Graph::gather(Node *x, Node *indices, int64_t axis) {
  assert(indices->type.dtype == DType::I32 && axis >= 0 && axis < int64_t(x->type.dims.size()));
  TensorType t{x->type.dtype, {}, x->type.batched || indices->type.batched};
  t.dims.assign(x->type.dims.begin(), x->type.dims.begin() + axis);
  t.dims.insert(t.dims.end(), indices->type.dims.begin(), indices->type.dims.end());
  t.dims.insert(t.dims.end(), x->type.dims.begin() + axis + 1, x->type.dims.end());
  auto n = std::make_unique<Node>(OpKind::Gather, t);
  n->operands = {x, indices};
  n->ints = {axis};
  return add(std::move(n));
}

Node *Graph::argReduce(OpKind op, Node *x, int64_t axis) {
  assert((op == OpKind::ArgMax || op == OpKind::ArgMin) && axis < int64_t(x->type.dims.size()));
  TensorType t{DType::I32, x->type.dims, x->type.batched};
  t.dims.erase(t.dims.begin() + axis);
  auto n = std::make_unique<Node>(op, t);
  n->operands = {x};
  n->ints = {axis};
  return add(std::move(n));
}

Node *Graph::scatterAdd(Node *g, Node *indices, int64_t axis, const TensorType &t) {
  assert(indices->type.dtype == DType::I32 && g->type.dtype == t.dtype);
  auto n = std::make_unique<Node>(OpKind::ScatterAdd, t);
  n->operands = {g, indices};
  n->ints = {axis};
  return add(std::move(n));
}

Node *Graph::softmaxCrossEntropy(Node *logits, Node *labels) {
  assert(labels->type.dtype == DType::I32 && !logits->type.dims.empty());
  TensorType t{logits->type.dtype, labels->type.dims, logits->type.batched};
  auto n = std::make_unique<Node>(OpKind::SoftmaxCrossEntropy, t);
  n->operands = {logits, labels};
  return add(std::move(n));
}

Node *Graph::softmaxCrossEntropyGrad(Node *logits, Node *labels, Node *g) {
  auto n = std::make_unique<Node>(OpKind::SoftmaxCrossEntropyGrad, logits->type);
  n->operands = {logits, labels, g};
  return add(std::move(n));
}

Node *Graph::softmaxRows(Node *x) {
  assert(!x->type.dims.empty() && x->type.dtype != DType::I32);
  auto n = std::make_unique<Node>(OpKind::Softmax, x->type);
  n->operands = {x};
  return add(std::move(n));
}

Node *Graph::softmaxRowsGrad(Node *y, Node *g) {
  assert(y->type == g->type);
  auto n = std::make_unique<Node>(OpKind::SoftmaxGrad, y->type);
  n->operands = {y, g};
  return add(std::move(n));
}

Node *Graph::cast(Node *x, DType dtype) {
  if (x->type.dtype == dtype)
    return x;
  TensorType t = x->type;
  t.dtype = dtype;
  auto n = std::make_unique<Node>(OpKind::Cast, t);
  n->operands = {x};
  return add(std::move(n));
}

Node *Graph::modeSelect(Node *training, Node *inference) {
  return binary(OpKind::ModeSelect, training, inference);
}

Node *Graph::dropoutMask(Node *step, Node *seed, const TensorType &t, double rate) {
  auto n = std::make_unique<Node>(OpKind::DropoutMask, t);
  n->operands = {step, seed};
  n->scalar = rate;
  return add(std::move(n));
}

Node *Graph::random(OpKind op, Node *step, Node *seed, const TensorType &t, double a, double b) {
  assert(op == OpKind::RandomNormal || op == OpKind::RandomUniform);
  auto n = std::make_unique<Node>(op, t);
  n->operands = {step, seed};
  n->data = {a, b};
  return add(std::move(n));
}

Node *Graph::fitTo(Node *x, const TensorType &t) {
  if (x->type == t)
    return x;
  TensorType joined;
  if (broadcastTypes(x->type, t, joined) && joined == t)
    return broadcastTo(x, t);
  return sumTo(x, t);
}

Node *Graph::fill(double value, const TensorType &t) {
  Node *s = scalar(t.dtype, value);
  return t.isScalar() && !t.batched ? s : broadcastTo(s, t);
}

} // namespace nnc
