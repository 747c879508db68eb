//===- Philox.h - per-element random draws in generated code ----*- C++ -*-===//
//
// The counter-based generator of runtime/src/rng.c, emitted inline so that
// the kernels that draw per element (dropout masks, normal and uniform
// tensors) vectorise and give the same bits as the runtime's C loop, and
// the frame every such kernel shares: the runtime's nnrt_dropout_mask_with
// splits a tensor into chunks over the model's threads and calls the
// generated kernel once per chunk.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/FunctionEmitter.h"

#include <array>
#include <functional>

namespace nnc {

/// The four output words of Philox4x32-10 for the i32 counter words `c`
/// under the key (low, high word of the i64 `seed`), as nnrt_philox4x32.
std::array<llvm::Value *, 4> emitPhilox4x32(llvm::IRBuilder<> &b, std::array<llvm::Value *, 4> c,
                                            llvm::Value *seed);

/// The top 53 bits of the 64-bit word hi:lo (two i32), as an i64.
llvm::Value *emitTop53(llvm::IRBuilder<> &b, llvm::Value *hi, llvm::Value *lo);

/// Those bits scaled to a double in [0, 1), as rng.c's to_unit.
llvm::Value *emitUnit(llvm::IRBuilder<> &b, llvm::Value *hi, llvm::Value *lo);

/// What a draw kernel stores at element i: a value of the kernel's element
/// type from Philox's words for counter (base + i, stream). `kernel` is the
/// kernel being built (its arguments 6 and 7 are the runtime's threshold
/// and scale).
using DrawElement = std::function<llvm::Value *(llvm::IRBuilder<> &b, llvm::Function *kernel,
                                                const std::array<llvm::Value *, 4> &words)>;

/// The chunk kernel `name` (created once per module): void(out, begin, end,
/// seed, stream, base, threshold, scale) storing element(words) at out[i]
/// for i in [begin, end), as runtime/include/nnrt.h's nnrt_mask_kernel.
llvm::Function *getDrawKernel(llvm::Module &module, const std::string &name, DType dtype,
                              const DrawElement &element);

/// Fills node n's buffer `out` through the runtime's chunked driver with
/// `kernel`: key = the seed (operand 1), stream = step (operand 0) · 2^24 +
/// the node id, index = the element's position in the batch buffer.
/// `rate` is passed on to the runtime (dropout's; 0 for other draws).
void emitDrawCall(FunctionEmitter &em, const Node &n, llvm::Value *out, double rate,
                  llvm::Function *kernel);

} // namespace nnc
