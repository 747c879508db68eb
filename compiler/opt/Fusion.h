//===- Fusion.h - which nodes need no buffer of their own --------*- C++ -*-===//
//
// An analysis of one entry's IR, run just before code generation (and by
// the fuzzer): an elementwise node read by exactly one elementwise node of
// the same element count is computed inside that consumer's loop, element
// by element, instead of being written to memory and read back (chains such
// as an optimizer's update or an activation's derivative become one loop);
// a bias add and ReLU after a matrix product are applied as the product's
// tiles are stored (the GEMM epilogue).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Program.h"

#include <functional>
#include <map>
#include <set>
#include <vector>

namespace nnc {

struct FusionInputs {
  /// The entry's nodes in topological order.
  const std::vector<const Node *> &nodes;
  /// Nodes that must be materialised (results, state updates).
  const std::set<const Node *> &outputs;
  /// The operands a node reads in this entry.
  std::function<std::vector<const Node *>(const Node &)> operands;
  /// The node whose buffer n reads (n itself unless n is an alias).
  std::function<const Node &(const Node &)> canonical;
};

/// The nodes to compute inline in their consumer.
std::set<const Node *> planElementwiseFusion(const FusionInputs &in);

/// Broadcasts that repeat their (unbatched) source along leading axes only,
/// e.g. a bias [C] over [B, H, W, C], read only by elementwise nodes: the
/// readers load source element (i mod C) instead of a materialised copy.
std::set<const Node *> planBroadcastInlining(const FusionInputs &in);

/// Nodes computed by the final update loops: elementwise state updates
/// (stateIndex, value) of unbatched tensors, with every elementwise node of
/// the same size that only they read. An update qualifies when nothing
/// else reads it, except other qualifying nodes. Returns the updates and
/// the nodes they absorb.
std::set<const Node *>
planUpdateLoops(const FusionInputs &in, const std::vector<std::pair<int, const Node *>> &updates);

/// A matmul whose only reader is `bias + product` (bias [N] repeated over
/// the product's rows), optionally followed by ReLU: the GEMM writes
/// relu?(acc + bias[j]) straight into the reader's buffer.
struct GemmEpilogue {
  const Node *matmul;
  const Node *bias; // the [N] tensor repeated by the broadcast
  bool relu;
};

/// Finds GEMM epilogues among the nodes not already fused away; adds the
/// matmuls (and an add that a ReLU absorbs) to `fused`, and may take an add
/// out of it so the GEMM can write it. Keyed by the node the GEMM writes.
std::map<const Node *, GemmEpilogue> planGemmEpilogues(const FusionInputs &in,
                                                       std::set<const Node *> &fused);

/// Matrix products at least this large (multiply-adds, rows) call the
/// packed GEMM kernel; smaller ones are loop nests (codegen/MatMulKernels.cpp).
constexpr int64_t kGemmMinWork = 1 << 15;
constexpr int64_t kGemmMinRows = 16;

/// Im2Col nodes whose windows are never written out (implicit GEMM): every
/// reader is a matrix product that takes the im2col matrix as A (or as
/// A transposed, a convolution's weight gradient) and calls the GEMM at any
/// batch, which packs A's blocks straight from the image. A tap's C
/// channels are one contiguous run of the image, so only images with
/// several channels qualify (a one-channel image would be packed an element
/// at a time).
std::set<const Node *> planImplicitIm2Col(const FusionInputs &in);

/// The operands whose values entry e needs (ModeSelect uses one of two).
std::vector<const Node *> entryOperands(const Entry &e, const Node &n);
/// The node whose buffer n reads: reshapes, stop-gradients and the
/// ModeSelect operand e uses only rename another node's elements.
const Node &canonicalNode(const Entry &e, const Node &n);

/// One entry's nodes and how they are fused.
struct EntryFusion {
  std::vector<const Node *> nodes;     // what the entry computes, in topological order
  std::set<const Node *> fused;        // no buffer: computed by a reader's loop or a GEMM
  std::set<const Node *> inUpdateLoop; // state updates written by the update loops
  std::map<const Node *, GemmEpilogue> epilogues;
  bool fuse = true; // whether the plans above were made (scan bodies are planned alike)
};
/// All the plans above for entry e (only `nodes` when fuse is false).
EntryFusion planEntryFusion(const Program &p, const Entry &e, bool fuse);

} // namespace nnc
