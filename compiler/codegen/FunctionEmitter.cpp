//===- FunctionEmitter.cpp - one entry function: buffers, loops, dispatch --===//
#include "codegen/FunctionEmitter.h"

#include "codegen/Kernels.h"
#include "codegen/Loops.h"

#include "llvm/IR/Module.h"

#include <stdexcept>

namespace nnc {

using llvm::Value;

FunctionEmitter::FunctionEmitter(const Program &p, const Entry &entry, llvm::Module &module,
                                 const StateLayout &layout, const CodegenOptions &options)
    : p_(p), entry_(entry), module_(module), ctx_(module.getContext()), b_(ctx_),
      layout_(layout), options_(options) {}

WorkspaceSize FunctionEmitter::emit() {
  planFusion();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx_);
  auto *fnTy = llvm::FunctionType::get(
      b_.getInt32Ty(), {ptrTy, ptrTy, b_.getInt64Ty(), ptrTy}, false);
  fn_ = llvm::Function::Create(fnTy, llvm::Function::InternalLinkage,
                               options_.prefix + "_entry_" + entry_.name, module_);
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

  for (const Node *n : fusion_.nodes)
    emitNode(*n);
  for (size_t i = 0; i < entry_.results.size(); ++i)
    copyOut(*entry_.results[i], loadArgPointer(entry_.args.size() + i));
  emitUpdateLoops();
  for (auto &update : entry_.updates)
    if (!fusion_.inUpdateLoop.count(update.second))
      copyOut(*update.second, statePointer(update.first));
  b_.CreateRet(b_.getInt32(0));
  return memory_.size;
}

/// Plans without emitting: kernel count and workspace (nnc info).
EntryPlan FunctionEmitter::plan() {
  planFusion();
  EntryPlan result;
  result.workspace = memory_.size;
  for (const Node *n : fusion_.nodes)
    if (!isInlineScalar(*n) && !fusion_.fused.count(n) && &canonical(*n) == n && !isLeaf(n->op) &&
        n->op != OpKind::ScanResult)
      ++result.kernels;
  std::set<int64_t> updateLoops;
  for (const Node *u : fusion_.inUpdateLoop)
    updateLoops.insert(u->type.elementsPerSample());
  result.kernels += static_cast<int>(updateLoops.size());
  result.epilogues = static_cast<int>(fusion_.epilogues.size());
  for (auto &e : fusion_.epilogues)
    result.reluEpilogues += e.second.relu ? 1 : 0;
  return result;
}

void FunctionEmitter::planFusion() {
  fusion_ = planEntryFusion(p_, entry_, options_.fusion);
  memory_ = planMemory(entry_, fusion_);
}

/// One loop per parameter shape computes the state updates of that size
/// (an optimizer's new weights, moments, ...) element by element and
/// writes them straight into the state: the update is one pass over
/// memory. Every value of the chain is read at the same index, so writing
/// in place after computing all of an element's updates is safe.
void FunctionEmitter::emitUpdateLoops() {
  std::map<int64_t, std::vector<std::pair<int, const Node *>>> groups;
  for (auto &u : entry_.updates)
    if (fusion_.inUpdateLoop.count(u.second))
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

llvm::Type *FunctionEmitter::elemType(DType t) {
  return t == DType::F32 ? b_.getFloatTy() : t == DType::F64 ? b_.getDoubleTy() : b_.getInt32Ty();
}

Value *FunctionEmitter::loadArgPointer(size_t index) {
  Value *slot = b_.CreateConstInBoundsGEP1_64(b_.getPtrTy(), args_, index);
  return b_.CreateAlignedLoad(b_.getPtrTy(), slot, llvm::Align(8),
                              "arg" + std::to_string(index));
}

Value *FunctionEmitter::statePointer(int index) {
  return placedBuffer(true, layout_.offsets[index], 0);
}

/// Where n's elements are in the function being emitted: computed on
/// first use, so a task function (parallelLoop) derives its own.
Value *FunctionEmitter::buffer(const Node &n) {
  auto it = buffers_.find(&n);
  if (it != buffers_.end())
    return it->second;
  Value *v = bufferFor(n);
  buffers_[&n] = v;
  return v;
}

Value *FunctionEmitter::constantData(const Node &n) {
  auto known = constants_.find(&n);
  if (known != constants_.end())
    return known->second;
  std::vector<llvm::Constant *> elems;
  for (double v : n.data)
    elems.push_back(constantElement(n.type.dtype, v));
  auto *arrTy = llvm::ArrayType::get(elemType(n.type.dtype), elems.size());
  return constants_[&n] = new llvm::GlobalVariable(module_, arrTy, true,
                                                   llvm::GlobalValue::PrivateLinkage,
                                                   llvm::ConstantArray::get(arrTy, elems),
                                                   options_.prefix + ".const");
}

/// Computes where node n's elements live (called in topological order).
Value *FunctionEmitter::bufferFor(const Node &n) {
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
  const BufferSlot &slot = memory_.slots[memory_.slotOf.at(&n)];
  // A batched buffer starts at fixed + offset * B (MemoryPlan.h), where
  // `fixed` is the planned fixed region (the scan block's start).
  return placedBuffer(false, slot.batched ? memory_.scanBlock.fixed : slot.offset,
                      n.type.batched ? slot.offset : 0);
}

Value *FunctionEmitter::elementCount(const Node &n) {
  Value *count = b_.getInt64(n.type.elementsPerSample());
  return n.type.batched ? b_.CreateMul(count, batch_) : count;
}

Value *FunctionEmitter::scalarValue(const Node &node) {
  const Node &n = canonical(node);
  if (n.op == OpKind::DropoutMask)
    return llvm::ConstantFP::get(elemType(n.type.dtype), 1.0);
  if (n.op == OpKind::BatchSize)
    return b_.CreateSIToFP(batch_, elemType(n.type.dtype));
  if (n.op == OpKind::BroadcastTo)
    return scalarValue(*n.operands[0]);
  return constantElement(n.type.dtype, n.data[0]);
}

/// One element of a constant: integer constants (i32 index tables) hold
/// whole numbers.
llvm::Constant *FunctionEmitter::constantElement(DType dtype, double v) {
  if (dtype == DType::I32)
    return llvm::ConstantInt::get(elemType(dtype), uint64_t(int64_t(v)), true);
  return llvm::ConstantFP::get(elemType(dtype), v);
}

Value *FunctionEmitter::load(const Node &n, Value *index) {
  if (isInlineScalar(n))
    return scalarValue(n);
  if (n.op == OpKind::BroadcastTo && fusion_.fused.count(&n)) { // a repeat: element i mod size
    const Node &src = *n.operands[0];
    return load(src, b_.CreateURem(index, b_.getInt64(src.type.elementsPerSample())));
  }
  if (n.op == OpKind::Im2Col && fusion_.fused.count(&n)) // only its GEMMs read it, from the image
    throw std::logic_error("im2col %" + std::to_string(n.id) + " has no buffer to load from");
  if (fusion_.fused.count(&n)) { // computed here, in the consumer's loop
    if (memo_ && memo_->count(&n))
      return memo_->at(&n);
    std::vector<Value *> xs;
    for (const Node *o : n.operands)
      xs.push_back(load(*o, index));
    Value *v = elementwise(*this, n.op, xs, n.type.dtype);
    if (memo_)
      (*memo_)[&n] = v;
    return v;
  }
  llvm::Type *t = elemType(n.type.dtype);
  Value *ptr = b_.CreateInBoundsGEP(t, buffer(canonical(n)), index);
  return b_.CreateAlignedLoad(t, ptr, llvm::Align(dtypeBytes(n.type.dtype)));
}

void FunctionEmitter::store(const Node &n, Value *base, Value *index, Value *v) {
  llvm::Type *t = elemType(n.type.dtype);
  Value *ptr = b_.CreateInBoundsGEP(t, base, index);
  b_.CreateAlignedStore(v, ptr, llvm::Align(dtypeBytes(n.type.dtype)));
}

Value *FunctionEmitter::product(const std::vector<int64_t> &dims) {
  Value *v = b_.getInt64(1);
  for (int64_t d : dims)
    v = b_.CreateMul(v, dimValue(d));
  return v;
}

/// Row-major strides of `from` (per-sample dims, maybe batched) seen from
/// the full index space of `to`: 0 where `from` is broadcast.
std::vector<Value *> FunctionEmitter::stridesWithin(const TensorType &from, const TensorType &to) {
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

Value *FunctionEmitter::linearIndex(const std::vector<Value *> &idx, const std::vector<Value *> &strides) {
  Value *sum = b_.getInt64(0);
  for (size_t k = 0; k < idx.size(); ++k)
    sum = b_.CreateAdd(sum, b_.CreateMul(idx[k], strides[k]));
  return sum;
}

std::vector<Value *> FunctionEmitter::extentsOf(const TensorType &t) {
  std::vector<Value *> e;
  for (int64_t d : fullDims(t))
    e.push_back(dimValue(d));
  return e;
}

/// for (i = 0; i < count; ++i) body(i)
void FunctionEmitter::loop(Value *count, const std::function<void(Value *)> &body,
          const char *name) {
  loopRange(b_.getInt64(0), count, body, name);
}

/// for (i = begin; i < end; ++i) body(i)
void FunctionEmitter::loopRange(Value *begin, Value *end, const std::function<void(Value *)> &body,
               const char *name) {
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

/// Nested loops over `extents`, calling body with all indices.
void FunctionEmitter::nest(const std::vector<Value *> &extents,
                           const std::function<void(const std::vector<Value *> &)> &body,
                           std::vector<Value *> indices) {
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

void FunctionEmitter::sampleNest(const TensorType &space,
                                 const std::function<void(const std::vector<Value *> &)> &body) {
  if (!space.batched)
    return nest(extentsOf(space), body);
  parallelLoop(batch_, space.elementsPerSample(),
               [&](Value *sample) { nest(extentsOf(space), body, {sample}); });
}

/// A stack slot in the entry block of the function being emitted (where
/// mem2reg turns it into registers).
Value *FunctionEmitter::entryAlloca(llvm::Type *t, const char *name) {
  llvm::IRBuilder<>::InsertPointGuard guard(b_);
  b_.SetInsertPoint(&fn_->getEntryBlock(), fn_->getEntryBlock().begin());
  return b_.CreateAlloca(t, nullptr, name);
}

void FunctionEmitter::emitNode(const Node &n) {
  if (n.op == OpKind::Scan) // no buffer: it writes its scan_result nodes' buffers
    return emitScan(*this, n);
  if (isInlineScalar(n) || fusion_.fused.count(&canonical(n)))
    return; // no buffer (a reshape of a matmul its GEMM's epilogue absorbed has none either)
  Value *out = bufferFor(n);
  buffers_[&n] = out;
  if (&canonical(n) != &n)
    return; // an alias: no code
  out->setName("v" + std::to_string(n.id));
  if (isLeaf(n.op))
    return;
  if (options_.profile)
    profileCall("nnrt_profile_enter", n);
  emitCode(n, out);
  if (options_.profile)
    profileCall("nnrt_profile_exit", n);
}

void FunctionEmitter::profileCall(const char *name, const Node &n) {
  llvm::FunctionCallee f = module_.getOrInsertFunction(
      name, llvm::FunctionType::get(b_.getVoidTy(), {b_.getInt32Ty()}, false));
  b_.CreateCall(f, {b_.getInt32(n.id + options_.profileIdBase)});
}

void FunctionEmitter::emitCode(const Node &n, Value *out) {
  auto epilogue = fusion_.epilogues.find(&n);
  if (epilogue != fusion_.epilogues.end())
    return emitMatMul(*this, *epilogue->second.matmul, n, out, &epilogue->second);
  switch (n.op) {
#define NNC_OP(Name, Printed, Operands, Kind, Flags)
#define NNC_UNARY_OP(Name, Printed, Flags) case OpKind::Name:
#define NNC_BINARY_OP(Name, Printed, Flags) case OpKind::Name:
#define NNC_TERNARY_OP(Name, Printed, Flags) case OpKind::Name:
#include "ir/Ops.def"
    return emitElementwise(*this, n);
  case OpKind::BroadcastTo:
    return emitBroadcast(*this, n, out);
  case OpKind::SumTo:
  case OpKind::MaxTo:
    return emitReduceTo(*this, n, out);
  case OpKind::MatMul:
    return emitMatMul(*this, n, n, out, nullptr);
  case OpKind::BatchMatMul:
    return emitBatchMatMul(*this, n, out);
  case OpKind::Transpose:
  case OpKind::Slice:
    return emitGather(*this, n, out);
  case OpKind::Pad:
    return emitPad(*this, n, out);
  case OpKind::Im2Col:
  case OpKind::Col2Im:
    return emitWindow(*this, n, out);
  case OpKind::MaxPool:
  case OpKind::MaxPoolGrad:
    return emitMaxPool(*this, n, out);
  case OpKind::OneHot:
    return emitOneHot(*this, n, out);
  case OpKind::Gather:
    return emitIndexSelect(*this, n, out);
  case OpKind::ArgMax:
  case OpKind::ArgMin:
    return emitArgReduce(*this, n, out);
  case OpKind::ScatterAdd:
    return emitScatterAdd(*this, n, out);
  case OpKind::SoftmaxCrossEntropy:
  case OpKind::SoftmaxCrossEntropyGrad:
    return emitSoftmaxCrossEntropy(*this, n);
  case OpKind::Softmax:
  case OpKind::SoftmaxGrad:
    return emitSoftmaxRows(*this, n);
  case OpKind::DropoutMask:
    return emitDropoutMask(*this, n, out);
  case OpKind::RandomNormal:
  case OpKind::RandomUniform:
    return emitRandom(*this, n, out);
  case OpKind::Cast:
    return emitCast(*this, n);
  case OpKind::Scan:       // emitNode emits it
  case OpKind::ScanResult: // written by its scan
  case OpKind::Reshape:    // an alias: emitNode never gets here
  case OpKind::Input: case OpKind::Param: case OpKind::Constant: case OpKind::BatchSize:
    return; // leaves need no code
  }
}

/// Writes node n's elements to `dest` (a result buffer or a state tensor).
void FunctionEmitter::copyOut(const Node &n, Value *dest) {
  loop(elementCount(n), [&](Value *i) { store(n, dest, i, load(n, i)); });
}

} // namespace nnc
