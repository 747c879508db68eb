//===- FunctionEmitter.h - the state of one entry being emitted -*- C++ -*-===//
//
// Emits one entry function
//   i32 @PREFIX_entry_NAME(ptr state, ptr workspace, i64 batch, ptr args)
// as one loop nest per kernel. The emitter holds what every kernel shares:
// the builder, the function being emitted (the entry or a task outlined
// from it), where each node's elements are, and the loop builders. The
// kernels themselves are free functions by family (Kernels.h).
//
// Buffers: inputs come from the argument array, parameters from the state
// block, aliases (reshapes, mode selects) read their operand, splat
// constants are folded into the code that reads them, and every other node
// gets a workspace slice (MemoryPlan.h). Results are copied to the caller
// and updates written to the state only after everything is computed, so
// an update never feeds a later read.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/LLVMGen.h"
#include "codegen/MemoryPlan.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"

#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <string>
#include <vector>

namespace nnc {

class FunctionEmitter {
public:
  using Value = llvm::Value;

  FunctionEmitter(const Program &p, const Entry &entry, llvm::Module &module,
                  const StateLayout &layout, const CodegenOptions &options);

  /// Emits the entry function; returns its workspace.
  WorkspaceSize emit();
  /// The emitted function (after emit()).
  llvm::Function *emitted() const { return fn_; }
  /// Plans without emitting: kernel count and workspace (nnc info).
  EntryPlan plan();

  //===--- what kernels use ----------------------------------------------===//

  llvm::IRBuilder<> &builder() { return b_; }
  llvm::LLVMContext &context() { return ctx_; }
  llvm::Module &module() { return module_; }
  const Entry &entry() const { return entry_; }
  const CodegenOptions &options() const { return options_; }
  /// The function being emitted: the entry, or a task outlined from it.
  llvm::Function *function() const { return fn_; }
  /// The run-time batch size, as the function being emitted sees it.
  Value *batch() const { return batch_; }

  const Node &canonical(const Node &n) const { return canonicalNode(entry_, n); }
  bool isInlineScalar(const Node &n) const { return nnc::isInlineScalar(entry_, n); }
  Value *scalarValue(const Node &n);
  llvm::Constant *constantElement(DType dtype, double v);
  llvm::Type *elemType(DType t);
  /// Where n's elements are in the function being emitted: computed on
  /// first use, so a task function (parallelLoop) derives its own.
  Value *buffer(const Node &n);
  /// Element `index` of n: from its buffer, its inline scalar, or computed
  /// in place when n is fused into its reader.
  Value *load(const Node &n, Value *index);
  void store(const Node &n, Value *base, Value *index, Value *v);
  Value *elementCount(const Node &n);
  Value *dimValue(int64_t d) { return d == kBatchDim ? batch_ : b_.getInt64(d); }
  /// The product of dims (kBatchDim = B).
  Value *product(const std::vector<int64_t> &dims);
  Value *call(llvm::Intrinsic::ID id, Value *x) { return b_.CreateUnaryIntrinsic(id, x); }

  /// Row-major strides of `from` (per-sample dims, maybe batched) seen from
  /// the full index space of `to`: 0 where `from` is broadcast.
  std::vector<Value *> stridesWithin(const TensorType &from, const TensorType &to);
  /// Row-major strides of a full shape (batch first when batched).
  std::vector<Value *> rowMajorStrides(const TensorType &t) { return stridesWithin(t, t); }
  Value *linearIndex(const std::vector<Value *> &idx, const std::vector<Value *> &strides);
  std::vector<Value *> extentsOf(const TensorType &t);

  /// for (i = 0; i < count; ++i) body(i)
  void loop(Value *count, const std::function<void(Value *)> &body, const char *name = "i");
  /// for (i = begin; i < end; ++i) body(i)
  void loopRange(Value *begin, Value *end, const std::function<void(Value *)> &body,
                 const char *name = "i");
  /// Nested loops over `extents`, calling body with all indices.
  void nest(const std::vector<Value *> &extents,
            const std::function<void(const std::vector<Value *> &)> &body,
            std::vector<Value *> indices = {});
  /// nest() over the full index space of `space`; when it is batched the
  /// samples are split across the model's threads (parallelLoop), so the
  /// body must write only elements of its own sample and derive buffers
  /// with buffer() inside.
  void sampleNest(const TensorType &space,
                  const std::function<void(const std::vector<Value *> &)> &body);
  /// What the entry computes, in order, and its memory plan (scans).
  const EntryFusion &fusion() const { return fusion_; }
  const MemoryPlan &memory() const { return memory_; }
  const Program &program() const { return p_; }
  const StateLayout &stateLayout() const { return layout_; }
  /// The state block and the workspace address `fixed + perSample x batch`.
  Value *stateBase() const { return state_; }
  Value *workspaceAt(int64_t fixed, int64_t perSample) { return placedBuffer(false, fixed, perSample); }

  /// A stack slot in the entry block of the function being emitted (where
  /// mem2reg turns it into registers).
  Value *entryAlloca(llvm::Type *t, const char *name = "");

  /// body(i) for i in [0, count) on the model's threads when it pays
  /// (Outline.cpp); iterations must be independent.
  void parallelLoop(Value *count, int64_t costPerIteration,
                    const std::function<void(Value *)> &body);
  /// Elements touched below which a loop runs on the calling thread alone.
  static constexpr int64_t kParallelMinWork = 1 << 16;

private:
  void planFusion();
  Value *loadArgPointer(size_t index);
  Value *statePointer(int index);
  Value *constantData(const Node &n);
  /// Computes where node n's elements live (called in topological order).
  Value *bufferFor(const Node &n);
  void emitNode(const Node &n);
  /// The kernel of one node: a dispatch over the op table to Kernels.h.
  void emitCode(const Node &n, Value *out);
  void profileCall(const char *name, const Node &n);
  void emitUpdateLoops();
  /// Writes node n's elements to `dest` (a result buffer or a state tensor).
  void copyOut(const Node &n, Value *dest);
  /// void task(ctx, begin, end, scratch) { for i in [begin, end): body(i) }
  llvm::Function *emitTask(const std::function<void(Value *)> &body);
  llvm::StructType *taskContextType();
  Value *placedBuffer(bool inState, int64_t fixed, int64_t perSample);
  /// The buffers a task's body uses, in order of first use (emitTask).
  struct TaskBuffers {
    struct Place {
      bool inState;
      int64_t fixed, perSample;
      bool operator<(const Place &o) const {
        return std::tie(inState, fixed, perSample) < std::tie(o.inState, o.fixed, o.perSample);
      }
    };
    std::vector<Place> places;
    std::vector<llvm::Instruction *> placeholders;
    std::map<Place, size_t> index;
  };

  const Program &p_;
  const Entry &entry_;
  llvm::Module &module_;
  llvm::LLVMContext &ctx_;
  llvm::IRBuilder<> b_;
  const StateLayout &layout_;
  CodegenOptions options_;
  EntryFusion fusion_;
  MemoryPlan memory_;
  /// While emitting an update loop: the values already computed for the
  /// current element.
  std::map<const Node *, Value *> *memo_ = nullptr;
  llvm::Function *fn_ = nullptr;
  Value *state_ = nullptr, *workspace_ = nullptr, *batch_ = nullptr, *args_ = nullptr;
  std::map<const Node *, Value *> buffers_;
  int loopsCreated_ = 0;
  /// The entry's arguments, for task functions (parallelLoop).
  Value *taskContext_ = nullptr;
  /// While emitting a task: the buffers its body uses so far.
  TaskBuffers *taskBuffers_ = nullptr;
  std::map<const Node *, Value *> constants_;
};

} // namespace nnc
