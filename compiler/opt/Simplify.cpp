//===- Simplify.cpp - the simplification pipeline -------------------------===//
#include "opt/Passes.h"

#include <sstream>

namespace nnc {

SimplifyStats simplifyProgram(Program &p) {
  SimplifyStats stats;
  stats.nodesBefore = static_cast<int>(p.graph.nodes().size());
  // Each pass can expose work for another (a fold makes x*1, a merge makes
  // transpose(transpose)); a handful of rounds reach the fixed point. DCE
  // runs every round so that replaced nodes are not counted again.
  for (int round = 0; round < 8; ++round) {
    int folded = foldConstants(p);
    int simplified = simplifyAlgebra(p);
    int merged = eliminateCommonSubexpressions(p);
    stats.removed += eliminateDeadCode(p);
    stats.folded += folded;
    stats.simplified += simplified;
    stats.merged += merged;
    if (folded + simplified + merged == 0)
      break;
  }
  stats.nodesAfter = static_cast<int>(p.graph.nodes().size());
  return stats;
}

std::string SimplifyStats::str() const {
  std::ostringstream os;
  os << nodesBefore << " nodes -> " << nodesAfter << " (" << folded << " folded, " << simplified
     << " simplified, " << merged << " merged, " << removed << " dead removed)";
  return os.str();
}

} // namespace nnc
