//===- Expressions.cpp - sema: names, operators, `@`, indexing ------------===//
#include "sema/Lowering.h"

#include "support/Json.h"
#include "support/Suggest.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace nnc {

Value Lowering::lookup(const std::string &name, SourceLoc loc) {
  auto seen = [&](Value v) { // inside a scan's cell, outer values are captures
    if (!v.isLiteral())
      v.node = visible(v.node);
    return v;
  };
  for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
    auto it = scope->find(name);
    if (it != scope->end())
      return seen(it->second.value);
  }
  auto it = symbols_.find(name);
  if (it != symbols_.end()) {
    used_.insert(name);
    return seen(it->second.value);
  }
  if (literals_.count(name))
    return Value{nullptr, literals_[name]};
  if (poisoned_.count(name))
    throw CompileError{};
  if (defs_.count(name))
    diag_.fatal(loc, "'" + name + "' is a function; call it with arguments");
  diag_.fatal(loc, "unknown name '" + name + "'" + suggestion(name));
}

/// `; did you mean 'x'?` for the closest known name, if close enough.
std::string Lowering::suggestion(const std::string &name) {
  std::vector<std::string> names;
  for (auto &scope : scopes_)
    for (auto &entry : scope)
      names.push_back(entry.first);
  for (auto &entry : symbols_)
    names.push_back(entry.first);
  return didYouMean(name, names);
}

std::map<std::string, Literal> Lowering::literalEnv() const {
  if (scopes_.empty())
    return literals_;
  std::map<std::string, Literal> env = literals_;
  for (const auto &scope : scopes_)
    for (const auto &entry : scope) {
      env.erase(entry.first);
      if (entry.second.value.isLiteral())
        env[entry.first] = entry.second.value.literal;
    }
  return env;
}

Value Lowering::expr(const Expr &e) {
  if (auto it = substitutes_.find(&e); it != substitutes_.end())
    return it->second;
  if (e.kind != Expr::Kind::Name || scopes_.empty()) {
    std::map<std::string, Literal> env = literalEnv();
    if (isLiteralExpr(e, env))
      return Value{nullptr, evalLiteral(e, env, diag_)};
  }
  switch (e.kind) {
  case Expr::Kind::Number:
    return Value{nullptr, Literal{{}, {e.number}}};
  case Expr::Kind::Name:
    if (e.quoted)
      diag_.fatal(e.loc, "a quoted name is only allowed as a 'name:' argument");
    return lookup(e.name, e.loc);
  case Expr::Kind::Neg: {
    Value v = expr(*e.operands[0]);
    if (v.isLiteral()) {
      for (double &x : v.literal.data)
        x = -x;
      return v;
    }
    if (v.node->type.dtype == DType::I32)
      diag_.fatal(e.loc, "class labels are not numbers to compute with; use cast(label, f32) "
                         "for the class number");
    return Value{graph().unary(OpKind::Neg, v.node), {}};
  }
  case Expr::Kind::Binary:
  case Expr::Kind::Call: {
    size_t before = graph().nodes().size();
    Value v = e.kind == Expr::Kind::Call ? call(e) : binary(e);
    checkSizes(before, e);
    return v;
  }
  case Expr::Kind::Index:
    return index(e);
  case Expr::Kind::Array:
    if (isLiteralExpr(e, literals_))
      return Value{nullptr, evalLiteral(e, literals_, diag_)};
    diag_.fatal(e.loc, "array literals may only contain constants");
  }
  diag_.fatal(e.loc, "unexpected expression");
}

/// Every tensor the expression created (a layer's weight, im2col's columns,
/// a broadcast) must fit the 2^32-element limit, so that nothing later
/// computes with sizes that overflow or allocates terabytes.
void Lowering::checkSizes(size_t firstNode, const Expr &e) {
  const auto &nodes = graph().nodes();
  for (size_t i = firstNode; i < nodes.size(); ++i) {
    const TensorType &t = nodes[i]->type;
    int64_t count = 1;
    for (int64_t d : t.dims) {
      if (d > 0 && count > kMaxElements / d) {
        diag_.fatal(e.loc, (e.kind == Expr::Kind::Call ? "'" + e.name + "'" : std::string("this")) +
                               " creates a tensor of shape " + t.shapeStr() +
                               ", more than 2^32 elements per sample");
      }
      count *= d;
    }
  }
}

Node *Lowering::materialize(const Value &v, DType dtype) {
  if (!v.isLiteral())
    return v.node;
  return graph().constant(dtype, v.literal.dims, v.literal.data);
}

Value Lowering::binary(const Expr &e) {
  Value a = expr(*e.operands[0]), b = expr(*e.operands[1]);
  if (a.isLiteral() && b.isLiteral()) {
    // Both constant inside a def body (names of the def's numbers): fold.
    std::map<std::string, Literal> env = {{"a", a.literal}, {"b", b.literal}};
    Expr folded(Expr::Kind::Binary, e.loc);
    folded.op = e.op;
    folded.operands.push_back(std::make_unique<Expr>(Expr::Kind::Name, e.loc));
    folded.operands.back()->name = "a";
    folded.operands.push_back(std::make_unique<Expr>(Expr::Kind::Name, e.loc));
    folded.operands.back()->name = "b";
    return Value{nullptr, evalLiteral(folded, env, diag_)};
  }
  DType dt = a.isLiteral() ? b.node->type.dtype : a.node->type.dtype;
  if (dt == DType::I32 && (e.op == "==" || e.op == "!=")) {
    // Class indices compared (argmax(z) == label): 0/1 as numbers, so a
    // metric can average them; i32 -> float is exact below 2^24 classes.
    DType ft = options_.forceF64 ? DType::F64 : DType::F32;
    auto number = [&](const Value &v) {
      if (!v.isLiteral() && v.node->type.dtype != DType::I32)
        diag_.fatal(e.loc, "'" + e.op + "' compares class indices with class indices, not with " +
                               v.node->type.str());
      return v.isLiteral() ? materialize(v, ft) : graph().cast(v.node, ft);
    };
    Node *x = number(a), *y = number(b);
    return Value{arith(e.op, x, y, e.loc), {}};
  }
  if (dt == DType::I32)
    diag_.fatal(e.loc, "class labels are not numbers to compute with; use "
                       "one_hot(label, N), cross_entropy, or cast(label, f32) for the class number");
  Node *x = materialize(a, dt), *y = materialize(b, dt);
  // A one-hot vector holds exact 0s and 1s: like a literal, it takes the
  // element type of the tensor it meets.
  if (x->op == OpKind::OneHot && x->type.dtype != y->type.dtype && y->type.dtype != DType::I32)
    x = graph().oneHot(x->operands[0], x->type.dims.back(), y->type.dtype);
  else if (y->op == OpKind::OneHot && x->type.dtype != y->type.dtype && x->type.dtype != DType::I32)
    y = graph().oneHot(y->operands[0], y->type.dims.back(), x->type.dtype);
  unsigned errorsBefore = diag_.errorCount();
  try {
    if (x->type.dtype != y->type.dtype)
      diag_.fatal(e.loc, std::string("element types differ: ") + x->type.str() + " " + e.op +
                             " " + y->type.str() + " (no implicit conversion)");
    if (e.op == "@")
      return Value{matmul(x, y, e.loc), {}};
    return Value{arith(e.op, x, y, e.loc), {}};
  } catch (const CompileError &) {
    // Point at where the operands' types came from.
    if (diag_.errorCount() > errorsBefore) {
      noteDeclared(*e.operands[0]);
      noteDeclared(*e.operands[1]);
    }
    throw;
  }
}

/// `note: 'x' declared here with type f32[28, 28, 1]` for an operand that
/// is a plain name of a tensor.
void Lowering::noteDeclared(const Expr &operand) {
  if (operand.kind != Expr::Kind::Name)
    return;
  const Symbol *sym = nullptr;
  for (auto scope = scopes_.rbegin(); scope != scopes_.rend() && !sym; ++scope)
    if (scope->count(operand.name))
      sym = &scope->at(operand.name);
  if (!sym && symbols_.count(operand.name))
    sym = &symbols_.at(operand.name);
  if (!sym || sym->value.isLiteral() || !sym->loc.valid())
    return;
  const TensorType &t = sym->value.node->type;
  diag_.note(sym->loc, "'" + operand.name + "' declared here with shape " + t.shapeStr() +
                           (t.dtype == DType::F64 ? " (f64)" : t.dtype == DType::I32 ? " (class label)" : ""));
}

/// x OP y with numpy broadcasting of the per-sample shapes.
Node *Lowering::arith(const std::string &op, Node *x, Node *y, SourceLoc loc) {
  TensorType t;
  if (!broadcastTypes(x->type, y->type, t))
    diag_.fatal(loc, std::string("shapes ") + x->type.shapeStr() + " and " +
                         y->type.shapeStr() + " cannot be broadcast for '" + op + "'");
  x = graph().fitTo(x, t);
  y = graph().fitTo(y, t);
  static const std::map<std::string, OpKind> ops = {
      {"+", OpKind::Add},  {"-", OpKind::Sub},       {"*", OpKind::Mul},
      {"/", OpKind::Div},  {"^", OpKind::Pow},       {"<", OpKind::Less},
      {"<=", OpKind::LessEqual}, {">", OpKind::Greater}, {">=", OpKind::GreaterEqual},
      {"==", OpKind::Equal}, {"!=", OpKind::NotEqual}};
  return graph().binary(ops.at(op), x, y);
}

/// `@` on per-sample shapes: matrix @ vector, vector @ matrix, matrix @
/// matrix, vector @ vector. The batch dimension joins the rows of a 2-D
/// product, so W @ x over a batch is one GEMM.
Node *Lowering::matmul(Node *a, Node *b, SourceLoc loc) {
  const TensorType &ta = a->type, &tb = b->type;
  size_t ra = ta.dims.size(), rb = tb.dims.size();
  auto mismatch = [&]() {
    diag_.fatal(loc, "matmul dimensions do not match: " + ta.shapeStr() + " @ " + tb.shapeStr());
  };
  if (ra == 0 || rb == 0)
    diag_.fatal(loc, "'@' needs vectors, matrices or stacks of matrices, got " + ta.shapeStr() +
                         " @ " + tb.shapeStr());
  if (ra > 2 || rb > 2 || (ta.batched && tb.batched && (ra == 2 || rb == 2)))
    return stackedMatmul(a, b, loc);
  Graph &g = graph();
  if (ra == 1 && rb == 1) {
    if (ta.dims != tb.dims)
      mismatch();
    TensorType t;
    broadcastTypes(ta, tb, t);
    Node *prod = g.binary(OpKind::Mul, g.fitTo(a, t), g.fitTo(b, t));
    t.dims.clear();
    return g.sumTo(prod, t);
  }
  if (ra == 2 && rb == 1) {
    if (ta.dims[1] != tb.dims[0])
      mismatch();
    if (tb.batched)
      return g.matmul(b, a, false, true); // [B,k] x [m,k]^T
    Node *col = g.reshape(b, {tb.dims[0], 1});
    return g.reshape(g.matmul(a, col, false, false), {ta.dims[0]});
  }
  if (ra == 1 && rb == 2) {
    if (ta.dims[0] != tb.dims[0])
      mismatch();
    if (ta.batched)
      return g.matmul(a, b, false, false); // [B,k] x [k,n]
    Node *row = g.reshape(a, {1, ta.dims[0]});
    return g.reshape(g.matmul(row, b, false, false), {tb.dims[1]});
  }
  if (ta.dims[1] != tb.dims[0])
    mismatch();
  if (tb.batched) {
    // W @ X with X per sample: (X^T @ W^T)^T, so the batch leads the rows.
    Node *xt = g.transpose(b, {1, 0});
    return g.transpose(g.matmul(xt, a, false, true), {1, 0});
  }
  return g.matmul(a, b, false, false); // rows of a batched A join the batch
}

/// torch.matmul's stacks: [..., M, K] @ [..., K, N] with the leading dims
/// broadcast (numpy rules), a vector operand promoted to a one-row (one-
/// column) matrix and that axis dropped again; one GEMM per matrix.
Node *Lowering::stackedMatmul(Node *a, Node *b, SourceLoc loc, bool transB) {
  Graph &g = graph();
  const TensorType ta = a->type, tb = b->type;
  bool rowVector = ta.dims.size() == 1, columnVector = tb.dims.size() == 1 && !transB;
  if (rowVector)
    a = g.reshape(a, {1, ta.dims[0]});
  if (columnVector)
    b = g.reshape(b, {tb.dims[0], 1});
  std::vector<int64_t> da = a->type.dims, db = b->type.dims;
  int64_t contracted = transB ? db.back() : db[db.size() - 2];
  if (da.back() != contracted)
    diag_.fatal(loc, "matmul dimensions do not match: " + ta.shapeStr() + " @ " + tb.shapeStr() +
                         (transB ? "^T" : "") + " (contracting " + std::to_string(da.back()) +
                         " with " + std::to_string(contracted) + ")");
  TensorType la{a->type.dtype, {da.begin(), da.end() - 2}, false};
  TensorType lb{b->type.dtype, {db.begin(), db.end() - 2}, false}, lead;
  if (!broadcastTypes(la, lb, lead))
    diag_.fatal(loc, "the leading dims of " + ta.shapeStr() + " @ " + tb.shapeStr() +
                         " cannot be broadcast");
  auto stackTo = [&](Node *x) {
    TensorType t = x->type;
    t.dims = lead.dims;
    t.dims.insert(t.dims.end(), x->type.dims.end() - 2, x->type.dims.end());
    return g.fitTo(x, t);
  };
  Node *c = g.batchMatMul(stackTo(a), stackTo(b), false, transB);
  std::vector<int64_t> dims = c->type.dims;
  if (columnVector)
    dims.erase(dims.end() - 1);
  if (rowVector)
    dims.erase(dims.end() - (columnVector ? 1 : 2));
  return dims == c->type.dims ? c : g.reshape(c, dims);
}

/// x[i, a:b, :] with constant integers; negative counts from the end, a
/// point index drops its axis.
Value Lowering::index(const Expr &e) {
  Value base = expr(*e.operands[0]);
  if (base.isLiteral())
    diag_.fatal(e.loc, "indexing a constant: write the element instead");
  Node *x = base.node;
  const std::vector<int64_t> &dims = x->type.dims;
  if (e.indices.size() > dims.size())
    diag_.fatal(e.loc, std::to_string(e.indices.size()) + " indices for a value of shape " +
                           x->type.shapeStr());
  // x[idx], x[:, idx]: an integer tensor as the index of one axis picks
  // slices (index_select); the axes before it must be whole (`:`).
  std::map<std::string, Literal> env = literalEnv();
  for (size_t i = 0; i < e.indices.size(); ++i) {
    const IndexItem &item = e.indices[i];
    if (item.range || isLiteralExpr(*item.lo, env))
      continue;
    Node *indices = tensorExpr(*item.lo, "index");
    if (x->type.dtype == DType::I32)
      diag_.fatal(e.loc, "class labels cannot be indexed by a tensor; index a float tensor");
    if (indices->type.dtype != DType::I32)
      diag_.fatal(item.loc, "an index must be a constant or integer indices (class(N)), got " +
                                indices->type.str());
    for (size_t j = 0; j < e.indices.size(); ++j)
      if (j != i && (!e.indices[j].range || e.indices[j].lo || e.indices[j].hi))
        diag_.fatal(e.indices[j].loc, "with integer indices on axis " + std::to_string(i) +
                                          ", the other axes must be ':'");
    if (classesOf(indices) > dims[i])
      diag_.fatal(item.loc, "the indices are class(" + std::to_string(classesOf(indices)) +
                                ") but axis " + std::to_string(i) + " of " + x->type.shapeStr() +
                                " has " + std::to_string(dims[i]) + " entries");
    return Value{graph().gather(x, indices, int64_t(i)), {}};
  }
  std::vector<int64_t> starts(dims.size(), 0), sizes = dims, kept;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i >= e.indices.size()) {
      kept.push_back(dims[i]);
      continue;
    }
    const IndexItem &item = e.indices[i];
    auto bound = [&](const Expr *b, int64_t fallback) {
      if (!b)
        return fallback;
      int64_t v = intLiteral(*b, "index", -dims[i], dims[i]);
      return v < 0 ? v + dims[i] : v;
    };
    if (!item.range) {
      int64_t at = intLiteral(*item.lo, "index", -dims[i], dims[i] - 1);
      starts[i] = at < 0 ? at + dims[i] : at;
      sizes[i] = 1;
      continue;
    }
    int64_t lo = bound(item.lo.get(), 0), hi = bound(item.hi.get(), dims[i]);
    if (hi <= lo)
      diag_.fatal(item.loc, "empty range " + std::to_string(lo) + ":" + std::to_string(hi) +
                                " of an axis of size " + std::to_string(dims[i]));
    starts[i] = lo;
    sizes[i] = hi - lo;
    kept.push_back(sizes[i]);
  }
  Node *s = graph().slice(x, starts, sizes);
  return Value{kept == sizes ? s : graph().reshape(s, kept), {}};
}

double Lowering::scalarLiteral(const Expr &e, const std::string &what) {
  Value v;
  if (isLiteralExpr(e, literals_))
    v.literal = evalLiteral(e, literals_, diag_);
  else if (!scopes_.empty())
    v = expr(e); // a def's number parameter
  if (!v.isLiteral() || v.literal.data.empty())
    diag_.fatal(e.loc, "'" + what + "' must be a constant number");
  if (!v.literal.isScalar())
    diag_.fatal(e.loc, "'" + what + "' must be a number, not an array of shape " +
                           dimsStr(v.literal.dims));
  return v.literal.data[0];
}

int64_t Lowering::intLiteral(const Expr &e, const std::string &what, int64_t min, int64_t max) {
  double v = scalarLiteral(e, what);
  if (v != std::floor(v) || v < double(min) || v > double(max))
    diag_.fatal(e.loc, "'" + what + "' must be a whole number in " + std::to_string(min) +
                           ".." + std::to_string(max) + ", got " + formatNumber(v));
  return static_cast<int64_t>(v);
}

/// A number or a list of numbers, each a whole number in [min, max].
std::vector<int64_t> Lowering::intList(const Expr &e, const std::string &what, int64_t min,
                                       int64_t max) {
  if (e.kind != Expr::Kind::Array)
    return {intLiteral(e, what, min, max)};
  std::vector<int64_t> out;
  for (const ExprPtr &item : e.operands)
    out.push_back(intLiteral(*item, what, min, max));
  return out;
}

/// Binds a call's positional and named numeric arguments to `params`.
std::vector<double> Lowering::callArgs(const Expr &call, const std::vector<std::string> &params,
                                       const std::vector<double> &defaults) {
  std::vector<double> values = defaults;
  std::vector<bool> given(params.size(), false);
  size_t positional = 0;
  for (size_t i = 0; i < call.operands.size(); ++i) {
    size_t slot = positional;
    if (!call.argNames[i].empty()) {
      slot = params.size();
      for (size_t p = 0; p < params.size(); ++p)
        if (params[p] == call.argNames[i])
          slot = p;
      if (slot == params.size())
        diag_.fatal(call.argLocs[i], "unknown argument '" + call.argNames[i] + "' of '" +
                                         call.name + "'" + didYouMean(call.argNames[i], params));
    } else {
      ++positional;
    }
    if (slot >= params.size())
      diag_.fatal(call.argLocs[i], "'" + call.name + "' takes at most " +
                                       std::to_string(params.size()) + " arguments");
    if (given[slot])
      diag_.fatal(call.argLocs[i], "argument '" + params[slot] + "' given twice");
    given[slot] = true;
    values[slot] = scalarLiteral(*call.operands[i], params[slot]);
  }
  for (size_t p = 0; p < params.size(); ++p)
    if (std::isnan(values[p]))
      diag_.fatal(call.loc, "'" + call.name + "' needs argument '" + params[p] + "'");
  return values;
}

} // namespace nnc
