//===- ScanKernel.cpp - a scan: one body function, one loop over the steps ===//
//
// The body is emitted once, as an entry-like function of its own
//   i32 @PREFIX_entry_ENTRY.scanN(ptr state, ptr workspace, i64 batch, ptr args)
// with its own memory plan, fusion and thread-pool tasks; its arguments are
// the carries, the step's slices and the captures, its results the new
// carries and the step's outputs (ir/Scan.h). The scan's loop, in the
// calling function, copies each sequence's step t into a slice buffer,
// calls the body with the carries it read last step and a buffer for the
// ones it writes (two per carry, swapped each step), and copies the step's
// outputs into the stacked results. So the code is the same size for any
// number of steps, and the loop state lives in the caller's workspace
// (MemoryPlan::scanBlock): nothing is allocated per step.
//
//===----------------------------------------------------------------------===//
#include "codegen/Kernels.h"
#include "ir/Scan.h"

#include "llvm/IR/Module.h"

#include <stdexcept>

namespace nnc {

using llvm::Value;

ScanLayout layoutScan(const Node &scan, bool training, bool fuse) {
  const ScanBody &s = *scan.scan;
  Entry entry = s.entry();
  entry.training = training;
  ScanLayout layout;
  layout.bodySize = planMemory(entry, planEntryFusion(s.program, entry, fuse)).size;
  // Unbatched slots first, then the body's workspace, then the batched
  // slots (per sample, after the body's).
  int64_t fixed = 0, perSample = 0;
  std::vector<ScanLayout::Slot *> batched;
  auto place = [&](const TensorType &t, ScanLayout::Slot &slot) {
    int64_t bytes = alignTo(t.elementsPerSample() * dtypeBytes(t.dtype), 8);
    if (t.batched) {
      slot.perSample = perSample;
      perSample += bytes;
      batched.push_back(&slot);
    } else {
      slot.fixed = fixed;
      fixed += bytes;
    }
  };
  const Entry &body = s.entry();
  for (int copy = 0; copy < 2; ++copy) {
    layout.carry[copy].resize(s.carries);
    for (size_t k = 0; k < s.carries; ++k)
      place(body.args[k]->type, layout.carry[copy][k]);
  }
  layout.step.resize(s.sequences);
  for (size_t j = 0; j < s.sequences; ++j)
    place(body.args[s.carries + j]->type, layout.step[j]);
  layout.result.resize(body.results.size() - s.carries);
  for (size_t r = 0; r < layout.result.size(); ++r)
    place(body.results[s.carries + r]->type, layout.result[r]);
  fixed = alignTo(fixed, 64);
  layout.body = {fixed, 0};
  for (ScanLayout::Slot *slot : batched) {
    slot->fixed = fixed + layout.bodySize.fixed;
    slot->perSample += layout.bodySize.perSample;
  }
  layout.size = {fixed + layout.bodySize.fixed, layout.bodySize.perSample + perSample};
  return layout;
}

void emitScan(FunctionEmitter &em, const Node &scan) {
  const ScanBody &s = *scan.scan;
  llvm::IRBuilder<> &b = em.builder();
  const Entry &body = s.entry();
  ScanLayout layout = layoutScan(scan, em.entry().training, em.options().fusion);
  const WorkspaceSize &block = em.memory().scanBlock;
  auto at = [&](const ScanLayout::Slot &slot) {
    return em.workspaceAt(block.fixed + slot.fixed, block.perSample + slot.perSample);
  };

  Entry entry = body;
  entry.training = em.entry().training;
  entry.name = em.entry().name + ".scan" + std::to_string(scan.id);
  CodegenOptions options = em.options();
  if (options.profile) { // the body's nodes get profile ids of their own
    if (scan.scan->profileBase < 0) {
      scan.scan->profileBase = *options.profileIds;
      *options.profileIds += s.program.graph.idBound();
    }
    options.profileIdBase = scan.scan->profileBase;
  }
  FunctionEmitter bodyEmitter(s.program, entry, em.module(), em.stateLayout(), options);
  bodyEmitter.emit();
  llvm::Function *bodyFn = bodyEmitter.emitted();

  // The body's argument array: carries, slices, captures, then its results.
  size_t nc = s.carries, ns = s.sequences, nargs = body.args.size();
  auto *ptrTy = b.getPtrTy();
  Value *args = em.entryAlloca(llvm::ArrayType::get(ptrTy, nargs + body.results.size()), "scan.args");
  auto setArg = [&](size_t i, Value *p) {
    b.CreateAlignedStore(p, b.CreateConstInBoundsGEP1_64(ptrTy, args, i), llvm::Align(8));
  };
  for (size_t k = 0; k < nc; ++k) {
    const Node &init = *scan.operands[k];
    Value *dest = at(layout.carry[0][k]);
    em.loop(em.elementCount(init), [&](Value *i) { em.store(init, dest, i, em.load(init, i)); });
  }
  for (size_t j = 0; j < ns; ++j)
    setArg(nc + j, at(layout.step[j]));
  for (size_t w = 0; w < s.captures; ++w) {
    const Node &capture = *scan.operands[nc + ns + w];
    if (em.isInlineScalar(capture))
      throw std::logic_error("a scan captures a value without a buffer");
    setArg(nc + ns + w, em.buffer(capture));
  }
  for (size_t r = 0; r < layout.result.size(); ++r)
    setArg(nargs + nc + r, at(layout.result[r]));
  std::vector<const Node *> wanted; // this entry's scan_result nodes of this scan
  for (const Node *n : em.fusion().nodes)
    if (n->op == OpKind::ScanResult && n->operands[0] == &scan) {
      wanted.push_back(n);
      em.buffer(*n); // addressed here, outside the loop that writes it
    }

  // Step t of a [T, E] per-sample sequence <-> a [E] per-sample slice.
  auto stepCopy = [&](const TensorType &step, Value *t, bool toStep,
                      const std::function<Value *(Value *)> &read,
                      const std::function<void(Value *, Value *)> &write) {
    Value *E = b.getInt64(step.elementsPerSample());
    auto copy = [&](Value *sample) {
      em.loop(E, [&](Value *e) {
        Value *inStep = b.CreateAdd(b.CreateMul(sample, E), e);
        Value *inSeq = b.CreateAdd(
            b.CreateMul(b.CreateAdd(b.CreateMul(sample, b.getInt64(s.length)), t), E), e);
        write(toStep ? inStep : inSeq, read(toStep ? inSeq : inStep));
      });
    };
    if (step.batched)
      em.loop(em.batch(), copy, "sample");
    else
      copy(b.getInt64(0));
  };
  auto loadFrom = [&](Value *base, DType t, Value *i) {
    llvm::Type *ty = em.elemType(t);
    return b.CreateAlignedLoad(ty, b.CreateInBoundsGEP(ty, base, i), llvm::Align(dtypeBytes(t)));
  };

  em.loop(b.getInt64(s.length), [&](Value *step) {
    Value *t = s.reverse ? b.CreateSub(b.getInt64(s.length - 1), step) : step;
    Value *odd = b.CreateTrunc(step, b.getInt1Ty());
    for (size_t k = 0; k < nc; ++k) {
      Value *even = at(layout.carry[0][k]), *other = at(layout.carry[1][k]);
      setArg(k, b.CreateSelect(odd, other, even));
      setArg(nargs + k, b.CreateSelect(odd, even, other));
    }
    for (size_t j = 0; j < ns; ++j) {
      const Node &xs = *scan.operands[nc + j];
      const Node &slice = *body.args[nc + j];
      Value *dest = at(layout.step[j]);
      stepCopy(slice.type, t, true, [&](Value *i) { return em.load(xs, i); },
               [&](Value *i, Value *v) { em.store(slice, dest, i, v); });
    }
    b.CreateCall(bodyFn, {em.stateBase(), at(layout.body), em.batch(), args});
    for (const Node *r : wanted) {
      size_t k = static_cast<size_t>(r->ints[0]);
      if (k < nc)
        continue;
      const Node &out = *body.results[k];
      Value *src = at(layout.result[k - nc]), *dest = em.buffer(*r);
      stepCopy(out.type, t, false, [&](Value *i) { return loadFrom(src, out.type.dtype, i); },
               [&](Value *i, Value *v) { em.store(*r, dest, i, v); });
    }
  }, "step");

  // After T steps the last carries written are in copy T mod 2.
  for (const Node *r : wanted) {
    size_t k = static_cast<size_t>(r->ints[0]);
    if (k >= nc)
      continue;
    Value *src = at(layout.carry[s.length % 2][k]), *dest = em.buffer(*r);
    em.loop(em.elementCount(*r), [&](Value *i) {
      em.store(*r, dest, i, loadFrom(src, r->type.dtype, i));
    });
  }
}

} // namespace nnc
