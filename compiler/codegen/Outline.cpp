//===- Outline.cpp - loops outlined into thread-pool tasks ----------------===//
//
// A parallel loop's body becomes a task function (nnrt_task_fn) that the
// runtime's pool calls on ranges of iterations. The task sees only a context
// block holding the entry's four arguments and re-derives every buffer from
// them (FunctionEmitter::buffer computes addresses per function), so any
// kernel body can be outlined as it is.
//
//===----------------------------------------------------------------------===//
#include "codegen/FunctionEmitter.h"

#include "llvm/IR/Module.h"

namespace nnc {

using llvm::Value;

/// body(i) for i in [0, count), split across the model's threads when
/// count x costPerIteration (elements touched) is worth waking them for,
/// else run inline. The body goes into a task function (nnrt_task_fn)
/// that re-derives every buffer from the entry's four arguments, passed
/// in a context block; iterations must be independent. Each iteration
/// computes the same thing whatever the split, so results do not depend
/// on the thread count.
void FunctionEmitter::parallelLoop(Value *count, int64_t costPerIteration,
                  const std::function<void(Value *)> &body) {
  if (auto *known = llvm::dyn_cast<llvm::ConstantInt>(count))
    if (known->getSExtValue() * costPerIteration < kParallelMinWork) {
      loop(count, body);
      return;
    }
  llvm::Function *task = emitTask(body);
  Value *big = b_.CreateICmpSGE(b_.CreateMul(count, b_.getInt64(costPerIteration)),
                                b_.getInt64(kParallelMinWork));
  auto *parallel = llvm::BasicBlock::Create(ctx_, "par", fn_);
  auto *inline_ = llvm::BasicBlock::Create(ctx_, "par.inline", fn_);
  auto *join = llvm::BasicBlock::Create(ctx_, "par.join", fn_);
  b_.CreateCondBr(big, parallel, inline_);
  b_.SetInsertPoint(parallel);
  llvm::FunctionCallee parallelFor = module_.getOrInsertFunction(
      "nnrt_parallel_for",
      llvm::FunctionType::get(b_.getVoidTy(), {b_.getInt64Ty(), b_.getPtrTy(), b_.getPtrTy()}, false));
  b_.CreateCall(parallelFor, {count, task, taskContext_});
  b_.CreateBr(join);
  b_.SetInsertPoint(inline_);
  b_.CreateCall(task, {taskContext_, b_.getInt64(0), count,
                       llvm::ConstantPointerNull::get(b_.getPtrTy())});
  b_.CreateBr(join);
  b_.SetInsertPoint(join);
}

/// void task(ctx, begin, end, scratch) { for i in [begin, end): body(i) }
llvm::Function *FunctionEmitter::emitTask(const std::function<void(Value *)> &body) {
  auto *ptrTy = b_.getPtrTy();
  auto *fnTy = llvm::FunctionType::get(
      b_.getVoidTy(), {ptrTy, b_.getInt64Ty(), b_.getInt64Ty(), ptrTy}, false);
  auto *task = llvm::Function::Create(fnTy, llvm::Function::InternalLinkage,
                                      options_.prefix + "_" + entry_.name + ".task", module_);
  task->addFnAttr(llvm::Attribute::NoUnwind);
  // Emit into the task with its own view of the entry's arguments.
  llvm::IRBuilder<>::InsertPointGuard guard(b_);
  llvm::Function *entryFn = fn_;
  Value *saved[] = {state_, workspace_, batch_, args_};
  std::map<const Node *, Value *> entryBuffers;
  entryBuffers.swap(buffers_);
  fn_ = task;
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", task));
  auto *ctxTy = taskContextType();
  Value *ctx = task->getArg(0);
  state_ = b_.CreateLoad(ptrTy, b_.CreateStructGEP(ctxTy, ctx, 0), "state");
  workspace_ = b_.CreateLoad(ptrTy, b_.CreateStructGEP(ctxTy, ctx, 1), "workspace");
  batch_ = b_.CreateLoad(b_.getInt64Ty(), b_.CreateStructGEP(ctxTy, ctx, 2), "batch");
  args_ = b_.CreateLoad(ptrTy, b_.CreateStructGEP(ctxTy, ctx, 3), "args");
  loopRange(task->getArg(1), task->getArg(2), body);
  b_.CreateRetVoid();
  fn_ = entryFn;
  state_ = saved[0], workspace_ = saved[1], batch_ = saved[2], args_ = saved[3];
  buffers_.swap(entryBuffers);
  return task;
}

llvm::StructType *FunctionEmitter::taskContextType() {
  auto *ptrTy = b_.getPtrTy();
  return llvm::StructType::get(ctx_, {ptrTy, ptrTy, b_.getInt64Ty(), ptrTy});
}

} // namespace nnc
