//===- Passes.h - IR -> IR simplification after autodiff -------*- C++ -*-===//
//
// Each pass rewrites a Program's graph in place and keeps its invariants:
// operands precede users (rewrites mutate a node where it stands or point
// users at an earlier node), node ids never change (dropout masks and the
// profiler key on them), and every reference the Program holds (entries,
// outputs, loss, metrics, named values) follows a replaced node. They run
// after buildEntries, so gradients and optimizer updates are simplified too.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Program.h"

#include <map>
#include <string>

namespace nnc {

/// How many nodes each pass changed, for `nnc info` and the tests.
struct SimplifyStats {
  int folded = 0;     // nodes replaced by constants
  int simplified = 0; // algebraic identities applied
  int merged = 0;     // duplicates replaced by an equal earlier node
  int removed = 0;    // dead nodes erased
  int nodesBefore = 0, nodesAfter = 0;
  std::string str() const;
};

/// Elementwise ops, reshapes, broadcasts of splats and casts whose operands
/// are all constants become constants (only ops whose f64 evaluation rounds
/// to exactly what the f32 kernel computes).
int foldConstants(Program &p);
/// x*1, x/1, x+0, x-0, -(-x), transpose of transpose, reshape chains,
/// identity reshape/broadcast/cast, stop_gradient after autodiff, and a
/// transposed 2-D matrix feeding a matmul becomes the matmul's flag.
int simplifyAlgebra(Program &p);
/// Nodes with the same op, type, attributes and operands are computed once.
int eliminateCommonSubexpressions(Program &p);
/// Erases nodes that no entry, output, loss, metric or named value reads
/// (e.g. adjoints nobody uses), keeping inputs and state.
int eliminateDeadCode(Program &p);

/// All of the above, to a fixed point (the driver skips it for
/// NNC_SIMPLIFY=0).
SimplifyStats simplifyProgram(Program &p);

/// Points every use of a key (operands and the Program's references) at its
/// value. Values must precede the users of their keys.
void replaceAllUses(Program &p, const std::map<const Node *, Node *> &with);

} // namespace nnc
