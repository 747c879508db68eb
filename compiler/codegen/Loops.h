//===- Loops.h - a counted loop built with IRBuilder ------------*- C++ -*-===//
#pragma once

#include "llvm/IR/IRBuilder.h"

#include <functional>
#include <string>

namespace nnc {

/// for (i = start; i < end; i += step) body(i), emitted at the builder's
/// position in `fn`; the builder is left after the loop. Returns the
/// latch's branch, for callers that attach loop metadata.
inline llvm::BranchInst *emitLoop(llvm::IRBuilder<> &b, llvm::Function *fn, llvm::Value *start,
                                  llvm::Value *end, int64_t step,
                                  const std::function<void(llvm::Value *)> &body,
                                  const std::string &name) {
  llvm::LLVMContext &ctx = fn->getContext();
  llvm::BasicBlock *pre = b.GetInsertBlock();
  auto *header = llvm::BasicBlock::Create(ctx, name + ".loop", fn);
  auto *bodyBB = llvm::BasicBlock::Create(ctx, name + ".body", fn);
  auto *exit = llvm::BasicBlock::Create(ctx, name + ".exit", fn);
  b.CreateBr(header);
  b.SetInsertPoint(header);
  llvm::PHINode *i = b.CreatePHI(b.getInt64Ty(), 2, name);
  i->addIncoming(start, pre);
  b.CreateCondBr(b.CreateICmpSLT(i, end), bodyBB, exit);
  b.SetInsertPoint(bodyBB);
  body(i);
  i->addIncoming(b.CreateAdd(i, b.getInt64(step), "", true, true), b.GetInsertBlock());
  llvm::BranchInst *latch = b.CreateBr(header);
  b.SetInsertPoint(exit);
  return latch;
}

} // namespace nnc
