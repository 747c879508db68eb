//===- ScanCall.cpp - scan(cell, xs, init): a user's recurrence -----------===//
//
//   def cell(h, x) = tanh(x @ W + h @ U + b)
//   hs = scan(cell, xs, h0)              # [T, H] per sample: every new h
//   h_last = scan(cell, xs, h0, last: true, reverse: true)
//
// The cell is a def of two arguments, the carry and the step's slice of xs
// (xs is [T, ...] per sample; the cell sees [...]). Its body is lowered
// once, into the scan's body graph (ir/Scan.h): names from outside the
// cell (parameters, inputs, earlier values) become captures, and layers in
// it create their parameters once, shared by every step. The cell returns
// the new carry, shaped like the carry.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

#include <algorithm>

namespace nnc {

/// The innermost graph of the scans being lowered (or the model's) that
/// holds n, and n made visible to each body inside it in turn.
Node *Lowering::visible(Node *n) {
  auto holds = [&](Graph &g) {
    return std::any_of(g.nodes().begin(), g.nodes().end(),
                       [&](const std::unique_ptr<Node> &m) { return m.get() == n; });
  };
  size_t level = scans_.size();
  while (level > 0 && !holds(scans_[level - 1]->body()))
    --level;
  for (; level < scans_.size(); ++level) {
    Graph &body = scans_[level]->body();
    // Constants need no buffer shared with the outside: copy them in.
    if (n->op == OpKind::Constant || n->op == OpKind::BatchSize)
      n = cloneNode(body, *n, {});
    else if (n->op == OpKind::BroadcastTo && n->operands[0]->isSplatConstant())
      n = cloneNode(body, *n, {cloneNode(body, *n->operands[0], {})});
    else
      n = scans_[level]->capture(n);
  }
  return n;
}

Value Lowering::scan(const Expr &e) {
  Graph &g = graph();
  CallArgs a = bind(e, {"cell", "xs", "init", "reverse", "last"}, 3);
  const Expr *cellExpr = a.get("cell");
  if (cellExpr->kind != Expr::Kind::Name || !defs_.count(cellExpr->name) ||
      defs_.at(cellExpr->name)->params.size() != 2)
    diag_.fatal(cellExpr->loc, "'scan' takes the name of a def of two arguments (the carry "
                               "and the step), e.g. def cell(h, x) = tanh(x @ W + h @ U)");
  const Decl &cell = *defs_.at(cellExpr->name);
  Node *xs = tensorArg(a, "xs");
  if (xs->type.dims.empty() || xs->type.dtype == DType::I32)
    operandError(*a.get("xs"), "'scan' needs a float sequence [steps, ...] per sample, got " +
                                   xs->type.str());
  Node *init = tensorArg(a, "init");
  if (init->type.dtype != xs->type.dtype)
    operandError(*a.get("init"), std::string("'scan' init must be ") + dtypeName(xs->type.dtype) +
                                     " like the sequence, got " + init->type.str());
  auto flag = [&](const char *key) { return a.get(key) && scalarLiteral(*a.get(key), key) != 0; };
  TensorType carryType = init->type;
  carryType.batched = init->type.batched || xs->type.batched;

  ScanBuilder builder(xs->type.dims[0], flag("reverse"), currentLet_.empty() ? "scan" : currentLet_);
  Node *carry = builder.carry(g.fitTo(init, carryType));
  Node *step = builder.sequence(xs);
  std::map<std::string, Symbol> scope;
  scope[cell.params[0]] = Symbol{Value{carry, {}}, a.loc("init"), "argument"};
  scope[cell.params[1]] = Symbol{Value{step, {}}, a.loc("xs"), "argument"};
  scans_.push_back(&builder);
  SourceLoc locBefore = scanLoc_;
  scanLoc_ = e.loc;
  size_t updatesBefore = program_->bufferUpdates.size();
  Node *next = nullptr;
  try {
    Value v = expandDef(cell, cellExpr->name, e.loc, std::move(scope));
    next = materialize(v, carryType.dtype);
    if (program_->bufferUpdates.size() != updatesBefore)
      diag_.fatal(e.loc, "batchnorm inside a scan's cell is not supported");
    TensorType t = next->type;
    t.batched = carryType.batched;
    if (t != carryType)
      diag_.fatal(e.loc, "the cell '" + cellExpr->name + "' must return a value like its carry, " +
                             carryType.str() + ", got " + next->type.str());
    next = builder.body().fitTo(next, carryType);
  } catch (const CompileError &) {
    scans_.pop_back();
    scanLoc_ = locBefore;
    throw;
  }
  scans_.pop_back();
  scanLoc_ = locBefore;
  Node *loop = builder.finish(g, {next}, {next});
  return Value{flag("last") ? scanResult(g, loop, 0)
                            : scanResult(g, loop, loop->scan->stackedOutput(0)),
               {}};
}

} // namespace nnc
