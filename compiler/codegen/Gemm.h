//===- Gemm.h - the packed, register-blocked matrix kernel ------*- C++ -*-===//
//
// Large matrix products call one generated kernel per element type instead
// of a plain loop nest: operands are packed into cache-sized panels, and an
// MR x NR block of C lives in vector registers while K streams through
// (the BLIS/GotoBLAS structure). The vector width comes from the target.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <vector>

#include "ir/IR.h"

namespace llvm {
class Function;
class Module;
class StructType;
class LLVMContext;
} // namespace llvm

namespace nnc {

/// Register tile and cache blocking of the kernel for one dtype and target.
struct GemmShape {
  int vectorWidth; // elements per vector register
  int mr, nr;      // register tile: mr rows x nr columns (nr = k * vectorWidth)
  int kc, mc, nc;  // cache blocks: kc-deep panels, mc x kc of A, kc x nc of B
};
GemmShape gemmShape(DType t, int vectorBits);

/// The argument block a matmul passes to the kernel (all i64 but the first
/// three pointers): A, B, C, M, N, K, A's row/column strides, B's row/column
/// strides, split (0: chunks are MR-row groups, 1: NR-column groups), then
/// the epilogue: a bias pointer (null: none) and relu (0 or 1).
/// C is row-major M x N and is overwritten with C, or with
/// relu?(C + bias[j]) when there is a bias (the sum rounded first, exactly
/// as a separate add and relu would compute it).
llvm::StructType *gemmArgsType(llvm::LLVMContext &ctx);
enum GemmArg {
  GA_A, GA_B, GA_C, GA_M, GA_N, GA_K, GA_RSA, GA_CSA, GA_RSB, GA_CSB, GA_SPLIT,
  GA_BIAS, GA_RELU
};

/// The task `void(ptr args, i64 begin, i64 end, ptr scratch)` that computes
/// chunks [begin, end) of C, created in `module` on first use. Every element
/// of C is summed in the same order whatever the chunking, so results do not
/// depend on the thread count.
llvm::Function *getGemmTask(llvm::Module &module, DType t, int vectorBits);

/// A product whose A is the im2col matrix of an image [B, H, W, C] (rows:
/// output pixels, columns: taps (kh, kw) then channels), or its transpose,
/// never written out (implicit GEMM): the GEMM arguments with A pointing
/// at the image (A's strides unused), then the window as i64s, then the
/// padding taps' value as an f64.
llvm::StructType *windowGemmArgsType(llvm::LLVMContext &ctx);
enum WindowGemmArg {
  WGA_GEMM, WGA_H, WGA_W, WGA_C, WGA_OH, WGA_OW, WGA_KW, WGA_STRIDE_H, WGA_STRIDE_W,
  WGA_DILATION_H, WGA_DILATION_W, WGA_PAD_TOP, WGA_PAD_LEFT, WGA_TRANSPOSED, WGA_PAD_VALUE
};

/// The GEMM task for windowGemmArgsType: the same products summed in the
/// same order as the GEMM over a written im2col matrix (same bits), with
/// each block of A packed from the image as it is needed.
llvm::Function *getWindowGemmTask(llvm::Module &module, DType t, int vectorBits);

/// A stack of products (BatchMatMul): the GEMM arguments of matrix 0, then
/// i64s: elements between consecutive matrices of A, B and C, the stack
/// size, whether A and B are shared by every sample (1: matrix i reads
/// operand matrix i mod stack), and the chunk count of one product.
llvm::StructType *batchedGemmArgsType(llvm::LLVMContext &ctx);
enum BatchedGemmArg { BGA_GEMM, BGA_STRIDE_A, BGA_STRIDE_B, BGA_STRIDE_C, BGA_STACK,
                      BGA_SHARED_A, BGA_SHARED_B, BGA_CHUNKS };

/// The task `void(ptr args, i64 begin, i64 end, ptr scratch)` that computes
/// matrices [begin, end) of the stack, each whole on the calling thread
/// with the GEMM task above (so the bits do not depend on the thread count).
llvm::Function *getBatchedGemmTask(llvm::Module &module, DType t, int vectorBits);

/// The GEMM kernels (getGemmTask, getWindowGemmTask) that `modules` define,
/// defined instead in a new module of their own in `ctx`, with external
/// linkage, and declared in each of `modules`; nullptr when none defines
/// one. Each kernel is then compiled once for a model's entry points (the
/// JIT compiles them in parallel, one module each), and with LLVM's O1
/// instead of O3 (optimizeModule's kernelsOnly): they are written loop by
/// loop and register by register already, and O3 spent a third of the
/// lecture CNN's compile time on them for no speed (docs/kernels.md
/// section 6). The batched-product wrapper stays with its callers.
std::unique_ptr<llvm::Module> splitGemmKernels(const std::vector<llvm::Module *> &modules,
                                               llvm::LLVMContext &ctx);

} // namespace nnc
