//===- LLVMGen.cpp - loop nests for every IR node -------------------------===//
//
// Buffers: inputs come from the argument array, parameters from the state
// block, reshapes alias their operand, splat constants are folded into the
// code that reads them, and every other node gets a workspace slice
// (unbatched slices first, then batched ones whose offsets scale with B).
// Results are copied to the caller and updates written to the state only
// after everything is computed, so an update never feeds a later read.
//
//===----------------------------------------------------------------------===//
#include "codegen/LLVMGen.h"

#include "opt/Fusion.h"
#include "codegen/Gemm.h"
#include "codegen/Loops.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>
#include <stdexcept>

namespace nnc {

int64_t dtypeBytes(DType t) { return t == DType::F64 ? 8 : 4; }

static int64_t alignTo(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

StateLayout layoutState(const Program &p) {
  StateLayout layout;
  for (const StateTensor &s : p.state) {
    layout.offsets.push_back(layout.bytes);
    layout.bytes = alignTo(layout.bytes + s.type.elementsPerSample() * dtypeBytes(s.type.dtype), 64);
  }
  return layout;
}

std::string defaultPrefix(const std::string &modelName) {
  std::string out;
  for (size_t i = 0; i < modelName.size(); ++i) {
    char c = modelName[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      bool prevLower = i > 0 && (std::islower(static_cast<unsigned char>(modelName[i - 1])) ||
                                 std::isdigit(static_cast<unsigned char>(modelName[i - 1])));
      bool nextLower = i + 1 < modelName.size() &&
                       std::islower(static_cast<unsigned char>(modelName[i + 1]));
      if (i > 0 && out.back() != '_' && (prevLower || nextLower))
        out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
  }
  return out;
}

namespace {

using llvm::IRBuilder;
using llvm::Value;

/// Emits one entry function.
class FunctionEmitter {
public:
  FunctionEmitter(const Program &p, const Entry &entry, llvm::Module &module,
                  const StateLayout &layout, const CodegenOptions &options)
      : p_(p), entry_(entry), module_(module), ctx_(module.getContext()),
        b_(ctx_), layout_(layout), prefix_(options.prefix),
        vectorBits_(options.gemmVectorBits), profile_(options.profile),
        fusion_(options.fusion) {}

  WorkspaceSize emit() {
    planFusion();
    planWorkspace();
    auto *ptrTy = llvm::PointerType::getUnqual(ctx_);
    auto *fnTy = llvm::FunctionType::get(
        b_.getInt32Ty(), {ptrTy, ptrTy, b_.getInt64Ty(), ptrTy}, false);
    fn_ = llvm::Function::Create(fnTy, llvm::Function::InternalLinkage,
                                 prefix_ + "_entry_" + entry_.name, module_);
    fn_->addFnAttr(llvm::Attribute::NoUnwind);
    const char *argNames[] = {"state", "workspace", "batch", "args"};
    for (unsigned i = 0; i < 4; ++i)
      fn_->getArg(i)->setName(argNames[i]);
    for (unsigned i : {0u, 1u, 3u})
      fn_->addParamAttr(i, llvm::Attribute::NoAlias);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn_));
    state_ = fn_->getArg(0);
    workspace_ = fn_->getArg(1);
    batch_ = fn_->getArg(2);
    args_ = fn_->getArg(3);
    taskContext_ = b_.CreateAlloca(taskContextType(), nullptr, "task.ctx");
    Value *fields[] = {state_, workspace_, batch_, args_};
    for (unsigned i = 0; i < 4; ++i)
      b_.CreateStore(fields[i], b_.CreateStructGEP(taskContextType(), taskContext_, i));

    for (const Node *n : nodes_)
      emitNode(*n);
    for (size_t i = 0; i < entry_.results.size(); ++i)
      copyOut(*entry_.results[i], loadArgPointer(entry_.args.size() + i));
    emitUpdateLoops();
    for (auto &update : entry_.updates)
      if (!inUpdateLoop_.count(update.second))
        copyOut(*update.second, statePointer(update.first));
    b_.CreateRet(b_.getInt32(0));
    return size_;
  }

  /// Plans without emitting: kernel count and workspace (nnc info).
  EntryPlan plan() {
    planFusion();
    planWorkspace();
    EntryPlan result;
    result.workspace = size_;
    for (const Node *n : nodes_)
      if (!isInlineScalar(*n) && !fused_.count(n) && &canonical(*n) == n && !isLeaf(n->op))
        ++result.kernels;
    std::set<int64_t> updateLoops;
    for (const Node *u : inUpdateLoop_)
      updateLoops.insert(u->type.elementsPerSample());
    result.kernels += static_cast<int>(updateLoops.size());
    result.epilogues = static_cast<int>(epilogues_.size());
    for (auto &e : epilogues_)
      result.reluEpilogues += e.second.relu ? 1 : 0;
    return result;
  }

private:
  //===--- planning ------------------------------------------------------===//

  std::vector<const Node *> usedOperands(const Node &n) const { return entryOperands(entry_, n); }
  const Node &canonical(const Node &n) const { return canonicalNode(entry_, n); }

  /// A node whose every element is one scalar known without a buffer.
  bool isInlineScalar(const Node &node) const {
    const Node &n = canonical(node);
    if (n.isSplatConstant() || n.op == OpKind::BatchSize)
      return true;
    if (n.op == OpKind::DropoutMask && !entry_.training)
      return true; // all ones outside training
    return n.op == OpKind::BroadcastTo && isInlineScalar(*n.operands[0]);
  }

  void planFusion() {
    EntryFusion plan = planEntryFusion(p_, entry_, fusion_);
    nodes_ = std::move(plan.nodes);
    fused_ = std::move(plan.fused);
    inUpdateLoop_ = std::move(plan.inUpdateLoop);
    epilogues_ = std::move(plan.epilogues);
  }

  /// One loop per parameter shape computes the state updates of that size
  /// (an optimizer's new weights, moments, ...) element by element and
  /// writes them straight into the state: the update is one pass over
  /// memory. Every value of the chain is read at the same index, so writing
  /// in place after computing all of an element's updates is safe.
  void emitUpdateLoops() {
    std::map<int64_t, std::vector<std::pair<int, const Node *>>> groups;
    for (auto &u : entry_.updates)
      if (inUpdateLoop_.count(u.second))
        groups[u.second->type.elementsPerSample()].push_back(u);
    for (auto &group : groups) {
      parallelLoop(b_.getInt64(group.first), static_cast<int64_t>(group.second.size()), [&](Value *i) {
        std::map<const Node *, Value *> memo;
        memo_ = &memo;
        std::vector<Value *> values;
        for (auto &u : group.second)
          values.push_back(load(*u.second, i));
        memo_ = nullptr;
        for (size_t k = 0; k < values.size(); ++k)
          store(*group.second[k].second, statePointer(group.second[k].first), i, values[k]);
      });
    }
  }

  bool needsWorkspace(const Node &n) const {
    return &canonical(n) == &n && !isInlineScalar(n) && !fused_.count(&n) && !isLeaf(n.op);
  }

  /// The memory plan: every buffer lives from the node that writes it to
  /// its last reader (results and updates to the end, where they are
  /// copied out) and gets the lowest offset that overlaps no buffer alive
  /// at the same time, largest first. Unbatched buffers share a fixed
  /// region; batched ones a region whose offsets and sizes scale with the
  /// batch, so one plan holds for every batch size.
  void planWorkspace() {
    std::map<const Node *, size_t> def, last;
    const size_t end = nodes_.size();
    std::function<void(const Node &, size_t)> read = [&](const Node &o, size_t at) {
      const Node &c = canonical(o);
      if (fused_.count(&c)) { // evaluated at its reader: reads its operands there
        for (const Node *x : c.operands)
          read(*x, at);
        return;
      }
      last[&c] = std::max(last[&c], at);
    };
    for (size_t i = 0; i < nodes_.size(); ++i) {
      def[nodes_[i]] = i;
      if (!fused_.count(nodes_[i]))
        for (const Node *o : usedOperands(*nodes_[i]))
          read(*o, i);
    }
    for (const Node *r : entry_.results)
      read(*r, end);
    for (auto &u : entry_.updates)
      read(*u.second, end);

    auto place = [&](bool batched) {
      struct Placed { const Node *n; int64_t offset, size; };
      std::vector<Placed> placed;
      std::vector<const Node *> order;
      for (const Node *n : nodes_)
        if (needsWorkspace(*n) && n->type.batched == batched)
          order.push_back(n);
      auto bytes = [](const Node *n) {
        return alignTo(n->type.elementsPerSample() * dtypeBytes(n->type.dtype), kBufferAlign);
      };
      std::stable_sort(order.begin(), order.end(),
                       [&](const Node *a, const Node *b) { return bytes(a) > bytes(b); });
      int64_t total = 0;
      for (const Node *n : order) {
        size_t from = def[n], to = std::max(last[n], from);
        std::vector<std::pair<int64_t, int64_t>> busy; // address ranges alive with n
        for (const Placed &q : placed) {
          size_t qFrom = def[q.n], qTo = std::max(last[q.n], qFrom);
          if (from <= qTo && qFrom <= to)
            busy.push_back({q.offset, q.offset + q.size});
        }
        std::sort(busy.begin(), busy.end());
        int64_t offset = 0, size = bytes(n);
        for (auto &range : busy) {
          if (offset + size <= range.first)
            break;
          offset = std::max(offset, range.second);
        }
        placed.push_back({n, offset, size});
        total = std::max(total, offset + size);
      }
      return std::make_pair(placed, total);
    };
    auto fixed = place(false);
    for (auto &q : fixed.first)
      wsOffset_[q.n] = {q.offset, 0};
    size_.fixed = alignTo(fixed.second, 64);
    auto batched = place(true);
    for (auto &q : batched.first)
      wsOffset_[q.n] = {size_.fixed, q.offset};
    size_.perSample = batched.second;
  }

  /// Buffers start 8-byte aligned (a batched one at offset * batch).
  static constexpr int64_t kBufferAlign = 8;

  //===--- addressing ----------------------------------------------------===//

  llvm::Type *elemType(DType t) {
    return t == DType::F32 ? b_.getFloatTy() : t == DType::F64 ? b_.getDoubleTy() : b_.getInt32Ty();
  }

  Value *loadArgPointer(size_t index) {
    Value *slot = b_.CreateConstInBoundsGEP1_64(b_.getPtrTy(), args_, index);
    return b_.CreateAlignedLoad(b_.getPtrTy(), slot, llvm::Align(8),
                                "arg" + std::to_string(index));
  }

  Value *statePointer(int index) {
    return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), state_,
                                         layout_.offsets[index]);
  }

  /// Where n's elements are in the function being emitted: computed on
  /// first use, so a task function (parallelLoop) derives its own.
  Value *buffer(const Node &n) {
    auto it = buffers_.find(&n);
    if (it != buffers_.end())
      return it->second;
    Value *v = bufferFor(n);
    buffers_[&n] = v;
    return v;
  }

  Value *constantData(const Node &n) {
    auto known = constants_.find(&n);
    if (known != constants_.end())
      return known->second;
    std::vector<llvm::Constant *> elems;
    for (double v : n.data)
      elems.push_back(llvm::ConstantFP::get(elemType(n.type.dtype), v));
    auto *arrTy = llvm::ArrayType::get(elemType(n.type.dtype), elems.size());
    return constants_[&n] = new llvm::GlobalVariable(module_, arrTy, true,
                                                     llvm::GlobalValue::PrivateLinkage,
                                                     llvm::ConstantArray::get(arrTy, elems),
                                                     prefix_ + ".const");
  }

  /// Computes where node n's elements live (called in topological order).
  Value *bufferFor(const Node &n) {
    if (n.op == OpKind::Input) {
      for (size_t i = 0; i < entry_.args.size(); ++i)
        if (entry_.args[i] == &n)
          return loadArgPointer(i);
      throw std::logic_error("input '" + n.name + "' is not an argument of '" +
                             entry_.name + "'");
    }
    if (n.op == OpKind::Param)
      return statePointer(n.stateIndex);
    if (n.op == OpKind::Constant)
      return constantData(n);
    if (&canonical(n) != &n)
      return buffer(canonical(n));
    auto offset = wsOffset_.at(&n);
    Value *bytes = b_.getInt64(offset.first);
    if (n.type.batched)
      bytes = b_.CreateAdd(bytes, b_.CreateMul(b_.getInt64(offset.second), batch_));
    return b_.CreateInBoundsGEP(b_.getInt8Ty(), workspace_, bytes);
  }

  Value *elementCount(const Node &n) {
    Value *count = b_.getInt64(n.type.elementsPerSample());
    return n.type.batched ? b_.CreateMul(count, batch_) : count;
  }

  Value *scalarValue(const Node &node) {
    const Node &n = canonical(node);
    if (n.op == OpKind::DropoutMask)
      return llvm::ConstantFP::get(elemType(n.type.dtype), 1.0);
    if (n.op == OpKind::BatchSize)
      return b_.CreateSIToFP(batch_, elemType(n.type.dtype));
    if (n.op == OpKind::BroadcastTo)
      return scalarValue(*n.operands[0]);
    return llvm::ConstantFP::get(elemType(n.type.dtype), n.data[0]);
  }

  Value *load(const Node &n, Value *index) {
    if (isInlineScalar(n))
      return scalarValue(n);
    if (n.op == OpKind::BroadcastTo && fused_.count(&n)) { // a repeat: element i mod size
      const Node &src = *n.operands[0];
      return load(src, b_.CreateURem(index, b_.getInt64(src.type.elementsPerSample())));
    }
    if (fused_.count(&n)) { // computed here, in the consumer's loop
      if (memo_ && memo_->count(&n))
        return memo_->at(&n);
      std::vector<Value *> xs;
      for (const Node *o : n.operands)
        xs.push_back(load(*o, index));
      Value *v = elementwise(n.op, xs, n.type.dtype);
      if (memo_)
        (*memo_)[&n] = v;
      return v;
    }
    llvm::Type *t = elemType(n.type.dtype);
    Value *ptr = b_.CreateInBoundsGEP(t, buffer(canonical(n)), index);
    return b_.CreateAlignedLoad(t, ptr, llvm::Align(dtypeBytes(n.type.dtype)));
  }

  void store(const Node &n, Value *base, Value *index, Value *v) {
    llvm::Type *t = elemType(n.type.dtype);
    Value *ptr = b_.CreateInBoundsGEP(t, base, index);
    b_.CreateAlignedStore(v, ptr, llvm::Align(dtypeBytes(n.type.dtype)));
  }

  //===--- loops ---------------------------------------------------------===//

  /// for (i = 0; i < count; ++i) body(i)
  void loop(Value *count, const std::function<void(Value *)> &body,
            const char *name = "i") {
    loopRange(b_.getInt64(0), count, body, name);
  }

  /// for (i = begin; i < end; ++i) body(i)
  void loopRange(Value *begin, Value *end, const std::function<void(Value *)> &body,
                 const char *name = "i") {
    int loopsBefore = loopsCreated_++;
    llvm::BranchInst *latch = emitLoop(b_, fn_, begin, end, 1, body, name);
    if (loopsCreated_ > loopsBefore + 1) {
      // An outer loop: fully unrolling it copies whole inner nests, which
      // blows up compile time (LoopAccessInfo is quadratic in the accesses)
      // for no speed; the innermost loops are left to the vectorisers.
      llvm::MDNode *disable = llvm::MDNode::get(
          ctx_, {llvm::MDString::get(ctx_, "llvm.loop.unroll.disable")});
      llvm::MDNode *self = llvm::MDNode::getDistinct(ctx_, {nullptr, disable});
      self->replaceOperandWith(0, self);
      latch->setMetadata(llvm::LLVMContext::MD_loop, self);
    }
  }

  /// body(i) for i in [0, count), split across the model's threads when
  /// count x costPerIteration (elements touched) is worth waking them for,
  /// else run inline. The body goes into a task function (nnrt_task_fn)
  /// that re-derives every buffer from the entry's four arguments, passed
  /// in a context block; iterations must be independent. Each iteration
  /// computes the same thing whatever the split, so results do not depend
  /// on the thread count.
  void parallelLoop(Value *count, int64_t costPerIteration,
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
  llvm::Function *emitTask(const std::function<void(Value *)> &body) {
    auto *ptrTy = b_.getPtrTy();
    auto *fnTy = llvm::FunctionType::get(
        b_.getVoidTy(), {ptrTy, b_.getInt64Ty(), b_.getInt64Ty(), ptrTy}, false);
    auto *task = llvm::Function::Create(fnTy, llvm::Function::InternalLinkage,
                                        prefix_ + "_" + entry_.name + ".task", module_);
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

  llvm::StructType *taskContextType() {
    auto *ptrTy = b_.getPtrTy();
    return llvm::StructType::get(ctx_, {ptrTy, ptrTy, b_.getInt64Ty(), ptrTy});
  }

  /// A stack slot in the entry block of the function being emitted (where
  /// mem2reg turns it into registers).
  Value *entryAlloca(llvm::Type *t, const char *name = "") {
    llvm::IRBuilder<>::InsertPointGuard guard(b_);
    b_.SetInsertPoint(&fn_->getEntryBlock(), fn_->getEntryBlock().begin());
    return b_.CreateAlloca(t, nullptr, name);
  }

  /// Nested loops over `extents`, calling body with all indices.
  void nest(const std::vector<Value *> &extents,
            const std::function<void(const std::vector<Value *> &)> &body,
            std::vector<Value *> indices = {}) {
    if (indices.size() == extents.size()) {
      body(indices);
      return;
    }
    loop(extents[indices.size()], [&](Value *i) {
      std::vector<Value *> inner = indices;
      inner.push_back(i);
      nest(extents, body, inner);
    });
  }

  Value *dimValue(int64_t d) { return d == kBatchDim ? batch_ : b_.getInt64(d); }

  //===--- ops -----------------------------------------------------------===//

  void emitNode(const Node &n) {
    if (isInlineScalar(n) || fused_.count(&canonical(n)))
      return; // no buffer (a reshape of a matmul its GEMM's epilogue absorbed has none either)
    Value *out = bufferFor(n);
    buffers_[&n] = out;
    if (&canonical(n) != &n)
      return; // an alias: no code
    out->setName("v" + std::to_string(n.id));
    if (isLeaf(n.op))
      return;
    if (profile_)
      profileCall("nnrt_profile_enter", n);
    emitCode(n, out);
    if (profile_)
      profileCall("nnrt_profile_exit", n);
  }

  void profileCall(const char *name, const Node &n) {
    llvm::FunctionCallee f = module_.getOrInsertFunction(
        name, llvm::FunctionType::get(b_.getVoidTy(), {b_.getInt32Ty()}, false));
    b_.CreateCall(f, {b_.getInt32(n.id)});
  }

  void emitCode(const Node &n, Value *out) {
    auto epilogue = epilogues_.find(&n);
    if (epilogue != epilogues_.end())
      return emitMatMul(*epilogue->second.matmul, n, out, &epilogue->second);
    switch (n.op) {
#define NNC_OP(Name, Printed, Operands, Kind, Flags)
#define NNC_UNARY_OP(Name, Printed, Flags) case OpKind::Name:
#define NNC_BINARY_OP(Name, Printed, Flags) case OpKind::Name:
#include "ir/Ops.def"
      parallelLoop(elementCount(n), 1, [&](Value *i) {
        Value *out = buffer(n);
        std::vector<Value *> xs;
        for (const Node *o : n.operands)
          xs.push_back(load(*o, i));
        store(n, out, i, elementwise(n.op, xs, n.type.dtype));
      });
      return;
    case OpKind::BroadcastTo:
      return emitBroadcast(n, out);
    case OpKind::SumTo:
    case OpKind::MaxTo:
      return emitReduceTo(n, out);
    case OpKind::MatMul:
      return emitMatMul(n, n, out, nullptr);
    case OpKind::Transpose:
    case OpKind::Slice:
      return emitGather(n, out);
    case OpKind::Pad:
      return emitPad(n, out);
    case OpKind::Im2Col:
    case OpKind::Col2Im:
      return emitWindow(n, out);
    case OpKind::OneHot:
      return emitOneHot(n, out);
    case OpKind::SoftmaxCrossEntropy:
    case OpKind::SoftmaxCrossEntropyGrad:
      return emitSoftmaxCrossEntropy(n);
    case OpKind::DropoutMask:
      return emitDropoutMask(n, out);
    case OpKind::Cast:
      parallelLoop(elementCount(n), 1, [&](Value *i) {
        store(n, buffer(n), i, b_.CreateFPCast(load(*n.operands[0], i), elemType(n.type.dtype)));
      });
      return;
    case OpKind::Reshape: // an alias: emitNode never gets here
    case OpKind::Input: case OpKind::Param: case OpKind::Constant: case OpKind::BatchSize:
      return; // leaves need no code
    }
  }

  Value *call(llvm::Intrinsic::ID id, Value *x) {
    return b_.CreateUnaryIntrinsic(id, x);
  }

  Value *libm(const char *name, Value *x, DType t) {
    std::string fname = std::string(name) + (t == DType::F32 ? "f" : "");
    llvm::FunctionCallee f = module_.getOrInsertFunction(
        fname, llvm::FunctionType::get(x->getType(), {x->getType()}, false));
    if (auto *fn = llvm::dyn_cast<llvm::Function>(f.getCallee())) {
      fn->setDoesNotAccessMemory();
      fn->setDoesNotThrow();
    }
    return b_.CreateCall(f, {x});
  }

  /// f32 tanh as a 13/6-degree rational function on [-9, 9] (the
  /// approximation Eigen and ONNX Runtime's MLAS use, within a few ulp;
  /// beyond 9 tanh is +-1 in f32): plain arithmetic, so loops over it
  /// vectorise, where a tanhf call per element does not. NaN stays NaN.
  Value *tanhF32(Value *a) {
    llvm::Type *ty = a->getType();
    auto c = [&](double v) { return llvm::ConstantFP::get(ty, v); };
    Value *x = b_.CreateSelect(b_.CreateFCmpOGT(a, c(9.0)), c(9.0), a);
    x = b_.CreateSelect(b_.CreateFCmpOLT(x, c(-9.0)), c(-9.0), x);
    Value *x2 = b_.CreateFMul(x, x);
    auto poly = [&](std::initializer_list<double> coefficients) { // highest degree first
      Value *acc = nullptr;
      for (double k : coefficients)
        acc = acc ? b_.CreateFAdd(b_.CreateFMul(acc, x2), c(k)) : c(k);
      return acc;
    };
    Value *p = b_.CreateFMul(x, poly({-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
                                      5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04,
                                      4.89352455891786e-03}));
    Value *q = poly({1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
                     4.89352518554385e-03});
    return b_.CreateFDiv(p, q);
  }

  Value *elementwise(OpKind op, const std::vector<Value *> &x, DType t) {
    llvm::Type *ty = elemType(t);
    Value *zero = llvm::ConstantFP::get(ty, 0.0), *one = llvm::ConstantFP::get(ty, 1.0);
    switch (op) {
    case OpKind::Neg: return b_.CreateFNeg(x[0]);
    case OpKind::Exp: return call(llvm::Intrinsic::exp, x[0]);
    case OpKind::Log: return call(llvm::Intrinsic::log, x[0]);
    case OpKind::Sqrt: return call(llvm::Intrinsic::sqrt, x[0]);
    case OpKind::Sin: return call(llvm::Intrinsic::sin, x[0]);
    case OpKind::Cos: return call(llvm::Intrinsic::cos, x[0]);
    case OpKind::Abs: return call(llvm::Intrinsic::fabs, x[0]);
    case OpKind::Tanh: return t == DType::F32 ? tanhF32(x[0]) : libm("tanh", x[0], t);
    case OpKind::Erf: return libm("erf", x[0], t);
    case OpKind::Floor: return call(llvm::Intrinsic::floor, x[0]);
    case OpKind::StopGradient: return x[0];
    case OpKind::Equal: return b_.CreateSelect(b_.CreateFCmpOEQ(x[0], x[1]), one, zero);
    case OpKind::Sigmoid:
      return b_.CreateFDiv(one, b_.CreateFAdd(one, call(llvm::Intrinsic::exp, b_.CreateFNeg(x[0]))));
    case OpKind::Relu:
      return b_.CreateSelect(b_.CreateFCmpOGT(x[0], zero), x[0], zero);
    case OpKind::Step:
      return b_.CreateSelect(b_.CreateFCmpOGT(x[0], zero), one, zero);
    case OpKind::Sign:
      return b_.CreateSelect(b_.CreateFCmpOGT(x[0], zero), one,
                             b_.CreateSelect(b_.CreateFCmpOLT(x[0], zero),
                                             llvm::ConstantFP::get(ty, -1.0), zero));
    case OpKind::Add: return b_.CreateFAdd(x[0], x[1]);
    case OpKind::Sub: return b_.CreateFSub(x[0], x[1]);
    case OpKind::Mul: return b_.CreateFMul(x[0], x[1]);
    case OpKind::Div: return b_.CreateFDiv(x[0], x[1]);
    case OpKind::Pow:
      return b_.CreateBinaryIntrinsic(llvm::Intrinsic::pow, x[0], x[1]);
    case OpKind::ModeSelect: // an alias, never computed
#define NNC_OP(Name, Printed, Operands, Kind, Flags) case OpKind::Name:
#define NNC_UNARY_OP(Name, Printed, Flags)
#define NNC_BINARY_OP(Name, Printed, Flags)
#include "ir/Ops.def"
      break;
    }
    throw std::logic_error(std::string("not elementwise: ") + opName(op));
  }

  /// Row-major strides of `from` (per-sample dims, maybe batched) seen from
  /// the full index space of `to`: 0 where `from` is broadcast.
  std::vector<Value *> stridesWithin(const TensorType &from, const TensorType &to) {
    std::vector<int64_t> toDims = fullDims(to);
    std::vector<Value *> strides(toDims.size(), b_.getInt64(0));
    Value *stride = b_.getInt64(1);
    size_t offset = to.dims.size() - from.dims.size();
    for (size_t k = from.dims.size(); k-- > 0;) {
      size_t pos = (to.batched ? 1 : 0) + offset + k;
      if (from.dims[k] != 1 || to.dims[offset + k] == 1)
        strides[pos] = stride;
      stride = b_.CreateMul(stride, b_.getInt64(from.dims[k]));
    }
    if (to.batched && from.batched)
      strides[0] = stride;
    return strides;
  }

  Value *linearIndex(const std::vector<Value *> &idx, const std::vector<Value *> &strides) {
    Value *sum = b_.getInt64(0);
    for (size_t k = 0; k < idx.size(); ++k)
      sum = b_.CreateAdd(sum, b_.CreateMul(idx[k], strides[k]));
    return sum;
  }

  std::vector<Value *> extentsOf(const TensorType &t) {
    std::vector<Value *> e;
    for (int64_t d : fullDims(t))
      e.push_back(dimValue(d));
    return e;
  }

  void emitBroadcast(const Node &n, Value *out) {
    const Node &src = *n.operands[0];
    std::vector<Value *> inStrides = stridesWithin(src.type, n.type);
    std::vector<Value *> outStrides = stridesWithin(n.type, n.type);
    nest(extentsOf(n.type), [&](const std::vector<Value *> &idx) {
      store(n, out, linearIndex(idx, outStrides), load(src, linearIndex(idx, inStrides)));
    });
  }

  /// SumTo and MaxTo: initialise, then fold every input element into the
  /// output element it maps to (in row-major input order: deterministic).
  void emitReduceTo(const Node &n, Value *out) {
    const Node &src = *n.operands[0];
    llvm::Type *t = elemType(n.type.dtype);
    bool isMax = n.op == OpKind::MaxTo;
    if (isInlineScalar(src)) {
      // A broadcast scalar: its max is itself, its sum value times copies.
      Value *v = scalarValue(src);
      if (!isMax) {
        Value *copies = b_.CreateUDiv(elementCount(src), elementCount(n));
        v = b_.CreateFMul(v, b_.CreateSIToFP(copies, t));
      }
      loop(elementCount(n), [&](Value *i) { store(n, out, i, v); });
      return;
    }
    Value *init = isMax ? llvm::ConstantFP::getInfinity(t, true) : llvm::ConstantFP::get(t, 0.0);
    auto fold = [&](Value *dest, const std::vector<Value *> &idx) {
      std::vector<Value *> outStrides = stridesWithin(n.type, src.type);
      std::vector<Value *> inStrides = stridesWithin(src.type, src.type);
      Value *o = linearIndex(idx, outStrides);
      Value *acc = load(n, o), *x = load(src, linearIndex(idx, inStrides));
      Value *next = isMax ? b_.CreateSelect(b_.CreateFCmpOGT(x, acc), x, acc)
                          : b_.CreateFAdd(acc, x);
      store(n, dest, o, next);
    };
    if (n.type.batched && src.type.batched) {
      // Each sample reduces into its own outputs (pooling's max_to, a
      // per-sample sum): samples are split across threads, each summed in
      // the same order as before.
      int64_t perSampleOut = n.type.elementsPerSample();
      parallelLoop(batch_, src.type.elementsPerSample(), [&](Value *sample) {
        Value *dest = buffer(n);
        Value *first = b_.CreateMul(sample, b_.getInt64(perSampleOut));
        loop(b_.getInt64(perSampleOut), [&](Value *i) { store(n, dest, b_.CreateAdd(first, i), init); });
        std::vector<Value *> extents;
        for (int64_t d : src.type.dims)
          extents.push_back(b_.getInt64(d));
        nest(extents, [&](const std::vector<Value *> &idx) {
          std::vector<Value *> full{sample};
          full.insert(full.end(), idx.begin(), idx.end());
          fold(dest, full);
        });
      });
      return;
    }
    loop(elementCount(n), [&](Value *i) { store(n, out, i, init); });
    nest(extentsOf(src.type), [&](const std::vector<Value *> &idx) { fold(out, idx); });
  }

  /// Row-major strides of a full shape (batch first when batched).
  std::vector<Value *> rowMajorStrides(const TensorType &t) {
    return stridesWithin(t, t);
  }

  /// Transpose and Slice read one input element per output element.
  void emitGather(const Node &n, Value *out) {
    const Node &src = *n.operands[0];
    std::vector<Value *> inStrides = rowMajorStrides(src.type);
    std::vector<Value *> outStrides = rowMajorStrides(n.type);
    size_t lead = n.type.batched ? 1 : 0;
    nest(extentsOf(n.type), [&](const std::vector<Value *> &idx) {
      Value *in = b_.getInt64(0);
      if (lead)
        in = b_.CreateMul(idx[0], inStrides[0]);
      for (size_t i = 0; i < n.type.dims.size(); ++i) {
        size_t axis = n.op == OpKind::Transpose ? n.ints[i] : i;
        Value *coord = idx[lead + i];
        if (n.op == OpKind::Slice)
          coord = b_.CreateAdd(coord, b_.getInt64(n.ints[i]));
        in = b_.CreateAdd(in, b_.CreateMul(coord, inStrides[lead + axis]));
      }
      store(n, out, linearIndex(idx, outStrides), load(src, in));
    });
  }

  /// Pad: zeros, then the operand copied in at its offset.
  void emitPad(const Node &n, Value *out) {
    const Node &src = *n.operands[0];
    llvm::Type *t = elemType(n.type.dtype);
    loop(elementCount(n), [&](Value *i) { store(n, out, i, llvm::ConstantFP::get(t, 0.0)); });
    std::vector<Value *> inStrides = rowMajorStrides(src.type);
    std::vector<Value *> outStrides = rowMajorStrides(n.type);
    size_t lead = n.type.batched ? 1 : 0;
    nest(extentsOf(src.type), [&](const std::vector<Value *> &idx) {
      Value *o = lead ? b_.CreateMul(idx[0], outStrides[0]) : b_.getInt64(0);
      for (size_t i = 0; i < src.type.dims.size(); ++i)
        o = b_.CreateAdd(o, b_.CreateMul(b_.CreateAdd(idx[lead + i], b_.getInt64(n.ints[i])),
                                         outStrides[lead + i]));
      store(n, out, o, load(src, linearIndex(idx, inStrides)));
    });
  }

  /// Im2Col gathers each window into a row; Col2Im (its adjoint) adds each
  /// row entry back to the pixel it came from. Padding pixels read as
  /// `scalar` and are dropped on the way back.
  void emitWindow(const Node &n, Value *out) {
    bool toCols = n.op == OpKind::Im2Col;
    const Node &src = *n.operands[0];
    const TensorType &image = toCols ? src.type : n.type;
    const Window &w = n.window;
    int64_t H = image.dims[0], W = image.dims[1], C = image.dims[2];
    int64_t OH = w.outH(H), OW = w.outW(W);
    int64_t rowLen = w.kh * w.kw * C;
    llvm::Type *t = elemType(n.type.dtype);
    // Samples are independent (each writes only its own rows or its own
    // image), so they are split across threads.
    Value *batch = image.batched ? batch_ : b_.getInt64(1);
    int64_t perSample = OH * OW * rowLen;
    parallelLoop(batch, perSample, [&](Value *sample) {
    Value *out = buffer(n);
    if (!toCols) {
      Value *first = b_.CreateMul(sample, b_.getInt64(H * W * C));
      loop(b_.getInt64(H * W * C), [&](Value *i) {
        store(n, out, b_.CreateAdd(first, i), llvm::ConstantFP::get(t, 0.0));
      });
    }
    nest({b_.getInt64(OH), b_.getInt64(OW), b_.getInt64(w.kh), b_.getInt64(w.kw)},
         [&](const std::vector<Value *> &inner) {
      std::vector<Value *> i{sample};
      i.insert(i.end(), inner.begin(), inner.end());
      Value *ih = b_.CreateAdd(b_.CreateMul(i[1], b_.getInt64(w.strideH)),
                               b_.CreateSub(b_.CreateMul(i[3], b_.getInt64(w.dilationH)),
                                            b_.getInt64(w.padTop)));
      Value *iw = b_.CreateAdd(b_.CreateMul(i[2], b_.getInt64(w.strideW)),
                               b_.CreateSub(b_.CreateMul(i[4], b_.getInt64(w.dilationW)),
                                            b_.getInt64(w.padLeft)));
      Value *inside = b_.CreateAnd(
          b_.CreateAnd(b_.CreateICmpSGE(ih, b_.getInt64(0)), b_.CreateICmpSLT(ih, b_.getInt64(H))),
          b_.CreateAnd(b_.CreateICmpSGE(iw, b_.getInt64(0)), b_.CreateICmpSLT(iw, b_.getInt64(W))));
      // Pixel (clamped to 0 outside, so the address is always valid).
      Value *pixel = b_.CreateMul(b_.CreateAdd(b_.CreateMul(i[0], b_.getInt64(H)), ih),
                                  b_.getInt64(W));
      pixel = b_.CreateMul(b_.CreateAdd(pixel, iw), b_.getInt64(C));
      pixel = b_.CreateSelect(inside, pixel, b_.getInt64(0));
      Value *row = b_.CreateAdd(b_.CreateMul(i[0], b_.getInt64(OH * OW)),
                                b_.CreateAdd(b_.CreateMul(i[1], b_.getInt64(OW)), i[2]));
      Value *col = b_.CreateMul(b_.CreateAdd(b_.CreateMul(i[3], b_.getInt64(w.kw)), i[4]),
                                b_.getInt64(C));
      Value *cell = b_.CreateAdd(b_.CreateMul(row, b_.getInt64(rowLen)), col);
      loop(b_.getInt64(C), [&](Value *c) {
        if (toCols) {
          Value *v = b_.CreateSelect(inside, load(src, b_.CreateAdd(pixel, c)),
                                     llvm::ConstantFP::get(t, n.scalar));
          store(n, out, b_.CreateAdd(cell, c), v);
          return;
        }
        Value *target = b_.CreateAdd(pixel, c);
        Value *sum = b_.CreateFAdd(load(n, target), load(src, b_.CreateAdd(cell, c)));
        // Outside the image the add is discarded (pixel 0 keeps its value).
        store(n, out, target, b_.CreateSelect(inside, sum, load(n, target)));
      }, "c");
    });
    });
  }

  void emitOneHot(const Node &n, Value *out) {
    const Node &labels = *n.operands[0];
    int64_t classes = n.type.dims.back();
    llvm::Type *t = elemType(n.type.dtype);
    loop(elementCount(labels), [&](Value *i) {
      Value *label = b_.CreateSExt(load(labels, i), b_.getInt64Ty());
      loop(b_.getInt64(classes), [&](Value *k) {
        Value *hit = b_.CreateICmpEQ(label, k);
        store(n, out, b_.CreateAdd(b_.CreateMul(i, b_.getInt64(classes)), k),
              b_.CreateSelect(hit, llvm::ConstantFP::get(t, 1.0), llvm::ConstantFP::get(t, 0.0)));
      }, "k");
    });
  }

  /// One pass per row of logits (a sample's C classes) for the loss, one for
  /// its gradient, each recomputing the row's max m and s = sum exp(x - m):
  ///   loss = -((x[label] - m) - log s)
  ///   grad = -g * one_hot(label) + (g / s) * exp(x - m)
  /// the same operations, in the same order, as the unfused log-softmax
  /// graph, so the results are the same bits. A label outside 0..C-1 (only
  /// possible through the C API) gives a NaN loss, never a read outside x.
  void emitSoftmaxCrossEntropy(const Node &n) {
    const Node &x = *n.operands[0], &labels = *n.operands[1];
    bool grad = n.op == OpKind::SoftmaxCrossEntropyGrad;
    int64_t classes = x.type.dims.back();
    llvm::Type *t = elemType(n.type.dtype);
    parallelLoop(elementCount(labels), 3 * classes, [&](Value *row) {
      // Buffers are derived on first use: here, before the inner loops.
      for (const Node *o : n.operands)
        if (!isInlineScalar(*o))
          buffer(canonical(*o));
      Value *first = b_.CreateMul(row, b_.getInt64(classes));
      auto xAt = [&](Value *k) { return load(x, b_.CreateAdd(first, k)); };
      auto fold = [&](Value *init, const std::function<Value *(Value *, Value *)> &step) {
        Value *slot = entryAlloca(t);
        b_.CreateStore(init, slot);
        loop(b_.getInt64(classes), [&](Value *k) {
          b_.CreateStore(step(b_.CreateLoad(t, slot), k), slot);
        }, "k");
        return b_.CreateLoad(t, slot);
      };
      Value *m = fold(llvm::ConstantFP::getInfinity(t, true), [&](Value *acc, Value *k) {
        Value *v = xAt(k);
        return b_.CreateSelect(b_.CreateFCmpOGT(v, acc), v, acc);
      });
      Value *s = fold(llvm::ConstantFP::get(t, 0.0), [&](Value *acc, Value *k) {
        return b_.CreateFAdd(acc, call(llvm::Intrinsic::exp, b_.CreateFSub(xAt(k), m)));
      });
      Value *label = b_.CreateSExt(load(labels, row), b_.getInt64Ty());
      Value *valid = b_.CreateAnd(b_.CreateICmpSGE(label, b_.getInt64(0)),
                                  b_.CreateICmpSLT(label, b_.getInt64(classes)));
      if (!grad) {
        Value *xl = xAt(b_.CreateSelect(valid, label, b_.getInt64(0)));
        Value *loss = b_.CreateFNeg(b_.CreateFSub(b_.CreateFSub(xl, m), call(llvm::Intrinsic::log, s)));
        store(n, buffer(n), row, b_.CreateSelect(valid, loss, llvm::ConstantFP::getNaN(t)));
        return;
      }
      Value *g = load(*n.operands[2], row);
      Value *scale = b_.CreateFDiv(g, s), *minusG = b_.CreateFNeg(g);
      loop(b_.getInt64(classes), [&](Value *k) {
        Value *hot = b_.CreateSelect(b_.CreateICmpEQ(k, label), llvm::ConstantFP::get(t, 1.0),
                                     llvm::ConstantFP::get(t, 0.0));
        Value *e = call(llvm::Intrinsic::exp, b_.CreateFSub(xAt(k), m));
        store(n, buffer(n), b_.CreateAdd(first, k),
              b_.CreateFAdd(b_.CreateFMul(minusG, hot), b_.CreateFMul(scale, e)));
      }, "k");
    });
  }

  /// Training only: the runtime draws keep/drop from the counter-based
  /// generator keyed by (seed, step, node), so masks are reproducible.
  void emitDropoutMask(const Node &n, Value *out) {
    const Node &step = *n.operands[0], &seed = *n.operands[1];
    llvm::Type *f64 = b_.getDoubleTy();
    Value *stepValue = b_.CreateFPToUI(b_.CreateFPExt(load(step, b_.getInt64(0)), f64), b_.getInt64Ty());
    Value *seedValue = b_.CreateFPToUI(b_.CreateFPExt(load(seed, b_.getInt64(0)), f64), b_.getInt64Ty());
    llvm::FunctionCallee fn = module_.getOrInsertFunction(
        "nnrt_dropout_mask",
        llvm::FunctionType::get(b_.getVoidTy(),
                                {b_.getPtrTy(), b_.getInt32Ty(), b_.getInt64Ty(), f64,
                                 b_.getInt64Ty(), b_.getInt64Ty()},
                                false));
    // Counter stream: step in the high bits, the node below (2^24 nodes).
    Value *stream = b_.CreateAdd(b_.CreateShl(stepValue, 24), b_.getInt64(n.id & 0xFFFFFF));
    b_.CreateCall(fn, {out, b_.getInt32(n.type.dtype == DType::F32 ? 0 : 1), elementCount(n),
                       llvm::ConstantFP::get(f64, n.scalar), seedValue, stream});
  }

  Value *product(const std::vector<int64_t> &dims) {
    Value *v = b_.getInt64(1);
    for (int64_t d : dims)
      v = b_.CreateMul(v, dimValue(d));
    return v;
  }

  /// C[i,j] = sum_k opA[i,k] * opB[k,j] over 2-D views of the operands
  /// (rows = all leading dims, batch included). Loop orders keep the
  /// innermost loop on contiguous memory so it vectorises: with B untransposed
  /// C's row accumulates a_ik * B's row (k ascending, so every C[i,j] sums in
  /// the same order as a dot product would); with B transposed it is a dot
  /// product of two rows, vectorised by reassociating its sum.
  ///
  /// With an epilogue, `out` is the buffer of the node it writes and gets
  /// relu?(C + bias[column]) instead of C.
  void emitMatMul(const Node &n, const Node &dest, Value *out, const GemmEpilogue *epilogue) {
    const Node &a = *n.operands[0], &b = *n.operands[1];
    MatrixView va = matrixView(a.type, n.transA), vb = matrixView(b.type, n.transB);
    Value *M = product(va.rows), *K = product(va.cols), *N = product(vb.cols);
    Value *aCols = dimValue(fullDims(a.type).back()), *bCols = dimValue(fullDims(b.type).back());
    if (isInlineScalar(a) || isInlineScalar(b) || vectorBits_ == 0)
      return emitMatMulLoops(n, dest, out, M, N, K, aCols, bCols, epilogue);
    // Small products (the lecture's 2-2-2 net, batch-1 layers) stay plain
    // loops: packing would cost more than it saves. The batch is only known
    // at run time, so both versions exist when the size depends on it.
    // A few rows (batch-1 inference) would pay for packing all of B for
    // almost no reuse: the loops stream B once instead.
    Value *work = b_.CreateMul(b_.CreateMul(M, N), K);
    Value *big = b_.CreateAnd(b_.CreateICmpSGE(work, b_.getInt64(kGemmMinWork)),
                              b_.CreateICmpSGE(M, b_.getInt64(kGemmMinRows)));
    if (auto *c = llvm::dyn_cast<llvm::ConstantInt>(big)) {
      if (c->isOne())
        return emitMatMulGemm(n, out, M, N, K, aCols, bCols, epilogue);
      return emitMatMulLoops(n, dest, out, M, N, K, aCols, bCols, epilogue);
    }
    auto *gemmBB = llvm::BasicBlock::Create(ctx_, "gemm", fn_);
    auto *loopsBB = llvm::BasicBlock::Create(ctx_, "matmul.loops", fn_);
    auto *join = llvm::BasicBlock::Create(ctx_, "matmul.done", fn_);
    b_.CreateCondBr(big, gemmBB, loopsBB);
    b_.SetInsertPoint(gemmBB);
    emitMatMulGemm(n, out, M, N, K, aCols, bCols, epilogue);
    b_.CreateBr(join);
    b_.SetInsertPoint(loopsBB);
    emitMatMulLoops(n, dest, out, M, N, K, aCols, bCols, epilogue);
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
  }

  /// Calls the packed kernel (Gemm.cpp) through the runtime's thread pool,
  /// split into MR-row or NR-column chunks, whichever gives more.
  void emitMatMulGemm(const Node &n, Value *out, Value *M, Value *N, Value *K,
                      Value *aCols, Value *bCols, const GemmEpilogue *epilogue) {
    const Node &a = *n.operands[0], &b = *n.operands[1];
    GemmShape shape = gemmShape(n.type.dtype, vectorBits_);
    auto *argsTy = gemmArgsType(ctx_);
    Value *args = entryAlloca(argsTy, "gemm.args");
    Value *one = b_.getInt64(1);
    Value *fields[] = {buffer(canonical(a)), buffer(canonical(b)), out, M, N, K,
                       n.transA ? one : aCols, n.transA ? aCols : one,
                       n.transB ? one : bCols, n.transB ? bCols : one, nullptr,
                       epilogue ? buffer(canonical(*epilogue->bias))
                                : llvm::ConstantPointerNull::get(b_.getPtrTy()),
                       b_.getInt64(epilogue && epilogue->relu ? 1 : 0)};
    Value *chunksM = b_.CreateUDiv(b_.CreateAdd(M, b_.getInt64(shape.mr - 1)), b_.getInt64(shape.mr));
    Value *chunksN = b_.CreateUDiv(b_.CreateAdd(N, b_.getInt64(shape.nr - 1)), b_.getInt64(shape.nr));
    Value *splitN = b_.CreateICmpUGT(chunksN, chunksM);
    fields[GA_SPLIT] = b_.CreateZExt(splitN, b_.getInt64Ty());
    for (unsigned i = 0; i <= GA_RELU; ++i)
      b_.CreateStore(fields[i], b_.CreateStructGEP(argsTy, args, i));
    // Small products run on the calling thread: waking the others costs
    // more than they would save (same chunks, same results).
    auto *forTy = llvm::FunctionType::get(b_.getVoidTy(), {b_.getInt64Ty(), b_.getPtrTy(), b_.getPtrTy()}, false);
    llvm::FunctionCallee parallelFor = module_.getOrInsertFunction("nnrt_parallel_for", forTy);
    llvm::FunctionCallee serialFor = module_.getOrInsertFunction("nnrt_serial_for", forTy);
    Value *small = b_.CreateICmpULT(b_.CreateMul(b_.CreateMul(M, N), K), b_.getInt64(kGemmParallelMinWork));
    Value *runner = b_.CreateSelect(small, serialFor.getCallee(), parallelFor.getCallee());
    b_.CreateCall(forTy, runner, {b_.CreateSelect(splitN, chunksN, chunksM),
                                  getGemmTask(module_, n.type.dtype, vectorBits_), args});
  }

  void emitMatMulLoops(const Node &n, const Node &dest, Value *out, Value *M, Value *N, Value *K,
                       Value *aCols, Value *bCols, const GemmEpilogue *epilogue) {
    emitProductLoops(n, dest, out, M, N, K, aCols, bCols);
    if (!epilogue)
      return;
    // The epilogue in place, as the GEMM applies it to each element. Only
    // small products come here, so the loop stays on this thread.
    // The same elementwise ops the unfused add and relu would run.
    llvm::Type *t = elemType(n.type.dtype);
    DType dtype = n.type.dtype;
    loop(elementCount(n), [&](Value *i) {
      Value *ptr = b_.CreateInBoundsGEP(t, out, i);
      Value *x = b_.CreateAlignedLoad(t, ptr, llvm::Align(dtypeBytes(dtype)));
      x = elementwise(OpKind::Add, {x, load(*epilogue->bias, b_.CreateURem(i, N))}, dtype);
      if (epilogue->relu)
        x = elementwise(OpKind::Relu, {x}, dtype);
      b_.CreateAlignedStore(x, ptr, llvm::Align(dtypeBytes(dtype)));
    });
  }

  /// `out` is dest's buffer (n's, or the node n's epilogue writes).
  void emitProductLoops(const Node &n, const Node &dest, Value *out, Value *M, Value *N, Value *K,
                        Value *aCols, Value *bCols) {
    const Node &a = *n.operands[0], &b = *n.operands[1];
    llvm::Type *t = elemType(n.type.dtype);
    llvm::IRBuilder<>::FastMathFlagGuard fmfGuard(b_);
    llvm::FastMathFlags fmf;
    fmf.setAllowContract(true); // fused multiply-add where the target has it
    b_.setFastMathFlags(fmf);
    auto A = [&](Value *i, Value *k) {
      return load(a, n.transA ? b_.CreateAdd(b_.CreateMul(k, aCols), i)
                              : b_.CreateAdd(b_.CreateMul(i, aCols), k));
    };
    auto Bv = [&](Value *k, Value *j) {
      return load(b, n.transB ? b_.CreateAdd(b_.CreateMul(j, bCols), k)
                              : b_.CreateAdd(b_.CreateMul(k, bCols), j));
    };
    auto cIndex = [&](Value *i, Value *j) { return b_.CreateAdd(b_.CreateMul(i, N), j); };
    auto loadC = [&](Value *c) { // from `out`: n itself may have no buffer (epilogue)
      return b_.CreateAlignedLoad(t, b_.CreateInBoundsGEP(t, out, c), llvm::Align(dtypeBytes(n.type.dtype)));
    };
    auto accumulate = [&](Value *i, Value *k) {
      Value *aik = A(i, k);
      loop(N, [&](Value *j) {
        Value *c = cIndex(i, j);
        store(n, out, c, b_.CreateFAdd(loadC(c), b_.CreateFMul(aik, Bv(k, j))));
      }, "j");
    };
    Value *zero = llvm::ConstantFP::get(t, 0.0);
    if (!n.transB && !n.transA) {
      loop(M, [&](Value *i) {
        loop(N, [&](Value *j) { store(n, out, cIndex(i, j), zero); }, "j");
        loop(K, [&](Value *k) { accumulate(i, k); }, "k");
      }, "m");
      return;
    }
    if (!n.transB) { // A transposed: k outermost so both A and B stream by rows
      loop(elementCount(n), [&](Value *i) { store(n, out, i, zero); });
      loop(K, [&](Value *k) { loop(M, [&](Value *i) { accumulate(i, k); }, "m"); }, "k");
      return;
    }
    fmf.setAllowReassoc(true);
    b_.setFastMathFlags(fmf);
    // Dot products of A's rows with B's rows, kColumnBlock columns at a
    // time: each A element loaded feeds that many sums (a batch-1 dense
    // layer is otherwise bound by loading the input row again per column).
    auto dots = [&](Value *i, Value *j0, int count, Value *c0) {
      std::vector<Value *> slots;
      for (int c = 0; c < count; ++c) {
        slots.push_back(entryAlloca(t));
        b_.CreateStore(zero, slots.back());
      }
      loop(K, [&](Value *k) {
        Value *aik = A(i, k);
        for (int c = 0; c < count; ++c) {
          Value *prod = b_.CreateFMul(aik, Bv(k, b_.CreateAdd(j0, b_.getInt64(c))));
          b_.CreateStore(b_.CreateFAdd(b_.CreateLoad(t, slots[c]), prod), slots[c]);
        }
      }, "k");
      for (int c = 0; c < count; ++c)
        store(n, c0, cIndex(i, b_.CreateAdd(j0, b_.getInt64(c))), b_.CreateLoad(t, slots[c]));
    };
    // Column blocks are independent: a large product (batch-1 fc1 of the
    // lecture CNN streams 12.8 MB of weights) splits them across threads,
    // from the GEMM's threshold of multiply-adds on.
    // The task recomputes the sizes from the batch (the lambdas above read
    // these variables), so it needs nothing of the entry but its arguments.
    MatrixView va = matrixView(a.type, n.transA), vb = matrixView(b.type, n.transB);
    auto recomputeSizes = [&] {
      N = product(vb.cols), K = product(va.cols);
      aCols = dimValue(fullDims(a.type).back()), bCols = dimValue(fullDims(b.type).back());
    };
    Value *blocks = b_.CreateUDiv(N, b_.getInt64(kColumnBlock));
    int64_t macsPerBlock = 0; // cost in parallelLoop's units (kParallelMinWork = GEMM's threshold)
    if (auto *k = llvm::dyn_cast<llvm::ConstantInt>(K))
      macsPerBlock = k->getSExtValue() * kColumnBlock / (kGemmParallelMinWork / kParallelMinWork);
    Value *entrySizes[] = {N, K, aCols, bCols};
    parallelLoop(b_.CreateMul(M, blocks), macsPerBlock, [&](Value *index) {
      recomputeSizes();
      Value *perRow = b_.CreateUDiv(N, b_.getInt64(kColumnBlock));
      Value *i = b_.CreateUDiv(index, perRow), *q = b_.CreateURem(index, perRow);
      dots(i, b_.CreateMul(q, b_.getInt64(kColumnBlock)), kColumnBlock, buffer(dest));
      N = entrySizes[0], K = entrySizes[1], aCols = entrySizes[2], bCols = entrySizes[3];
    });
    loop(M, [&](Value *i) { // the last N mod kColumnBlock columns
      loopRange(b_.CreateMul(blocks, b_.getInt64(kColumnBlock)), N,
                [&](Value *j) { dots(i, j, 1, out); }, "j");
    }, "m");
  }

  /// Writes node n's elements to `dest` (a result buffer or a state tensor).
  void copyOut(const Node &n, Value *dest) {
    loop(elementCount(n), [&](Value *i) { store(n, dest, i, load(n, i)); });
  }

  const Program &p_;
  const Entry &entry_;
  llvm::Module &module_;
  llvm::LLVMContext &ctx_;
  IRBuilder<> b_;
  const StateLayout &layout_;
  std::string prefix_;
  int vectorBits_;
  bool profile_, fusion_;
  std::set<const Node *> fused_;
  /// Updates computed by the final per-shape loops, and while emitting one
  /// of them, the values already computed for the current element.
  std::set<const Node *> inUpdateLoop_;
  /// Nodes a matmul's GEMM writes (bias add, maybe ReLU, in its epilogue).
  std::map<const Node *, GemmEpilogue> epilogues_;
  std::map<const Node *, Value *> *memo_ = nullptr;
  /// Multiply-adds below which a matmul stays a loop nest.
  static constexpr int64_t kGemmMinWork = 1 << 15;
  /// Multiply-adds below which a GEMM runs on the calling thread alone.
  static constexpr int64_t kGemmParallelMinWork = 1 << 21;
  /// Columns whose dot products share one pass over A's row (loops, B transposed).
  static constexpr int kColumnBlock = 4;
  /// Rows below which a matmul stays a loop nest.
  static constexpr int64_t kGemmMinRows = 16;
  llvm::Function *fn_ = nullptr;
  Value *state_ = nullptr, *workspace_ = nullptr, *batch_ = nullptr, *args_ = nullptr;
  std::vector<const Node *> nodes_;
  std::map<const Node *, std::pair<int64_t, int64_t>> wsOffset_;
  std::map<const Node *, Value *> buffers_;
  WorkspaceSize size_;
  int loopsCreated_ = 0;
  /// The entry's arguments, for task functions (parallelLoop).
  Value *taskContext_ = nullptr;
  std::map<const Node *, Value *> constants_;
  /// Elements touched below which a loop runs on the calling thread alone.
  static constexpr int64_t kParallelMinWork = 1 << 16;
};

} // namespace

EntryPlan planEntry(const Program &p, const Entry &e, const CodegenOptions &options) {
  llvm::LLVMContext context;
  llvm::Module module("plan", context);
  StateLayout layout = layoutState(p);
  return FunctionEmitter(p, e, module, layout, options).plan();
}

std::unique_ptr<llvm::Module> generateModule(const Program &p, llvm::LLVMContext &context,
                                             const CodegenOptions &options) {
  auto module = std::make_unique<llvm::Module>(options.prefix, context);
  StateLayout layout = layoutState(p);
  std::vector<WorkspaceSize> workspace;
  for (const Entry &e : p.entries) {
    bool wanted = options.entries.empty() ||
                  std::find(options.entries.begin(), options.entries.end(), e.name) !=
                      options.entries.end();
    workspace.push_back(wanted ? FunctionEmitter(p, e, *module, layout, options).emit()
                               : WorkspaceSize{});
  }
  emitDescriptor(p, *module, options, workspace);
  if (options.withCApi)
    emitCApi(p, *module, options);
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (llvm::verifyModule(*module, &os))
    throw std::logic_error("generated LLVM IR is invalid: " + os.str());
  return module;
}

} // namespace nnc
