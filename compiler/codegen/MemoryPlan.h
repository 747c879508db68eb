//===- MemoryPlan.h - where each buffer of an entry lives --------*- C++ -*-===//
//
// Every value an entry computes into memory gets a slice of the workspace:
// liveness over the entry's kernel order, then the lowest offset that
// overlaps no buffer alive at the same time, largest buffers first.
// Unbatched buffers share a fixed region; batched ones a region whose
// offsets and sizes scale with the batch, so one plan holds for every batch
// size. Printed by `--emit=memory-plan`.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "opt/Fusion.h"

#include <cstdint>
#include <map>
#include <ostream>
#include <vector>

namespace nnc {

/// v rounded up to a multiple of a.
inline int64_t alignTo(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

/// Workspace bytes an entry needs: fixed + perSample * batch.
struct WorkspaceSize {
  int64_t fixed = 0, perSample = 0;
};

/// One buffer of the plan.
struct BufferSlot {
  const Node *node = nullptr;
  /// Batched: `offset` and `bytes` are per sample and count from the end of
  /// the planned fixed region, so the buffer starts at scanBlock.fixed + offset * B.
  bool batched = false;
  int64_t offset = 0, bytes = 0;
  /// Live range: positions in the entry's kernel order, from the node that
  /// writes it to its last reader (results and updates: `end`, where they
  /// are copied out).
  size_t from = 0, to = 0;
};

struct MemoryPlan {
  std::vector<BufferSlot> slots; // in kernel order
  std::map<const Node *, size_t> slotOf;
  size_t end = 0; // the position after the last kernel
  WorkspaceSize size;
  /// Where the scans' loop state starts (after every planned buffer: at
  /// fixed + perSample * B), shared by the entry's scans, which run one
  /// after another (ScanKernel.cpp).
  WorkspaceSize scanBlock;
};

/// Where a scan keeps its loop state, as (fixed, perSample) byte offsets
/// into the entry's scan block: two buffers per carry (read one, write the
/// other, swapped each step), the step's slice of each sequence, each
/// per-step result, and the body function's own workspace.
struct ScanLayout {
  struct Slot {
    int64_t fixed = 0, perSample = 0;
  };
  std::vector<Slot> carry[2], step, result; // result: the body's results after the carries
  Slot body;                                // the body's workspace
  WorkspaceSize bodySize, size;             // the body's workspace; the whole block
};
ScanLayout layoutScan(const Node &scan, bool training, bool fuse);

/// A node whose every element is one scalar known without a buffer (splat
/// constants, the batch size, dropout masks outside training, broadcasts of
/// those).
bool isInlineScalar(const Entry &e, const Node &n);
/// Whether `n` is computed into a workspace buffer of its own: not a leaf,
/// an alias, an inline scalar, a fused node or a scan (whose results have
/// the buffers).
bool needsBuffer(const Entry &e, const EntryFusion &fusion, const Node &n);

/// The plan for entry e after `fusion` (planEntryFusion).
MemoryPlan planMemory(const Entry &e, const EntryFusion &fusion);

/// Every entry's plan as text: each buffer's offset, size and live range.
void printMemoryPlan(const Program &p, bool fuse, std::ostream &os);

} // namespace nnc
