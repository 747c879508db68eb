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

#include <stdexcept>

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
      // Too small to share; still a function of its own when emitting the
      // entry, so the entry stays a short list of calls (machine code
      // generation, loop strength reduction above all, grows faster than
      // linearly with a function's size).
      if (taskBuffers_) {
        loop(count, body);
      } else {
        llvm::Function *task = emitTask(body);
        b_.CreateCall(task, {taskContext_, b_.getInt64(0), count,
                             llvm::ConstantPointerNull::get(b_.getPtrTy())});
      }
      return;
    }
  if (taskBuffers_)
    throw std::logic_error("a parallel loop inside a task");
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

/// void task(ctx, begin, end, scratch) {
///   loop(batch, args, buffer pointers from ctx's table..., begin, end) }
/// and, in the entry, ctx.table = this task's buffers.
///
/// The task is never inlined into its entry: the inline (small-count) path
/// calls it too, and inlining would copy every loop body into one huge
/// entry function that machine code generation handles in superlinear
/// time.
///
/// Where the buffers lie is not written into the task: it reads their
/// offsets from a constant table that the entry names in the context. So
/// the kernels of layers that repeat (a transformer's blocks) are the same
/// function, which MergeFunctions (optimizeModule) keeps once: a third of
/// the code for LLVM to compile.
///
/// The loop goes into a function of its own that takes each buffer as a
/// noalias pointer parameter, and is inlined into the task, which keeps
/// that fact as alias scopes: without it the vectorisers could not tell
/// two buffers at offsets loaded from a table apart. It holds because the
/// buffers one kernel touches are all alive at once, so the memory plan
/// gave them disjoint slices, and one slice is one parameter.
llvm::Function *FunctionEmitter::emitTask(const std::function<void(Value *)> &body) {
  auto *ptrTy = b_.getPtrTy();
  auto *i64 = b_.getInt64Ty();
  std::string name = options_.prefix + "_" + entry_.name + ".task";
  auto *task = llvm::Function::Create(
      llvm::FunctionType::get(b_.getVoidTy(), {ptrTy, i64, i64, ptrTy}, false),
      llvm::Function::InternalLinkage, name, module_);
  task->addFnAttr(llvm::Attribute::NoUnwind);
  task->addFnAttr(llvm::Attribute::NoInline);
  // The body is emitted first, into a function whose buffers are
  // placeholders; the real loop function, one parameter per buffer,
  // follows once they are all known.
  auto *draft = llvm::Function::Create(
      llvm::FunctionType::get(b_.getVoidTy(), {i64, ptrTy, i64, i64}, false),
      llvm::Function::InternalLinkage, name + ".loop", module_);
  llvm::IRBuilderBase::InsertPoint inEntry = b_.saveIP();
  llvm::Function *entryFn = fn_;
  Value *saved[] = {state_, workspace_, batch_, args_};
  std::map<const Node *, Value *> entryBuffers;
  entryBuffers.swap(buffers_);
  TaskBuffers buffers;
  fn_ = draft;
  taskBuffers_ = &buffers;
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", draft));
  state_ = workspace_ = nullptr; // every buffer is a placeholder (placedBuffer)
  batch_ = draft->getArg(0);
  args_ = draft->getArg(1);
  loopRange(draft->getArg(2), draft->getArg(3), body);
  b_.CreateRetVoid();
  fn_ = entryFn;
  taskBuffers_ = nullptr;
  state_ = saved[0], workspace_ = saved[1], batch_ = saved[2], args_ = saved[3];
  buffers_.swap(entryBuffers);

  // loop(batch, args, buffer 0, ..., buffer K-1, begin, end)
  std::vector<llvm::Type *> params = {i64, ptrTy};
  params.insert(params.end(), buffers.placeholders.size(), ptrTy);
  params.insert(params.end(), {i64, i64});
  auto *loopFn = llvm::Function::Create(llvm::FunctionType::get(b_.getVoidTy(), params, false),
                                        llvm::Function::InternalLinkage, "", module_);
  loopFn->takeName(draft);
  loopFn->addFnAttr(llvm::Attribute::NoUnwind);
  loopFn->addFnAttr(llvm::Attribute::AlwaysInline);
  loopFn->splice(loopFn->end(), draft);
  size_t k = buffers.placeholders.size();
  draft->getArg(0)->replaceAllUsesWith(loopFn->getArg(0));
  draft->getArg(1)->replaceAllUsesWith(loopFn->getArg(1));
  draft->getArg(2)->replaceAllUsesWith(loopFn->getArg(2 + k));
  draft->getArg(3)->replaceAllUsesWith(loopFn->getArg(3 + k));
  for (size_t i = 0; i < k; ++i) {
    loopFn->addParamAttr(2 + i, llvm::Attribute::NoAlias);
    buffers.placeholders[i]->replaceAllUsesWith(loopFn->getArg(2 + i));
    buffers.placeholders[i]->eraseFromParent();
  }
  draft->eraseFromParent();

  // The task: its buffers from the context's table, then the loop.
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", task));
  auto *ctxTy = taskContextType();
  auto field = [&](unsigned i) {
    return b_.CreateLoad(ctxTy->getElementType(i), b_.CreateStructGEP(ctxTy, task->getArg(0), i));
  };
  Value *state = field(0), *workspace = field(1), *batch = field(2), *table = field(4);
  std::vector<Value *> callArgs = {batch, field(3)};
  std::vector<int64_t> tableValues;
  for (size_t i = 0; i < k; ++i) {
    const TaskBuffers::Place &place = buffers.places[i];
    auto entry = [&](int64_t value) {
      Value *at = b_.CreateConstInBoundsGEP1_64(i64, table, tableValues.size());
      tableValues.push_back(value);
      return b_.CreateAlignedLoad(i64, at, llvm::Align(8));
    };
    Value *bytes = entry(place.fixed);
    if (place.perSample)
      bytes = b_.CreateAdd(bytes, b_.CreateMul(entry(place.perSample), batch));
    callArgs.push_back(b_.CreateInBoundsGEP(b_.getInt8Ty(), place.inState ? state : workspace, bytes));
  }
  callArgs.push_back(task->getArg(1));
  callArgs.push_back(task->getArg(2));
  b_.CreateCall(loopFn, callArgs);
  b_.CreateRetVoid();

  b_.restoreIP(inEntry);
  auto *tableData = new llvm::GlobalVariable(
      module_, llvm::ArrayType::get(i64, tableValues.size()), true,
      llvm::GlobalValue::PrivateLinkage, llvm::ConstantDataArray::get(ctx_, tableValues),
      name + ".buffers");
  b_.CreateStore(tableData, b_.CreateStructGEP(ctxTy, taskContext_, 4));
  return task;
}

/// The buffer `fixed + perSample x batch` bytes into the state or the
/// workspace: its address in the entry, a placeholder for a parameter of
/// the loop function in a task (emitTask).
Value *FunctionEmitter::placedBuffer(bool inState, int64_t fixed, int64_t perSample) {
  if (!taskBuffers_) {
    Value *bytes = b_.getInt64(fixed);
    if (perSample)
      bytes = b_.CreateAdd(bytes, b_.CreateMul(b_.getInt64(perSample), batch_));
    return b_.CreateInBoundsGEP(b_.getInt8Ty(), inState ? state_ : workspace_, bytes);
  }
  TaskBuffers::Place place{inState, fixed, perSample};
  auto known = taskBuffers_->index.find(place);
  if (known != taskBuffers_->index.end())
    return taskBuffers_->placeholders[known->second];
  llvm::BasicBlock &top = fn_->getEntryBlock();
  llvm::IRBuilder<> atTop(&top, top.getFirstInsertionPt());
  auto *placeholder = llvm::cast<llvm::Instruction>(
      atTop.CreateFreeze(llvm::PoisonValue::get(b_.getPtrTy()), "buffer"));
  taskBuffers_->index[place] = taskBuffers_->placeholders.size();
  taskBuffers_->places.push_back(place);
  taskBuffers_->placeholders.push_back(placeholder);
  return placeholder;
}

/// The context every task of an entry reads: its four arguments and the
/// offset table of the task being run.
llvm::StructType *FunctionEmitter::taskContextType() {
  auto *ptrTy = b_.getPtrTy();
  return llvm::StructType::get(ctx_, {ptrTy, ptrTy, b_.getInt64Ty(), ptrTy, ptrTy});
}

} // namespace nnc
