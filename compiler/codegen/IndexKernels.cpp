//===- IndexKernels.cpp - gather along an axis by an index tensor, and its adjoint ===//
//
// Both see their tensors as rows: x (and the scatter's result) as
// [outer, A, inner] per sample, the gathered side as [outer, K, inner],
// where A is the indexed axis, K the number of indices per sample, outer
// and inner the products of the dims before and after the axis.
//
//===----------------------------------------------------------------------===//
#include "codegen/Kernels.h"

namespace nnc {

using llvm::Value;

namespace {

struct RowShape {
  int64_t outer = 1, axis = 1, inner = 1, indices = 1;
};

/// `table` is the indexed tensor (x, or the scatter's result).
RowShape rowShape(const TensorType &table, const Node &indices, int64_t axis) {
  RowShape s;
  for (int64_t i = 0; i < axis; ++i)
    s.outer *= table.dims[i];
  s.axis = table.dims[axis];
  for (size_t i = axis + 1; i < table.dims.size(); ++i)
    s.inner *= table.dims[i];
  s.indices = indices.type.elementsPerSample();
  return s;
}

/// The table row that gathered row r (= (b * outer + o) * K + k) reads, and
/// whether its index is inside the axis.
std::pair<Value *, Value *> tableRow(FunctionEmitter &em, const RowShape &s, bool tableBatched,
                                     const Node &indices, Value *r) {
  llvm::IRBuilder<> &ir = em.builder();
  Value *K = ir.getInt64(s.indices);
  Value *k = ir.CreateURem(r, K), *bo = ir.CreateUDiv(r, K);
  Value *o = ir.CreateURem(bo, ir.getInt64(s.outer)), *b = ir.CreateUDiv(bo, ir.getInt64(s.outer));
  Value *at = indices.type.batched ? ir.CreateAdd(ir.CreateMul(b, K), k) : k;
  Value *v = ir.CreateSExt(em.load(indices, at), ir.getInt64Ty());
  Value *valid = ir.CreateAnd(ir.CreateICmpSGE(v, ir.getInt64(0)),
                              ir.CreateICmpSLT(v, ir.getInt64(s.axis)));
  Value *safe = ir.CreateSelect(valid, v, ir.getInt64(0));
  Value *row = ir.CreateAdd(ir.CreateMul(tableBatched ? bo : o, ir.getInt64(s.axis)), safe);
  return {row, valid};
}

} // namespace

void emitIndexSelect(FunctionEmitter &em, const Node &n, Value *out) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &x = *n.operands[0], &indices = *n.operands[1];
  RowShape s = rowShape(x.type, indices, n.ints[0]);
  llvm::Type *t = em.elemType(n.type.dtype);
  Value *rows = ir.getInt64(s.outer * s.indices);
  if (n.type.batched)
    rows = ir.CreateMul(rows, em.batch());
  em.parallelLoop(rows, s.inner, [&](Value *r) {
    Value *dest = em.buffer(n);
    auto [row, valid] = tableRow(em, s, x.type.batched, indices, r);
    Value *from = ir.CreateMul(row, ir.getInt64(s.inner)), *to = ir.CreateMul(r, ir.getInt64(s.inner));
    em.loop(ir.getInt64(s.inner), [&](Value *j) {
      Value *v = em.load(x, ir.CreateAdd(from, j));
      em.store(n, dest, ir.CreateAdd(to, j), ir.CreateSelect(valid, v, llvm::ConstantFP::get(t, 0.0)));
    }, "j");
  });
}

/// Zeros, then every gathered row added into the row its index names, in
/// row order (deterministic; repeated indices sum). Per sample on the
/// model's threads when the result is batched; one pass otherwise, since
/// all samples then add into the same rows.
void emitScatterAdd(FunctionEmitter &em, const Node &n, Value *out) {
  llvm::IRBuilder<> &ir = em.builder();
  const Node &g = *n.operands[0], &indices = *n.operands[1];
  RowShape s = rowShape(n.type, indices, n.ints[0]);
  llvm::Type *t = em.elemType(n.type.dtype);
  auto addRows = [&](Value *dest, Value *begin, Value *end) {
    em.loopRange(begin, end, [&](Value *r) {
      auto [row, valid] = tableRow(em, s, n.type.batched, indices, r);
      Value *to = ir.CreateMul(row, ir.getInt64(s.inner)), *from = ir.CreateMul(r, ir.getInt64(s.inner));
      Value *zero = llvm::ConstantFP::get(t, 0.0);
      em.loop(ir.getInt64(s.inner), [&](Value *j) {
        Value *at = ir.CreateAdd(to, j);
        Value *add = ir.CreateSelect(valid, em.load(g, ir.CreateAdd(from, j)), zero);
        em.store(n, dest, at, ir.CreateFAdd(em.load(n, at), add));
      }, "j");
    }, "r");
  };
  int64_t rowsPerSample = s.outer * s.indices;
  if (n.type.batched) {
    int64_t perSample = n.type.elementsPerSample();
    em.parallelLoop(em.batch(), rowsPerSample * s.inner, [&](Value *b) {
      Value *dest = em.buffer(n);
      Value *first = ir.CreateMul(b, ir.getInt64(perSample));
      em.loop(ir.getInt64(perSample), [&](Value *i) {
        em.store(n, dest, ir.CreateAdd(first, i), llvm::ConstantFP::get(t, 0.0));
      });
      Value *begin = ir.CreateMul(b, ir.getInt64(rowsPerSample));
      addRows(dest, begin, ir.CreateAdd(begin, ir.getInt64(rowsPerSample)));
    });
    return;
  }
  em.loop(em.elementCount(n), [&](Value *i) { em.store(n, out, i, llvm::ConstantFP::get(t, 0.0)); });
  Value *rows = ir.getInt64(rowsPerSample);
  if (g.type.batched)
    rows = ir.CreateMul(rows, em.batch());
  addRows(out, ir.getInt64(0), rows);
}

} // namespace nnc
