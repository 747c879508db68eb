//===- IRPrinter.cpp - the textual IR (`--emit=ir`, `--emit=ir-grad`) -----===//
//
//   %3 = matmul %2, %0 transB : f64[B, 2]   # W_h @ x
//
// Node ids are positions in the graph, so output is deterministic.
//===----------------------------------------------------------------------===//
#include "ir/Scan.h"

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

void printInts(const char *label, const std::vector<int64_t> &ints, std::ostream &os) {
  os << label << " [";
  for (size_t i = 0; i < ints.size(); ++i)
    os << (i ? ", " : "") << ints[i];
  os << ']';
}

void printWindow(const Node &n, std::ostream &os) {
  const Window &w = n.window;
  os << " window " << w.kh << 'x' << w.kw << " stride " << w.strideH << 'x' << w.strideW;
  if (w.dilationH != 1 || w.dilationW != 1)
    os << " dilation " << w.dilationH << 'x' << w.dilationW;
  os << " pad [" << w.padTop << ", " << w.padBottom << ", " << w.padLeft << ", " << w.padRight
     << ']';
}

/// What a node carries besides its operands (one case per op of Ops.def).
void printAttributes(const Node &n, std::ostream &os) {
  switch (n.op) {
  case OpKind::MatMul:
  case OpKind::BatchMatMul:
    if (n.transA)
      os << " transA";
    if (n.transB)
      os << " transB";
    return;
  case OpKind::Transpose: return printInts(" perm", n.ints, os);
  case OpKind::Slice:
  case OpKind::Pad: return printInts(" at", n.ints, os);
  case OpKind::Im2Col:
    printWindow(n, os);
    if (n.scalar != 0)
      os << " fill " << formatValue(n.scalar);
    return;
  case OpKind::Col2Im: case OpKind::MaxPool: case OpKind::MaxPoolGrad: return printWindow(n, os);
  case OpKind::Gather:
  case OpKind::ScatterAdd:
  case OpKind::ArgMax:
  case OpKind::ArgMin:
    os << " axis " << n.ints[0];
    return;
  case OpKind::DropoutMask:
    os << " rate " << formatValue(n.scalar);
    return;
  case OpKind::RandomNormal:
    os << " mean " << formatValue(n.data[0]) << " std " << formatValue(n.data[1]);
    return;
  case OpKind::RandomUniform:
    os << " low " << formatValue(n.data[0]) << " high " << formatValue(n.data[1]);
    return;
  case OpKind::Scan:
    os << " steps " << n.scan->length << (n.scan->reverse ? " reverse" : "") << " carries "
       << n.scan->carries << " sequences " << n.scan->sequences << " captures "
       << n.scan->captures;
    return;
  case OpKind::ScanResult:
    os << " #" << n.ints[0];
    return;
  // The type says everything else.
  case OpKind::BroadcastTo: case OpKind::SumTo: case OpKind::Reshape: case OpKind::MaxTo:
  case OpKind::OneHot: case OpKind::Cast:
  case OpKind::SoftmaxCrossEntropy: case OpKind::SoftmaxCrossEntropyGrad:
  case OpKind::Softmax: case OpKind::SoftmaxGrad:
  case OpKind::Input: case OpKind::Param: case OpKind::Constant: case OpKind::BatchSize:
    return;
#define NNC_OP(Name, Printed, Operands, Kind, Flags)
#define NNC_UNARY_OP(Name, Printed, Flags) case OpKind::Name:
#define NNC_BINARY_OP(Name, Printed, Flags) case OpKind::Name:
#define NNC_TERNARY_OP(Name, Printed, Flags) case OpKind::Name:
#include "ir/Ops.def"
    return; // elementwise ops have none
  }
}

void printEntry(const Program &p, const Entry &e, std::ostream &os, const std::string &indent);

void printNode(const Node &n, std::ostream &os, const std::string &indent) {
  os << indent << "  %" << n.id << " = " << opName(n.op);
  if (hasFlag(n.op, kBound)) {
    os << " @" << n.name;
  } else if (n.op == OpKind::Constant) {
    if (n.data.size() == 1) {
      os << ' ' << formatValue(n.data[0]);
    } else {
      os << " [";
      for (size_t i = 0; i < n.data.size() && i < 8; ++i)
        os << (i ? ", " : "") << formatValue(n.data[i]);
      os << (n.data.size() > 8 ? ", ...]" : "]");
    }
  } else {
    for (size_t i = 0; i < n.operands.size(); ++i)
      os << (i ? ", %" : " %") << n.operands[i]->id;
  }
  printAttributes(n, os);
  os << " : " << n.type.str();
  if (!n.name.empty() && !hasFlag(n.op, kBound))
    os << "  # " << n.name;
  os << '\n';
  if (n.op == OpKind::Scan) // the body, indented under its scan
    printEntry(n.scan->program, n.scan->entry(), os, indent + "    ");
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
      printNode(*n, os, "");
    for (const Output &o : p.outputs)
      os << "  output @" << o.name << " = %" << o.node->id << '\n';
    if (p.loss)
      os << "  loss = %" << p.loss->id << '\n';
    os << "}\n";
    return;
  }
  for (const Entry &e : p.entries)
    printEntry(p, e, os, "");
}

namespace {

void printEntry(const Program &p, const Entry &e, std::ostream &os, const std::string &indent) {
  os << indent << "func @" << e.name << '(';
  for (size_t i = 0; i < e.args.size(); ++i)
    os << (i ? ", @" : "@") << e.args[i]->name;
  os << ") {\n";
  for (const Node *n : reachable(p, e))
    printNode(*n, os, indent);
  for (size_t i = 0; i < e.results.size(); ++i)
    os << indent << "  return @" << e.resultNames[i] << " = %" << e.results[i]->id << '\n';
  for (auto &u : e.updates)
    os << indent << "  update @" << p.state[u.first].name << " = %" << u.second->id << '\n';
  os << indent << "}\n";
}

} // namespace

} // namespace nnc
