//===- IRPrinter.cpp - the textual IR (`--emit=ir`, `--emit=ir-grad`) -----===//
//
//   %3 = matmul %2, %0 transB : f64[B, 2]   # W_h @ x
//
// Node ids are positions in the graph, so output is deterministic.
//===----------------------------------------------------------------------===//
#include "ir/Program.h"

#include <set>
#include <sstream>

namespace nnc {
namespace {

std::string formatValue(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

void printNode(const Node &n, std::ostream &os) {
  os << "  %" << n.id << " = " << opName(n.op);
  switch (n.op) {
  case OpKind::Input:
  case OpKind::Param:
    os << " @" << n.name;
    break;
  case OpKind::Constant:
    if (n.data.size() == 1) {
      os << ' ' << formatValue(n.data[0]);
    } else {
      os << " [";
      for (size_t i = 0; i < n.data.size() && i < 8; ++i)
        os << (i ? ", " : "") << formatValue(n.data[i]);
      os << (n.data.size() > 8 ? ", ...]" : "]");
    }
    break;
  default:
    for (size_t i = 0; i < n.operands.size(); ++i)
      os << (i ? ", %" : " %") << n.operands[i]->id;
    if (n.transA)
      os << " transA";
    if (n.transB)
      os << " transB";
    if (n.op == OpKind::Transpose || n.op == OpKind::Slice || n.op == OpKind::Pad) {
      os << (n.op == OpKind::Transpose ? " perm [" : " at [");
      for (size_t i = 0; i < n.ints.size(); ++i)
        os << (i ? ", " : "") << n.ints[i];
      os << ']';
    }
    if (n.op == OpKind::Im2Col || n.op == OpKind::Col2Im) {
      const Window &w = n.window;
      os << " window " << w.kh << 'x' << w.kw << " stride " << w.strideH << 'x' << w.strideW;
      if (w.dilationH != 1 || w.dilationW != 1)
        os << " dilation " << w.dilationH << 'x' << w.dilationW;
      os << " pad [" << w.padTop << ", " << w.padBottom << ", " << w.padLeft << ", "
         << w.padRight << ']';
      if (n.op == OpKind::Im2Col && n.scalar != 0)
        os << " fill " << formatValue(n.scalar);
    }
    if (n.op == OpKind::DropoutMask)
      os << " rate " << formatValue(n.scalar);
  }
  os << " : " << n.type.str();
  if (!n.name.empty() && n.op != OpKind::Input && n.op != OpKind::Param)
    os << "  # " << n.name;
  os << '\n';
}

/// Nodes reachable from an entry's results and updates, in graph order.
std::vector<Node *> reachable(const Program &p, const Entry &e) {
  std::vector<const Node *> roots(e.results.begin(), e.results.end());
  for (auto &u : e.updates)
    roots.push_back(u.second);
  return p.graph.reaching(roots);
}

} // namespace

void printProgram(const Program &p, std::ostream &os) {
  os << "model " << p.modelName << '\n';
  for (const Interface &in : p.inputs)
    os << (in.isTarget ? "target @" : "input @") << in.name << " : "
       << in.node->type.str() << '\n';
  for (const StateTensor &s : p.state) {
    const char *kind = s.kind == StateTensor::Kind::Param    ? "param"
                       : s.kind == StateTensor::Kind::Frozen ? "frozen"
                                                              : "state";
    os << kind << " @" << s.name << " : " << s.type.str() << '\n';
  }
  if (p.entries.empty()) {
    os << "graph {\n";
    for (auto &n : p.graph.nodes())
      printNode(*n, os);
    for (const Output &o : p.outputs)
      os << "  output @" << o.name << " = %" << o.node->id << '\n';
    if (p.loss)
      os << "  loss = %" << p.loss->id << '\n';
    os << "}\n";
    return;
  }
  for (const Entry &e : p.entries) {
    os << "func @" << e.name << '(';
    for (size_t i = 0; i < e.args.size(); ++i)
      os << (i ? ", @" : "@") << e.args[i]->name;
    os << ") {\n";
    for (const Node *n : reachable(p, e))
      printNode(*n, os);
    for (size_t i = 0; i < e.results.size(); ++i)
      os << "  return @" << e.resultNames[i] << " = %" << e.results[i]->id << '\n';
    for (auto &u : e.updates)
      os << "  update @" << p.state[u.first].name << " = %" << u.second->id << '\n';
    os << "}\n";
  }
}

} // namespace nnc
