//===- ModelLowering.cpp - sema and IR construction -----------------------===//
//
// Walks the declarations in order (a name is usable after its declaration),
// types every expression and emits IR nodes. Untyped literals stay compile-
// time Literals until they meet a typed tensor, whose dtype they take (as in
// PyTorch); they never promote it.
//
//===----------------------------------------------------------------------===//
#include "sema/ModelLowering.h"

#include "sema/DataEval.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace nnc {
namespace {

constexpr int64_t kMaxElements = int64_t(1) << 32;

std::string dimsStr(const std::vector<int64_t> &dims) {
  TensorType t{DType::F32, dims, false};
  return t.shapeStr();
}

/// A typed tensor (node) or a compile-time literal not yet given a dtype.
struct Value {
  Node *node = nullptr;
  Literal literal;
  bool isLiteral() const { return node == nullptr; }
  std::vector<int64_t> dims() const { return node ? node->type.dims : literal.dims; }
};

struct Symbol {
  Value value;
  SourceLoc loc;
  std::string what; // "input", "param", ... for messages
};

OpKind unaryOpFor(const std::string &fn) {
  static const std::map<std::string, OpKind> table = {
      {"exp", OpKind::Exp},   {"log", OpKind::Log},         {"sigmoid", OpKind::Sigmoid},
      {"tanh", OpKind::Tanh}, {"relu", OpKind::Relu},       {"sqrt", OpKind::Sqrt},
      {"sin", OpKind::Sin},   {"cos", OpKind::Cos},         {"abs", OpKind::Abs}};
  return table.at(fn);
}

class Lowering {
public:
  Lowering(DiagnosticEngine &diag, const LoweringOptions &options)
      : diag_(diag), options_(options), program_(std::make_unique<Program>()) {
    literals_["pi"] = Literal{{}, {M_PI}};
  }

  std::unique_ptr<Program> run(const ModuleAST &module) {
    program_->modelName = module.name;
    program_->loc = module.loc;
    for (const Decl &d : module.decls) {
      try {
        decl(d);
      } catch (const CompileError &) {
        // Keep going: later declarations may have independent errors. A
        // name whose declaration failed is marked so it is not re-reported.
        if (!d.name.empty() && !symbols_.count(d.name))
          poisoned_.insert(d.name);
      }
      if (diag_.errorCount() >= 20)
        break;
    }
    diag_.checkpoint();
    return std::move(program_);
  }

private:
  Graph &graph() { return program_->graph; }

  //===--- declarations --------------------------------------------------===//

  void decl(const Decl &d) {
    switch (d.kind) {
    case Decl::Kind::Input:
    case Decl::Kind::Target: {
      TensorType t = type(d.type);
      t.batched = true;
      define(d, Value{graph().input(d.name, t, d.nameLoc), {}},
             d.kind == Decl::Kind::Input ? "input" : "target");
      program_->inputs.push_back({d.name, symbols_[d.name].value.node,
                                  d.kind == Decl::Kind::Target, d.nameLoc});
      return;
    }
    case Decl::Kind::Param:
      return param(d);
    case Decl::Kind::Const:
      return constant(d);
    case Decl::Kind::Let: {
      Value v = expr(*d.value);
      if (v.isLiteral()) {
        literals_[d.name] = v.literal;
      } else if (v.node->name.empty() && v.node->op != OpKind::Input &&
                 v.node->op != OpKind::Param) {
        v.node->name = d.name;
      }
      define(d, v, "value");
      if (!v.isLiteral())
        program_->named.push_back({d.name, v.node});
      return;
    }
    case Decl::Kind::Output:
      return output(d);
    case Decl::Kind::Loss:
      return loss(d);
    case Decl::Kind::Optimizer:
      return optimizer(d);
    case Decl::Kind::Data:
      return data(d);
    case Decl::Kind::Train:
      return train(d);
    }
  }

  void define(const Decl &d, Value v, const std::string &what) {
    auto it = symbols_.find(d.name);
    if (it != symbols_.end()) {
      diag_.error(d.nameLoc, "redefinition of '" + d.name + "'");
      diag_.note(it->second.loc, "previous definition of '" + d.name + "' is here");
      throw CompileError{};
    }
    if (d.name == "pi" && !v.isLiteral())
      literals_.erase("pi");
    symbols_[d.name] = Symbol{v, d.nameLoc, what};
  }

  DType dtype(const std::string &name, SourceLoc loc) {
    if (name == "f32")
      return options_.forceF64 ? DType::F64 : DType::F32;
    if (name == "f64")
      return DType::F64;
    diag_.fatal(loc, "unknown element type '" + name + "'; expected f32 or f64");
  }

  TensorType type(const TypeSpec &spec) {
    TensorType t;
    t.dtype = dtype(spec.dtype, spec.loc);
    int64_t count = 1;
    for (int64_t d : spec.dims) {
      if (d < 1)
        diag_.fatal(spec.loc, "dimension must be at least 1, got " + std::to_string(d));
      if (d > kMaxElements || count > kMaxElements / d)
        diag_.fatal(spec.loc, "tensor shape " + dimsStr(spec.dims) +
                                  " is too large (more than 2^32 elements)");
      count *= d;
      t.dims.push_back(d);
    }
    return t;
  }

  // param NAME: TYPE (= INIT)?
  void param(const Decl &d) {
    TensorType t = type(d.type);
    StateTensor s;
    s.name = d.name;
    s.type = t;
    s.loc = d.nameLoc;
    if (d.value)
      s.init = init(*d.value, t, d.name);
    int index = static_cast<int>(program_->state.size());
    s.node = graph().param(d.name, t, index, d.nameLoc);
    program_->state.push_back(s);
    define(d, Value{s.node, {}}, "param");
  }

  InitSpec init(const Expr &e, const TensorType &t, const std::string &name) {
    InitSpec spec;
    if (isLiteralExpr(e, literals_)) {
      Literal v = evalLiteral(e, literals_, diag_);
      if (v.isScalar()) {
        spec.kind = InitSpec::Kind::Constant;
        spec.a = v.data[0];
        return spec;
      }
      if (v.dims != t.dims)
        diag_.fatal(e.loc, "initial value has shape " + dimsStr(v.dims) + " but '" +
                               name + "' is declared " + t.shapeStr());
      spec.kind = InitSpec::Kind::Data;
      spec.data = v.data;
      return spec;
    }
    if (e.kind != Expr::Kind::Call)
      diag_.fatal(e.loc, "a parameter's initial value must be a constant or an "
                         "initializer such as normal(0, 0.1)");
    struct Known {
      const char *name;
      InitSpec::Kind kind;
      std::vector<std::string> params;
      std::vector<double> defaults; // NaN = required
    };
    const double req = NAN;
    static const std::vector<Known> known = {
        {"zeros", InitSpec::Kind::Zeros, {}, {}},
        {"ones", InitSpec::Kind::Constant, {}, {}},
        {"constant", InitSpec::Kind::Constant, {"value"}, {req}},
        {"uniform", InitSpec::Kind::Uniform, {"low", "high"}, {0, 1}},
        {"normal", InitSpec::Kind::Normal, {"mean", "std"}, {0, 1}},
        {"truncated_normal", InitSpec::Kind::TruncatedNormal, {"std", "mean"}, {req, 0}},
    };
    for (const Known &k : known) {
      if (e.name != k.name)
        continue;
      std::vector<double> values = callArgs(e, k.params, k.defaults);
      spec.kind = k.kind;
      if (e.name == "ones") {
        spec.a = 1;
      } else if (e.name == "constant") {
        spec.a = values[0];
      } else if (e.name == "truncated_normal") {
        spec.a = values[1];
        spec.b = values[0];
      } else if (!values.empty()) {
        spec.a = values[0];
        spec.b = values[1];
      }
      if ((spec.kind == InitSpec::Kind::Normal ||
           spec.kind == InitSpec::Kind::TruncatedNormal) && !(spec.b > 0))
        diag_.fatal(e.loc, "std of " + e.name + " must be positive");
      if (spec.kind == InitSpec::Kind::Uniform && !(spec.a < spec.b))
        diag_.fatal(e.loc, "uniform needs low < high");
      return spec;
    }
    diag_.fatal(e.loc, "unknown initializer '" + e.name +
                           "'; expected zeros, ones, constant, uniform, normal "
                           "or truncated_normal");
  }

  /// Binds a call's positional and named numeric arguments to `params`.
  std::vector<double> callArgs(const Expr &call, const std::vector<std::string> &params,
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
          diag_.fatal(call.argLocs[i], "unknown argument '" + call.argNames[i] +
                                           "' of '" + call.name + "'");
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

  double scalarLiteral(const Expr &e, const std::string &what) {
    if (!isLiteralExpr(e, literals_))
      diag_.fatal(e.loc, "'" + what + "' must be a constant number");
    Literal v = evalLiteral(e, literals_, diag_);
    if (!v.isScalar())
      diag_.fatal(e.loc, "'" + what + "' must be a number, not an array of shape " +
                             dimsStr(v.dims));
    return v.data[0];
  }

  // const NAME (: TYPE)? = EXPR
  void constant(const Decl &d) {
    if (!isLiteralExpr(*d.value, literals_))
      diag_.fatal(d.value->loc, "the value of a const must be a constant expression");
    Literal v = evalLiteral(*d.value, literals_, diag_);
    if (!d.type.present()) {
      literals_[d.name] = v;
      define(d, Value{nullptr, v}, "const");
      return;
    }
    TensorType t = type(d.type);
    if (v.isScalar() && !t.isScalar())
      v.data.assign(t.elementsPerSample(), v.data[0]);
    else if (v.dims != t.dims)
      diag_.fatal(d.value->loc, "value has shape " + dimsStr(v.dims) + " but '" +
                                    d.name + "' is declared " + t.shapeStr());
    Node *n = graph().constant(t.dtype, t.dims, v.data);
    n->name = d.name;
    define(d, Value{n, {}}, "const");
  }

  void output(const Decl &d) {
    Value v;
    if (d.value) {
      v = expr(*d.value);
      if (!v.isLiteral() && v.node->name.empty())
        v.node->name = d.name;
    } else {
      v = lookup(d.name, d.nameLoc);
    }
    if (v.isLiteral())
      diag_.fatal(d.nameLoc, "output '" + d.name + "' is a constant; outputs must "
                             "depend on the model's inputs or parameters");
    for (const Output &o : program_->outputs)
      if (o.name == d.name)
        diag_.fatal(d.nameLoc, "output '" + d.name + "' is declared twice");
    program_->outputs.push_back({d.name, v.node, d.nameLoc});
    if (d.value) {
      define(d, v, "output");
      program_->named.push_back({d.name, v.node});
    }
  }

  void loss(const Decl &d) {
    if (program_->loss) {
      diag_.error(d.loc, "a model has one loss; this is a second");
      diag_.note(program_->lossLoc, "the first loss is here");
      throw CompileError{};
    }
    Value v = expr(*d.value);
    if (v.isLiteral())
      diag_.fatal(d.value->loc, "the loss is a constant; it must depend on parameters");
    Node *n = v.node;
    if (!n->type.isScalar())
      diag_.fatal(d.value->loc, "the loss must be a scalar per sample, but it has shape " +
                                    n->type.shapeStr() + "; reduce it with sum() or mean()");
    if (n->type.batched) {
      // Averaged over the batch, as PyTorch's losses do by default.
      Node *total = graph().sumTo(n, TensorType{n->type.dtype, {}, false});
      n = graph().binary(OpKind::Div, total, graph().batchSize(n->type.dtype));
    }
    n->name = "loss";
    program_->loss = n;
    program_->lossLoc = d.value->loc;
  }

  // optimizer sgd(lr: 0.5, momentum: 0.9, nesterov: 1, weight_decay: 0)
  void optimizer(const Decl &d) {
    if (d.name != "sgd")
      diag_.fatal(d.nameLoc, "unknown optimizer '" + d.name + "'; expected sgd");
    OptimizerSpec &o = program_->optimizer;
    o.kind = d.name;
    o.loc = d.loc;
    static const std::vector<std::string> names = {"lr", "momentum", "weight_decay",
                                                   "nesterov"};
    for (size_t i = 0; i < d.entries.size(); ++i) {
      const KeyValue &e = d.entries[i];
      std::string key = e.key.empty() ? (i == 0 ? "lr" : "") : e.key;
      if (key.empty())
        diag_.fatal(e.loc, "only the first optimizer argument (lr) may be positional");
      double v = scalarLiteral(*e.value, key);
      if (key == "lr")
        o.lr = v;
      else if (key == "momentum")
        o.momentum = v;
      else if (key == "weight_decay")
        o.weightDecay = v;
      else if (key == "nesterov")
        o.nesterov = v != 0;
      else
        diag_.fatal(e.loc, "unknown argument '" + key + "' of optimizer 'sgd'; "
                           "expected lr, momentum, weight_decay or nesterov");
      if (v < 0)
        diag_.fatal(e.value->loc, "'" + key + "' must not be negative");
    }
    if (o.nesterov && o.momentum <= 0)
      diag_.fatal(d.loc, "nesterov momentum requires a momentum greater than 0");
  }

  // data NAME? { input: EXPR, ... }
  void data(const Decl &d) {
    if (program_->dataset(d.name))
      diag_.fatal(d.nameLoc, "data set '" + d.name + "' is declared twice");
    InlineData set;
    set.name = d.name;
    set.loc = d.loc;
    std::map<std::string, Literal> env = literals_;
    std::string first;
    for (const KeyValue &e : d.entries) {
      const Interface *in = nullptr;
      for (const Interface &i : program_->inputs)
        if (i.name == e.key)
          in = &i;
      if (!in)
        diag_.fatal(e.loc, "'" + e.key + "' is not an input or target of the model");
      Literal v = evalLiteral(*e.value, env, diag_);
      const TensorType &t = in->node->type;
      int64_t perSample = t.elementsPerSample();
      std::vector<int64_t> sampleDims(v.dims.begin() + (v.dims.empty() ? 0 : 1), v.dims.end());
      bool columnOfScalars = perSample == 1 && v.dims.size() == 1;
      if (v.dims.empty() || (!columnOfScalars && sampleDims != t.dims))
        diag_.fatal(e.value->loc, "data for '" + e.key + "' has shape " + dimsStr(v.dims) +
                                      "; expected [samples" +
                                      (t.dims.empty() ? "" : ", ") +
                                      t.shapeStr().substr(1));
      int64_t samples = v.dims[0];
      if (first.empty()) {
        first = e.key;
        set.samples = samples;
      } else if (samples != set.samples) {
        diag_.fatal(e.value->loc, "data for '" + e.key + "' has " + std::to_string(samples) +
                                      " samples but '" + first + "' has " +
                                      std::to_string(set.samples));
      }
      env[e.key] = v;
      set.columns[e.key] = v.data;
    }
    program_->datasets.push_back(std::move(set));
  }

  // train { batch: 50, steps: 5000, ... }
  void train(const Decl &d) {
    static const std::set<std::string> keys = {"batch", "steps", "epochs", "seed",
                                               "print_every"};
    for (const KeyValue &e : d.entries) {
      if (!keys.count(e.key))
        diag_.fatal(e.loc, "unknown train option '" + e.key +
                               "'; expected batch, steps, epochs, seed or print_every");
      double v = scalarLiteral(*e.value, e.key);
      if (v < 0 || v != std::floor(v) || (v == 0 && e.key != "seed"))
        diag_.fatal(e.value->loc, "'" + e.key + "' must be a positive whole number");
      program_->trainOptions[e.key] = v;
    }
  }

  //===--- expressions ---------------------------------------------------===//

  Value lookup(const std::string &name, SourceLoc loc) {
    auto it = symbols_.find(name);
    if (it != symbols_.end())
      return it->second.value;
    if (literals_.count(name))
      return Value{nullptr, literals_[name]};
    if (poisoned_.count(name))
      throw CompileError{};
    diag_.fatal(loc, "unknown name '" + name + "'" + suggestion(name));
  }

  /// ` (did you mean 'x'?)` for the closest known name, if close enough.
  std::string suggestion(const std::string &name) {
    std::string best;
    size_t bestDistance = 3;
    for (auto &entry : symbols_) {
      const std::string &cand = entry.first;
      std::vector<size_t> row(cand.size() + 1);
      for (size_t j = 0; j <= cand.size(); ++j)
        row[j] = j;
      for (size_t i = 1; i <= name.size(); ++i) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= cand.size(); ++j) {
          size_t cur = row[j];
          row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                             prev + (name[i - 1] == cand[j - 1] ? 0 : 1)});
          prev = cur;
        }
      }
      if (row[cand.size()] < bestDistance) {
        bestDistance = row[cand.size()];
        best = cand;
      }
    }
    return best.empty() ? "" : "; did you mean '" + best + "'?";
  }

  Value expr(const Expr &e) {
    if (isLiteralExpr(e, literals_))
      return Value{nullptr, evalLiteral(e, literals_, diag_)};
    switch (e.kind) {
    case Expr::Kind::Name:
      return lookup(e.name, e.loc);
    case Expr::Kind::Neg:
      return Value{graph().unary(OpKind::Neg, expr(*e.operands[0]).node), {}};
    case Expr::Kind::Binary:
      return binary(e);
    case Expr::Kind::Call:
      return call(e);
    case Expr::Kind::Array:
      diag_.fatal(e.loc, "array literals may only contain constants");
    case Expr::Kind::Number:
      break;
    }
    diag_.fatal(e.loc, "unexpected expression");
  }

  Node *materialize(const Value &v, DType dtype) {
    if (!v.isLiteral())
      return v.node;
    return graph().constant(dtype, v.literal.dims, v.literal.data);
  }

  Value binary(const Expr &e) {
    Value a = expr(*e.operands[0]), b = expr(*e.operands[1]);
    DType dt = a.isLiteral() ? b.node->type.dtype : a.node->type.dtype;
    Node *x = materialize(a, dt), *y = materialize(b, dt);
    if (x->type.dtype != y->type.dtype)
      diag_.fatal(e.loc, std::string("element types differ: ") + x->type.str() + " " +
                             e.op + " " + y->type.str() + " (no implicit conversion)");
    if (e.op == '@')
      return Value{matmul(x, y, e.loc), {}};
    TensorType t;
    if (!broadcastTypes(x->type, y->type, t))
      diag_.fatal(e.loc, std::string("shapes ") + x->type.shapeStr() + " and " +
                             y->type.shapeStr() + " cannot be broadcast for '" + e.op + "'");
    x = graph().fitTo(x, t);
    y = graph().fitTo(y, t);
    OpKind op = e.op == '+'   ? OpKind::Add
                : e.op == '-' ? OpKind::Sub
                : e.op == '*' ? OpKind::Mul
                : e.op == '/' ? OpKind::Div
                              : OpKind::Pow;
    return Value{graph().binary(op, x, y), {}};
  }

  /// `@` on per-sample shapes: matrix @ vector, vector @ matrix,
  /// matrix @ matrix, vector @ vector. The batch dimension becomes a row of
  /// a 2-D product, so W @ x over a batch is one GEMM.
  Node *matmul(Node *a, Node *b, SourceLoc loc) {
    const TensorType &ta = a->type, &tb = b->type;
    size_t ra = ta.dims.size(), rb = tb.dims.size();
    auto mismatch = [&]() {
      diag_.fatal(loc, "matmul dimensions do not match: " + ta.shapeStr() + " @ " +
                           tb.shapeStr());
    };
    if (ra == 0 || rb == 0 || ra > 2 || rb > 2)
      diag_.fatal(loc, "'@' needs vectors or matrices, got " + ta.shapeStr() + " @ " +
                           tb.shapeStr());
    if ((ra == 2 && ta.batched) || (rb == 2 && tb.batched))
      diag_.fatal(loc, "'@' with a per-sample matrix that depends on the input is not "
                       "supported yet (" + ta.str() + " @ " + tb.str() + ")");
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
    return g.matmul(a, b, false, false);
  }

  void expectArgs(const Expr &e, size_t count) {
    for (size_t i = 0; i < e.argNames.size(); ++i)
      if (!e.argNames[i].empty())
        diag_.fatal(e.argLocs[i], "'" + e.name + "' has no argument named '" +
                                      e.argNames[i] + "'");
    if (e.operands.size() != count)
      diag_.fatal(e.loc, "'" + e.name + "' expects " + std::to_string(count) +
                             (count == 1 ? " argument, got " : " arguments, got ") +
                             std::to_string(e.operands.size()));
  }

  Node *tensorArg(const Expr &e, size_t i) {
    Value v = expr(*e.operands[i]);
    if (v.isLiteral())
      diag_.fatal(e.operands[i]->loc, "'" + e.name + "' of a constant: write the "
                                      "constant's value instead");
    return v.node;
  }

  Value call(const Expr &e) {
    Graph &g = graph();
    if (isUnaryFunction(e.name)) {
      expectArgs(e, 1);
      return Value{g.unary(unaryOpFor(e.name), tensorArg(e, 0)), {}};
    }
    if (e.name == "sum" || e.name == "mean") {
      expectArgs(e, 1);
      Node *x = tensorArg(e, 0);
      TensorType t{x->type.dtype, {}, x->type.batched};
      Node *total = g.sumTo(x, t);
      if (e.name == "sum")
        return Value{total, {}};
      Node *count = g.fill(static_cast<double>(x->type.elementsPerSample()), t);
      return Value{g.binary(OpKind::Div, total, count), {}};
    }
    if (e.name == "flatten") {
      expectArgs(e, 1);
      Node *x = tensorArg(e, 0);
      return Value{g.reshape(x, {x->type.elementsPerSample()}), {}};
    }
    if (e.name == "reshape") {
      expectArgs(e, 2);
      Node *x = tensorArg(e, 0);
      Literal shape = evalLiteral(*e.operands[1], literals_, diag_);
      std::vector<int64_t> dims;
      int64_t count = 1;
      for (double d : shape.data) {
        if (d < 1 || d != std::floor(d) || d > kMaxElements)
          diag_.fatal(e.operands[1]->loc, "reshape dimensions must be positive whole numbers");
        dims.push_back(static_cast<int64_t>(d));
        count *= dims.back();
      }
      if (shape.dims.size() > 1 || count != x->type.elementsPerSample())
        diag_.fatal(e.operands[1]->loc, "cannot reshape " + x->type.shapeStr() + " (" +
                                            std::to_string(x->type.elementsPerSample()) +
                                            " elements) to " + dimsStr(dims));
      return Value{g.reshape(x, dims), {}};
    }
    if (symbols_.count(e.name))
      diag_.fatal(e.loc, "'" + e.name + "' is a value, not a function");
    diag_.fatal(e.loc, "unknown function '" + e.name + "'");
  }

  DiagnosticEngine &diag_;
  LoweringOptions options_;
  std::unique_ptr<Program> program_;
  std::map<std::string, Symbol> symbols_;
  std::map<std::string, Literal> literals_; // untyped constants, and `pi`
  std::set<std::string> poisoned_;
};

} // namespace

std::unique_ptr<Program> lowerModule(const ModuleAST &module, DiagnosticEngine &diag,
                                     const LoweringOptions &options) {
  return Lowering(diag, options).run(module);
}

} // namespace nnc
