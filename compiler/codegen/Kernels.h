//===- Kernels.h - the kernels of each op family ----------------*- C++ -*-===//
//
// One free function per kernel, grouped by family, one file each. Each
// emits at the emitter's position into `out` (the node's buffer, from
// FunctionEmitter::buffer) using the emitter's loops and addressing.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/FunctionEmitter.h"

namespace nnc {

// ElementwiseKernels.cpp
/// One element of `op` from its operands' elements: the one definition of
/// every elementwise op (unfused loops, fused chains and epilogues use it).
llvm::Value *elementwise(FunctionEmitter &em, OpKind op, const std::vector<llvm::Value *> &x,
                         DType t);
/// exp of an element: for f32 a polynomial within 2 ulp that vectorises
/// (expF32), for f64 llvm.exp.
llvm::Value *expOf(FunctionEmitter &em, llvm::Value *x, DType t);
/// The loop of an unfused elementwise node.
void emitElementwise(FunctionEmitter &em, const Node &n);
void emitCast(FunctionEmitter &em, const Node &n);

// DropoutKernel.cpp
/// Training only: keep/drop per element from the runtime's counter-based
/// generator keyed by (seed, step, node).
void emitDropoutMask(FunctionEmitter &em, const Node &n, llvm::Value *out);

// RandomKernel.cpp
/// RandomNormal and RandomUniform: every element drawn from the counter-based
/// generator keyed by (seed, step, node), in every entry.
void emitRandom(FunctionEmitter &em, const Node &n, llvm::Value *out);

// ShapeKernels.cpp
void emitBroadcast(FunctionEmitter &em, const Node &n, llvm::Value *out);
/// SumTo and MaxTo.
void emitReduceTo(FunctionEmitter &em, const Node &n, llvm::Value *out);
/// Transpose and Slice.
void emitGather(FunctionEmitter &em, const Node &n, llvm::Value *out);
void emitPad(FunctionEmitter &em, const Node &n, llvm::Value *out);
void emitOneHot(FunctionEmitter &em, const Node &n, llvm::Value *out);
/// ArgMax and ArgMin.
void emitArgReduce(FunctionEmitter &em, const Node &n, llvm::Value *out);

// IndexKernels.cpp
/// Gather: slices of operand 0 picked by the i32 indices (0 outside the axis).
void emitIndexSelect(FunctionEmitter &em, const Node &n, llvm::Value *out);
/// ScatterAdd: gather's adjoint.
void emitScatterAdd(FunctionEmitter &em, const Node &n, llvm::Value *out);

// WindowKernels.cpp
/// Im2Col and Col2Im.
void emitWindow(FunctionEmitter &em, const Node &n, llvm::Value *out);
/// MaxPool, and MaxPoolGrad (the gradient to the element MaxPool picked).
void emitMaxPool(FunctionEmitter &em, const Node &n, llvm::Value *out);

// MatMulKernels.cpp
/// The product n into `out`, the buffer of `dest` (n, or the node its
/// epilogue writes when `epilogue` is set).
void emitMatMul(FunctionEmitter &em, const Node &n, const Node &dest, llvm::Value *out,
                const GemmEpilogue *epilogue);

// SoftmaxCrossEntropyKernel.cpp
/// SoftmaxCrossEntropy and its gradient, one pass per row each.
/// BatchMatMul: one product per matrix of the stack, through the packed
/// GEMM when each product is large enough, else loops; matrices split
/// across the model's threads.
void emitBatchMatMul(FunctionEmitter &em, const Node &n, llvm::Value *out);
void emitSoftmaxCrossEntropy(FunctionEmitter &em, const Node &n);
/// Softmax and SoftmaxGrad over the last axis: one pass per row each.
void emitSoftmaxRows(FunctionEmitter &em, const Node &n);

// ScanKernel.cpp
/// A scan: its body as a function of its own, called once per step by a
/// loop that slices the sequences and stacks the outputs.
void emitScan(FunctionEmitter &em, const Node &scan);

} // namespace nnc
