//===- ModelLowering.cpp - sema: declarations -----------------------------===//
//
// Walks the declarations in order (a name is usable after its declaration),
// types every expression and emits IR nodes. Untyped literals stay compile-
// time Literals until they meet a typed tensor, whose dtype they take (as in
// PyTorch); they never promote it.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

#include "support/Json.h"
#include "support/Limits.h"
#include "support/Suggest.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

namespace nnc {

std::string dimsStr(const std::vector<int64_t> &dims) {
  TensorType t{DType::F32, dims, false};
  return t.shapeStr();
}

/// Dims as written; one that overflowed 64 bits when parsed shows as such.
static std::string shapeText(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + (dims[i] == INT64_MAX ? std::string("(over 2^63)") : std::to_string(dims[i]));
  return s + "]";
}

Lowering::Lowering(DiagnosticEngine &diag, const LoweringOptions &options)
    : diag_(diag), options_(options), program_(std::make_unique<Program>()) {
  literals_["pi"] = Literal{{}, {M_PI}};
  literals_["true"] = Literal{{}, {1}};
  literals_["false"] = Literal{{}, {0}};
  for (const auto &[name, value] : options.constants)
    literals_[name] = Literal{{}, {value}};
}

static void checkScheduleMonitor(const Program &p, DiagnosticEngine &diag);

std::unique_ptr<Program> Lowering::run(const ModuleAST &module) {
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
    if (diag_.full())
      break;
  }
  checkInlineLabels();
  checkScheduleMonitor(*program_, diag_);
  diag_.checkpoint();
  warnUnused();
  return std::move(program_);
}

/// Class indices in data blocks: in 0..N-1, or the loss's ignore_index.
void Lowering::checkInlineLabels() {
  for (const LabelCheck &c : labelChecks_) {
    const Interface *in = nullptr;
    for (const Interface &i : program_->inputs)
      if (i.name == c.input)
        in = &i;
    for (double x : c.values) {
      if (in->hasIgnoreIndex && x == double(in->ignoreIndex))
        continue;
      if (x < 0 || x >= in->classes || x != std::floor(x)) {
        diag_.error(c.loc, "label " + formatNumber(x) + " of '" + c.input +
                               "' is not a class in 0.." + std::to_string(in->classes - 1) +
                               (in->hasIgnoreIndex
                                    ? " (nor the ignore_index " + std::to_string(in->ignoreIndex) + ")"
                                    : std::string()));
        break;
      }
    }
  }
}

/// Inputs, parameters and values that nothing refers to are probably a
/// mistake (a layer left out of the chain); a leading '_' says it is meant.
void Lowering::warnUnused() {
  std::vector<std::pair<SourceLoc, std::string>> unused;
  for (const auto &[name, sym] : symbols_) {
    if (used_.count(name) || name[0] == '_' || sym.value.isLiteral())
      continue;
    std::string what = sym.what == "param" ? "parameter" : sym.what;
    if (what == "input" || what == "target" || what == "parameter" || what == "value")
      unused.push_back({sym.loc, what + " '" + name + "' is never used"});
  }
  std::sort(unused.begin(), unused.end(), [](const auto &a, const auto &b) {
    return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.col < b.first.col;
  });
  for (const auto &[loc, message] : unused)
    diag_.warning(loc, message);
}

void Lowering::decl(const Decl &d) {
  if (defDepth_ > 0 && d.kind != Decl::Kind::Let && d.kind != Decl::Kind::Param)
    diag_.fatal(d.loc, "only 'param' and 'name = expression' declarations may appear in a def");
  switch (d.kind) {
  case Decl::Kind::Input:
  case Decl::Kind::Target: {
    Interface in;
    in.name = d.name;
    in.isTarget = d.kind == Decl::Kind::Target;
    in.loc = d.nameLoc;
    if (d.type.classes) {
      if (d.type.dtype != "class")
        diag_.fatal(d.type.loc, "unknown type '" + d.type.dtype + "(...)'; class labels are "
                                "written class(N)");
      in.classes = d.type.classesName.empty()
                       ? d.type.classes
                       : namedSize(d.type.classesName, d.type.classesLoc);
      if (in.classes < 2 || in.classes > (int64_t(1) << 30))
        diag_.fatal(d.type.loc, "class(N) needs at least 2 classes");
    }
    // bool[...], i64[...], f16[...]: an element type outside (.npy, ONNX);
    // integers compute in f64, which holds them exactly up to 2^53.
    TypeSpec spec = d.type;
    if (Storage st = storageFromName(spec.dtype); st != Storage::Float && !spec.classes) {
      if (in.isTarget)
        diag_.fatal(d.type.loc, spec.dtype + "[...] is for inputs (and outputs), not targets");
      in.storage = st;
      spec.dtype = isIntegerStorage(st) ? "f64" : "f32";
    }
    TensorType t = type(spec, /*classesAllowed=*/true);
    t.batched = true;
    if (in.classes && t.dims.size() == 1 && options_.tokenSteps > 0)
      t.dims[0] = options_.tokenSteps;
    in.node = graph().input(d.name, t, d.nameLoc);
    if (in.classes)
      classes_[in.node] = in.classes;
    Node *value = in.node;
    if (auto st = options_.standardize.find(d.name); st != options_.standardize.end())
      value = standardizeInput(in, st->second);
    define(d.name, d.nameLoc, Value{value, {}}, in.isTarget ? "target" : "input");
    program_->inputs.push_back(in);
    return;
  }
  case Decl::Kind::Param:
    return param(d);
  case Decl::Kind::Const:
    return constant(d);
  case Decl::Kind::Let: {
    currentLet_ = d.name;
    layersInLet_ = 0;
    Value v = expr(*d.value);
    currentLet_.clear();
    if (v.isLiteral()) {
      if (defDepth_ == 0)
        literals_[d.name] = v.literal;
    } else if (v.node->name.empty() && !hasFlag(v.node->op, kBound)) {
      v.node->name = d.name;
    }
    define(d.name, d.nameLoc, v, "value");
    if (!v.isLiteral() && defDepth_ == 0)
      program_->named.push_back({d.name, v.node});
    return;
  }
  case Decl::Kind::Output:
    return output(d);
  case Decl::Kind::Loss:
    return loss(d);
  case Decl::Kind::Metric:
    return metric(d);
  case Decl::Kind::Init:
    return initDefaults(d);
  case Decl::Kind::Def:
    if (defs_.count(d.name) || symbols_.count(d.name)) {
      diag_.error(d.nameLoc, "redefinition of '" + d.name + "'");
      diag_.note(defs_.count(d.name) ? defs_[d.name]->nameLoc : symbols_[d.name].loc,
                 "previous definition of '" + d.name + "' is here");
      throw CompileError{};
    }
    defs_[d.name] = &d;
    return;
  case Decl::Kind::Optimizer:
    return optimizer(d);
  case Decl::Kind::Data:
    return data(d);
  case Decl::Kind::Train:
    return train(d);
  }
}

void Lowering::define(const std::string &name, SourceLoc loc, Value v, const std::string &what) {
  auto &table = scopes_.empty() ? symbols_ : scopes_.back();
  auto it = table.find(name);
  if (it != table.end()) {
    diag_.error(loc, "redefinition of '" + name + "'");
    diag_.note(it->second.loc, "previous definition of '" + name + "' is here");
    throw CompileError{};
  }
  if (scopes_.empty() && defs_.count(name)) {
    diag_.error(loc, "'" + name + "' is already defined as a function");
    diag_.note(defs_[name]->nameLoc, "'" + name + "' is defined here");
    throw CompileError{};
  }
  if (scopes_.empty() && literals_.count(name) && !v.isLiteral())
    literals_.erase(name); // a tensor named like a builtin constant hides it
  table[name] = Symbol{v, loc, what};
}

DType Lowering::dtype(const std::string &name, SourceLoc loc) {
  if (name == "f32")
    return options_.forceF64 ? DType::F64 : DType::F32;
  if (name == "f64")
    return DType::F64;
  if (storageFromName(name) != Storage::Float)
    diag_.fatal(loc, "'" + name + "' is an element type for inputs and outputs only (converted "
                     "at the model's edges); inside a model tensors are f32 or f64");
  diag_.fatal(loc, "unknown element type '" + name + "'; expected f32 or f64");
}

/// A size written as a constant's name: its value, a positive integer.
int64_t Lowering::namedSize(const std::string &name, SourceLoc loc) {
  std::map<std::string, Literal> env = literalEnv();
  auto it = env.find(name);
  if (it == env.end()) {
    if (symbols_.count(name) || (!scopes_.empty() && scopes_.back().count(name)))
      diag_.fatal(loc, "the size '" + name + "' must be a constant number, not a tensor");
    diag_.fatal(loc, "unknown size '" + name + "'; a size is a number or a constant" +
                         (name == "vocab" ? " ('vocab' is the vocabulary of nnc train --text FILE, "
                                            "or of the checkpoint given with --params)"
                                          : ""));
  }
  const Literal &v = it->second;
  if (!v.isScalar() || v.data[0] != std::floor(v.data[0]) || v.data[0] < 1 || v.data[0] > 1e15)
    diag_.fatal(loc, "the size '" + name + "' is " +
                         (v.isScalar() ? formatNumber(v.data[0]) : dimsStr(v.dims) + " values") +
                         "; a size must be a positive integer");
  return int64_t(v.data[0]);
}

/// The per-sample dims of a type, constants' names resolved.
TensorType Lowering::type(const TypeSpec &spec, bool classesAllowed) {
  if (spec.classes && !classesAllowed)
    diag_.fatal(spec.loc, "class(N) is only for inputs and targets");
  TensorType t;
  t.dtype = spec.classes ? DType::I32 : dtype(spec.dtype, spec.loc);
  std::vector<int64_t> dims = spec.dims;
  for (size_t i = 0; i < dims.size(); ++i)
    if (i < spec.dimNames.size() && !spec.dimNames[i].empty())
      dims[i] = namedSize(spec.dimNames[i], spec.dimLocs[i]);
  int64_t count = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = dims[i];
    SourceLoc at = i < spec.dimLocs.size() ? spec.dimLocs[i] : spec.loc;
    if (d < 1)
      diag_.fatal(at, "dimension must be at least 1, got " + std::to_string(d));
    if (d > kMaxElements || count > kMaxElements / d)
      diag_.fatal(at, "tensor shape " + shapeText(dims) + " is too large (more than 2^32 elements)");
    count *= d;
    t.dims.push_back(d);
  }
  return t;
}

// param NAME: TYPE (= INIT)? (, trainable: false)? (, name: "saved.name")?
void Lowering::param(const Decl &d) {
  TensorType t = type(d.type);
  bool trainable = true;
  std::string savedName = d.name; // what checkpoints and the C ABI call it
  for (const KeyValue &kv : d.entries) {
    if (kv.key == "name") {
      if (kv.value->kind != Expr::Kind::Name)
        diag_.fatal(kv.value->loc, "'name' must be an identifier or a quoted name, e.g. "
                                   "name: \"fc.weight\"");
      savedName = kv.value->name;
      if (savedName.empty() || savedName.size() > 200)
        diag_.fatal(kv.value->loc, "a parameter name has 1 to 200 characters");
      continue;
    }
    if (kv.key != "trainable")
      diag_.fatal(kv.loc, "unknown parameter option '" + kv.key + "'" +
                              hint(kv.key, {"trainable", "name"}));
    trainable = scalarLiteral(*kv.value, "trainable") != 0;
  }
  // Fans as PyTorch computes them for a raw tensor: dim 1 and dim 0 times
  // the receptive field (the dims after the first two).
  int64_t receptive = 1;
  for (size_t i = 2; i < t.dims.size(); ++i)
    receptive *= t.dims[i];
  int64_t fanIn = t.dims.size() > 1 ? t.dims[1] * receptive : (t.dims.empty() ? 1 : t.dims[0]);
  int64_t fanOut = t.dims.empty() ? 1 : t.dims[0] * receptive;
  // Inside a def the parameter belongs to the use: `b1 = block(x)` creates
  // b1.NAME, as a PyTorch module path reads.
  std::string name = savedName;
  for (auto it = prefixes_.rbegin(); it != prefixes_.rend(); ++it)
    name = *it + "." + name;
  InitSpec spec;
  if (d.value)
    spec = init(*d.value, t, name, fanIn, fanOut);
  Node *n = createParam(name, t, spec, trainable, d.nameLoc,
                        "each use of a def with parameters needs its own declaration "
                        "(a = f(x) and b = f(x), not f(x) + f(x))");
  define(d.name, d.nameLoc, Value{n, {}}, "param");
}

InitSpec Lowering::init(const Expr &e, const TensorType &t, const std::string &name,
                        int64_t fanIn, int64_t fanOut) {
  InitSpec spec;
  std::map<std::string, Literal> env = literalEnv();
  if (isLiteralExpr(e, env)) {
    Literal v = evalLiteral(e, env, diag_);
    if (v.isScalar()) {
      spec.kind = InitSpec::Kind::Constant;
      spec.a = v.data[0];
      return spec;
    }
    if (v.dims != t.dims)
      diag_.fatal(e.loc, "initial value has shape " + dimsStr(v.dims) + " but '" + name +
                             "' is declared " + t.shapeStr());
    spec.kind = InitSpec::Kind::Data;
    spec.data = v.data;
    return spec;
  }
  if (e.kind != Expr::Kind::Call)
    diag_.fatal(e.loc, "an initial value must be a constant or an initializer such as "
                       "normal(0, 0.1)");
  using K = InitSpec::Kind;
  struct Known {
    const char *name;
    K kind;
    std::vector<std::string> params;
    std::vector<double> defaults; // NaN = required
  };
  const double req = NAN;
  static const std::vector<Known> known = {
      {"zeros", K::Zeros, {}, {}},
      {"ones", K::Constant, {}, {}},
      {"constant", K::Constant, {"value"}, {req}},
      {"uniform", K::Uniform, {"low", "high"}, {0, 1}},
      {"normal", K::Normal, {"mean", "std"}, {0, 1}},
      {"truncated_normal", K::TruncatedNormal, {"std", "mean"}, {req, 0}},
      {"xavier_uniform", K::Uniform, {"gain"}, {1}},
      {"xavier_normal", K::Normal, {"gain"}, {1}},
      {"glorot_uniform", K::Uniform, {"gain"}, {1}},
      {"glorot_normal", K::Normal, {"gain"}, {1}},
      {"he_uniform", K::Uniform, {"gain"}, {std::sqrt(2.0)}},
      {"he_normal", K::Normal, {"gain"}, {std::sqrt(2.0)}},
      {"kaiming_uniform", K::Uniform, {"gain"}, {std::sqrt(2.0)}},
      {"kaiming_normal", K::Normal, {"gain"}, {std::sqrt(2.0)}},
  };
  for (const Known &k : known) {
    if (e.name != k.name)
      continue;
    std::vector<double> v = callArgs(e, k.params, k.defaults);
    std::string fn = e.name;
    spec.kind = k.kind;
    if (fn == "ones") {
      spec.a = 1;
    } else if (fn == "constant") {
      spec.a = v[0];
    } else if (fn == "truncated_normal") {
      spec.a = v[1];
      spec.b = v[0];
    } else if (fn == "uniform" || fn == "normal") {
      spec.a = v[0];
      spec.b = v[1];
    } else if (fn.find("xavier") == 0 || fn.find("glorot") == 0) {
      // torch.nn.init.xavier_*: std = gain * sqrt(2 / (fan_in + fan_out)).
      double std = v[0] * std::sqrt(2.0 / double(fanIn + fanOut));
      spec.a = k.kind == K::Uniform ? -std * std::sqrt(3.0) : 0;
      spec.b = k.kind == K::Uniform ? std * std::sqrt(3.0) : std;
    } else if (k.kind != K::Zeros) {
      // torch.nn.init.kaiming_* (mode fan_in): std = gain / sqrt(fan_in).
      double std = v[0] / std::sqrt(double(fanIn));
      spec.a = k.kind == K::Uniform ? -std * std::sqrt(3.0) : 0;
      spec.b = k.kind == K::Uniform ? std * std::sqrt(3.0) : std;
    }
    if ((spec.kind == K::Normal || spec.kind == K::TruncatedNormal) && !(spec.b > 0))
      diag_.fatal(e.loc, "std of " + e.name + " must be positive");
    if (spec.kind == K::Uniform && !(spec.a < spec.b))
      diag_.fatal(e.loc, "uniform needs low < high");
    return spec;
  }
  std::vector<std::string> names;
  for (const Known &k : known)
    names.push_back(k.name);
  std::string guess = didYouMean(e.name, names);
  diag_.fatal(e.loc, "unknown initializer '" + e.name + "'" +
                         (!guess.empty() ? guess
                                         : "; expected zeros, ones, constant, uniform, normal, "
                                           "truncated_normal, xavier_uniform, xavier_normal, "
                                           "he_uniform, he_normal (or the aliases glorot_* and "
                                           "kaiming_*)"));
}

/// The first name in `e` that is not a foldable constant, or nullptr.
static const Expr *unfoldedName(const Expr &e, const std::map<std::string, Literal> &env) {
  if (e.kind == Expr::Kind::Name && (e.quoted || !env.count(e.name)))
    return &e;
  for (const ExprPtr &o : e.operands)
    if (const Expr *n = unfoldedName(*o, env))
      return n;
  for (const IndexItem &item : e.indices)
    for (const Expr *part : {item.lo.get(), item.hi.get()})
      if (const Expr *n = part ? unfoldedName(*part, env) : nullptr)
        return n;
  return nullptr;
}

// const NAME (: TYPE)? = EXPR
void Lowering::constant(const Decl &d) {
  if (!isLiteralExpr(*d.value, literals_)) {
    const Expr *name = unfoldedName(*d.value, literals_);
    if (name && typedConsts_.count(name->name))
      diag_.fatal(name->loc, "'" + name->name + "' is a typed const, and only untyped consts "
                             "(const " + name->name + " = ...) fold into another const's value; "
                             "drop its type, or write the number");
    if (name)
      diag_.fatal(name->loc, "'" + name->name + "' is not a constant: a const's value is made "
                             "of numbers, untyped consts and arithmetic");
    diag_.fatal(d.value->loc, "the value of a const must be a constant expression");
  }
  Literal v = evalLiteral(*d.value, literals_, diag_);
  if (!d.type.present()) {
    literals_[d.name] = v;
    define(d.name, d.nameLoc, Value{nullptr, v}, "const");
    return;
  }
  typedConsts_.insert(d.name);
  TensorType t = type(d.type);
  if (v.isScalar() && !t.isScalar())
    ; // a splat: one value stands for all, however large the shape
  else if (v.dims != t.dims)
    diag_.fatal(d.value->loc, "value has shape " + dimsStr(v.dims) + " but '" + d.name +
                                  "' is declared " + t.shapeStr());
  Node *n = graph().constant(t.dtype, t.dims, v.data);
  n->name = d.name;
  define(d.name, d.nameLoc, Value{n, {}}, "const");
}

void Lowering::output(const Decl &d) {
  Value v;
  if (d.value) {
    currentLet_ = d.name;
    layersInLet_ = 0;
    v = expr(*d.value);
    currentLet_.clear();
    if (!v.isLiteral() && v.node->name.empty())
      v.node->name = d.name;
  } else {
    v = lookup(d.name, d.nameLoc);
  }
  if (v.isLiteral())
    diag_.fatal(d.nameLoc, "output '" + d.name + "' is a constant; outputs must "
                           "depend on the model's inputs or parameters");
  for (const Output &o : program_->outputs)
    if (o.name == d.name) {
      diag_.error(d.nameLoc, "output '" + d.name + "' is declared twice");
      diag_.note(o.loc, "the first is here");
      throw CompileError{};
    }
  // `output y: bool = ...`: 1 where the value is non-zero (a comparison's 1),
  // else 0. `output y: i64 = ...`, `output y: f16 = ...`: the value as is;
  // predict converts it as it writes (integers wrap, f16 rounds to even).
  Storage storage = Storage::Float;
  if (d.type.present()) {
    storage = storageFromName(d.type.dtype);
    if (storage == Storage::Float || d.type.classes || !d.type.dims.empty())
      diag_.fatal(d.type.loc, "an output's type is written only as an element type outside nnc "
                              "(`output " + d.name + ": bool = a > b`, `: i64`, `: f16`); "
                              "other outputs take their value's type");
    if (v.node->type.dtype == DType::I32)
      diag_.fatal(d.type.loc, "output '" + d.name + "' holds class indices (written as int64); "
                              "it cannot be " + d.type.dtype);
    static const std::set<OpKind> zeroOne = {OpKind::Less, OpKind::LessEqual, OpKind::Greater,
                                             OpKind::GreaterEqual, OpKind::Equal,
                                             OpKind::NotEqual};
    if (storage == Storage::Bool && !zeroOne.count(v.node->op))
      v.node = graph().binary(OpKind::NotEqual, v.node,
                              graph().fitTo(graph().scalar(v.node->type.dtype, 0), v.node->type));
  }
  program_->outputs.push_back({d.name, v.node, d.nameLoc, storage});
  if (d.value) {
    define(d.name, d.nameLoc, v, "output");
    program_->named.push_back({d.name, v.node});
  }
}

/// A per-sample scalar averaged (or summed) over the batch.
static Node *batchReduce(Graph &g, Node *n, bool sum) {
  if (!n->type.batched)
    return n;
  Node *total = g.sumTo(n, TensorType{n->type.dtype, {}, false});
  return sum ? total : g.binary(OpKind::Div, total, g.batchSize(n->type.dtype));
}

/// A loss over tokens: the batch's token losses summed, divided by the
/// batch's count of tokens (PyTorch's reduction='mean' with ignore_index).
static Node *tokenMean(Graph &g, const Value &v) {
  TensorType scalar{v.tokenSum->type.dtype, {}, false};
  return g.binary(OpKind::Div, g.fitTo(v.tokenSum, scalar), g.fitTo(v.tokenCount, scalar));
}

void Lowering::loss(const Decl &d) {
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
  if (n->type.dtype == DType::I32)
    diag_.fatal(d.value->loc, "the loss must be a floating-point value");
  // `loss EXPR, reduce: sum` sums over the batch; by default the loss is
  // averaged over it, as PyTorch's losses are.
  for (const KeyValue &kv : d.entries) {
    if (kv.key != "reduce")
      diag_.fatal(kv.loc, "unknown loss option '" + kv.key + "'" + hint(kv.key, {"reduce"}));
    if (kv.value->kind != Expr::Kind::Name || (kv.value->name != "mean" && kv.value->name != "sum"))
      diag_.fatal(kv.value->loc, "'reduce' must be mean or sum");
    v.batchSum = kv.value->name == "sum";
  }
  if (v.tokenSum && v.batchSum)
    n = v.tokenSum; // summed over the tokens, then over the batch
  n = v.tokenSum && !v.batchSum ? tokenMean(graph(), v) : batchReduce(graph(), n, v.batchSum);
  n->name = "loss";
  program_->loss = n;
  program_->lossLoc = d.value->loc;
  program_->lossBatchSum = v.batchSum;
}

// metric NAME = EXPR  |  metric accuracy(logits, label)
void Lowering::metric(const Decl &d) {
  std::string name = d.name;
  if (name.empty())
    name = d.value->kind == Expr::Kind::Call ? d.value->name : "metric";
  Value v = expr(*d.value);
  if (v.isLiteral() || !v.node->type.isScalar())
    diag_.fatal(d.value->loc, "a metric must be a scalar per sample");
  for (const Output &m : program_->metrics)
    if (m.name == name) {
      diag_.error(d.loc, "metric '" + name + "' is declared twice");
      diag_.note(m.loc, "the first is here");
      throw CompileError{};
    }
  program_->metrics.push_back(
      {name, v.tokenSum ? tokenMean(graph(), v) : batchReduce(graph(), v.node, false), d.loc});
}

namespace {
/// One parameter of a schedule: a number (NaN: required), a word out of a
/// list (`per: epoch`; the first is the default) or any name (`monitor`).
struct ScheduleParam {
  enum class Kind { Number, Word, Name };
  std::string name;
  Kind kind = Kind::Number;
  double number = NAN;
  std::vector<std::string> words;
};
} // namespace

/// The schedules and their parameters, in positional order; numbers are
/// PyTorch's defaults (plateau: ReduceLROnPlateau's).
static const std::map<std::string, std::vector<ScheduleParam>> &scheduleSignatures() {
  using K = ScheduleParam::Kind;
  const ScheduleParam per{"per", K::Word, NAN, {"step", "epoch"}};
  auto number = [](const char *name, double fallback = NAN) {
    return ScheduleParam{name, K::Number, fallback, {}};
  };
  static const std::map<std::string, std::vector<ScheduleParam>> signatures = {
      {"step", {number("every"), number("gamma", 0.1), per}},
      {"exponential", {number("gamma"), per}},
      {"cosine", {number("steps"), number("min_lr", 0), per}},
      {"plateau",
       {{"monitor", K::Name, NAN, {}}, {"mode", K::Word, NAN, {"min", "max"}},
        number("factor", 0.1), number("patience", 10), number("threshold", 1e-4),
        {"threshold_mode", K::Word, NAN, {"rel", "abs"}}, number("cooldown", 0),
        number("min_lr", 0), number("eps", 1e-8)}},
  };
  return signatures;
}

// schedule: step(every, gamma, per) | exponential(gamma, per)
// | cosine(steps, min_lr, per) | plateau(monitor, mode, factor, ...)
static void parseSchedule(const Expr &call, OptimizerSpec &out, DiagnosticEngine &diag,
                          const std::function<double(const Expr &, const std::string &)> &number) {
  // Filled here and given to `out` only when every check passed, so that a
  // bad schedule leaves no half of itself for later checks.
  OptimizerSpec o;
  auto commit = [&] {
    out.schedule = o.schedule;
    out.scheduleArgs = o.scheduleArgs;
    out.schedulePerEpoch = o.schedulePerEpoch;
    out.monitor = o.monitor;
    out.monitorLoc = o.monitorLoc;
    out.monitorMax = o.monitorMax;
    out.thresholdAbs = o.thresholdAbs;
  };
  const std::vector<std::string> names = {"step", "exponential", "cosine", "plateau"};
  if (call.kind != Expr::Kind::Call)
    diag.fatal(call.loc, "a schedule is step(...), exponential(...), cosine(...) or plateau(...)");
  auto found = scheduleSignatures().find(call.name);
  if (found == scheduleSignatures().end())
    diag.fatal(call.loc, "unknown schedule '" + call.name + "'" + hint(call.name, names));
  const std::vector<ScheduleParam> &params = found->second;
  std::vector<std::string> paramNames;
  for (const ScheduleParam &p : params)
    paramNames.push_back(p.name);
  // Bound as callArgs binds numbers, but words stay names.
  std::map<std::string, const Expr *> given;
  std::map<std::string, SourceLoc> at;
  size_t positional = 0;
  for (size_t i = 0; i < call.operands.size(); ++i) {
    size_t slot = call.argNames[i].empty() ? positional++ : params.size();
    for (size_t k = 0; k < params.size() && !call.argNames[i].empty(); ++k)
      if (params[k].name == call.argNames[i])
        slot = k;
    if (slot == params.size() && !call.argNames[i].empty())
      diag.fatal(call.argLocs[i], "unknown argument '" + call.argNames[i] + "' of '" + call.name +
                                      "'" + didYouMean(call.argNames[i], paramNames));
    if (slot >= params.size())
      diag.fatal(call.argLocs[i], "'" + call.name + "' takes at most " +
                                      std::to_string(params.size()) + " arguments");
    if (given.count(params[slot].name))
      diag.fatal(call.argLocs[i], "argument '" + params[slot].name + "' given twice");
    given[params[slot].name] = call.operands[i].get();
    at[params[slot].name] = call.operands[i]->loc;
  }
  o.schedule = call.name;
  std::map<std::string, std::string> words;
  for (const ScheduleParam &p : params) {
    auto value = given.find(p.name);
    if (p.kind == ScheduleParam::Kind::Number) {
      o.scheduleArgs[p.name] = value == given.end() ? p.number : number(*value->second, p.name);
      if (std::isnan(o.scheduleArgs[p.name]))
        diag.fatal(call.loc, "'" + call.name + "' needs argument '" + p.name + "'");
      continue;
    }
    if (value == given.end()) {
      if (p.words.empty())
        diag.fatal(call.loc, "'" + call.name + "' needs argument '" + p.name + "'");
      words[p.name] = p.words[0];
      continue;
    }
    const Expr &word = *value->second;
    bool isName = word.kind == Expr::Kind::Name && !word.quoted;
    if (p.kind == ScheduleParam::Kind::Name && !isName)
      diag.fatal(word.loc, "'" + p.name + "' must be a name, such as test_loss");
    if (p.kind == ScheduleParam::Kind::Word &&
        (!isName || std::find(p.words.begin(), p.words.end(), word.name) == p.words.end()))
      diag.fatal(word.loc, "'" + p.name + "' must be " + p.words[0] + " or " + p.words[1]);
    words[p.name] = word.name;
  }
  const auto &a = o.scheduleArgs;
  o.schedulePerEpoch = words["per"] == "epoch";
  if ((o.schedule == "step" && a.at("every") < 1) || (o.schedule == "cosine" && a.at("steps") < 1))
    diag.fatal(call.loc, std::string("the schedule's ") + (o.schedulePerEpoch ? "epoch" : "step") +
                             " count must be at least 1");
  if (o.schedule != "plateau") {
    commit();
    return;
  }
  o.monitor = words["monitor"];
  o.monitorLoc = at["monitor"];
  o.monitorMax = words["mode"] == "max";
  o.thresholdAbs = words["threshold_mode"] == "abs";
  for (const char *key : {"factor", "patience", "threshold", "cooldown", "min_lr", "eps"}) {
    SourceLoc loc = at.count(key) ? at[key] : call.loc;
    if (a.at(key) < 0)
      diag.fatal(loc, std::string("'") + key + "' must not be negative");
    if ((std::string(key) == "patience" || std::string(key) == "cooldown") &&
        a.at(key) != std::floor(a.at(key)))
      diag.fatal(loc, std::string("'") + key + "' must be a whole number of epochs");
  }
  if (a.at("factor") >= 1)
    diag.fatal(at["factor"], "'factor' must be below 1: it multiplies the learning rate");
  commit();
}

/// plateau's monitor is a name the metrics log has (TrainingLog.cpp): the
/// loss or a metric on the test data or the validation split. Checked
/// after every metric is declared.
static void checkScheduleMonitor(const Program &p, DiagnosticEngine &diag) {
  const OptimizerSpec &o = p.optimizer;
  if (o.schedule != "plateau")
    return;
  std::vector<std::string> logged = {"test_loss", "val_loss"};
  for (const Output &m : p.metrics) {
    logged.push_back("test_" + m.name);
    logged.push_back("val_" + m.name);
  }
  if (std::find(logged.begin(), logged.end(), o.monitor) == logged.end())
    diag.error(o.monitorLoc, "plateau monitors '" + o.monitor + "', which is never logged" +
                                 hint(o.monitor, logged));
}

// optimizer sgd(lr: 0.5, momentum: 0.9) | adam(...) | adamw | adamax | nadam | rmsprop
// | adagrad | adadelta
void Lowering::optimizer(const Decl &d) {
  // PyTorch's argument names and defaults.
  static const std::map<std::string, std::map<std::string, double>> known = {
      {"sgd", {{"lr", 0.01}, {"momentum", 0}, {"weight_decay", 0}, {"nesterov", 0}}},
      {"adam", {{"lr", 1e-3}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8},
                {"weight_decay", 0}, {"amsgrad", 0}}},
      {"adamw", {{"lr", 1e-3}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8},
                 {"weight_decay", 0.01}, {"amsgrad", 0}}},
      {"adamax", {{"lr", 2e-3}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8},
                  {"weight_decay", 0}}},
      {"nadam", {{"lr", 2e-3}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8},
                 {"weight_decay", 0}, {"momentum_decay", 4e-3}}},
      {"adadelta", {{"lr", 1.0}, {"rho", 0.9}, {"eps", 1e-6}, {"weight_decay", 0}}},
      {"rmsprop", {{"lr", 0.01}, {"alpha", 0.99}, {"eps", 1e-8}, {"momentum", 0},
                   {"weight_decay", 0}}},
      {"adagrad", {{"lr", 0.01}, {"eps", 1e-10}, {"weight_decay", 0},
                   {"initial_accumulator", 0}}},
  };
  auto found = known.find(d.name);
  if (found == known.end())
    diag_.fatal(d.nameLoc, "unknown optimizer '" + d.name + "'" +
                               hint(d.name, {"sgd", "adam", "adamw", "adamax", "nadam", "rmsprop",
                                             "adagrad", "adadelta"}));
  OptimizerSpec &o = program_->optimizer;
  if (o.loc.valid()) {
    diag_.error(d.loc, "a model has one optimizer; this is a second");
    diag_.note(o.loc, "the first optimizer is here");
    throw CompileError{};
  }
  o.kind = d.name;
  o.loc = d.loc;
  o.args = found->second;
  for (size_t i = 0; i < d.entries.size(); ++i) {
    const KeyValue &e = d.entries[i];
    std::string key = e.key.empty() ? (i == 0 ? "lr" : "") : e.key;
    if (key.empty())
      diag_.fatal(e.loc, "only the first optimizer argument (lr) may be positional");
    if (key == "schedule") {
      parseSchedule(*e.value, o, diag_,
                    [&](const Expr &x, const std::string &what) { return scalarLiteral(x, what); });
      continue;
    }
    double v = scalarLiteral(*e.value, key);
    if (key == "clip_norm" || key == "clip_value") {
      if (!(v > 0))
        diag_.fatal(e.value->loc, "'" + key + "' must be positive");
      o.args[key] = v;
      continue;
    }
    if (key == "warmup") {
      if (v < 0 || v != std::floor(v))
        diag_.fatal(e.value->loc, "'warmup' must be a whole number of steps");
      o.args[key] = v;
      continue;
    }
    if (!o.args.count(key)) {
      std::vector<std::string> names = {"clip_norm", "clip_value", "schedule", "warmup"};
      for (auto &kv : found->second)
        names.insert(names.end() - 4, kv.first);
      diag_.fatal(e.loc, "unknown argument '" + key + "' of optimizer '" + d.name + "'" +
                             hint(key, names));
    }
    if (v < 0)
      diag_.fatal(e.value->loc, "'" + key + "' must not be negative");
    if ((key == "beta1" || key == "beta2" || key == "alpha" || key == "rho") && v >= 1)
      diag_.fatal(e.value->loc, "'" + key + "' must be below 1");
    o.args[key] = v;
  }
  if (o.arg("nesterov", 0) != 0 && o.arg("momentum", 0) <= 0)
    diag_.fatal(d.loc, "nesterov momentum requires a momentum greater than 0");
}

// data NAME? { input: EXPR, ... }
void Lowering::data(const Decl &d) {
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
    if (!in) {
      std::vector<std::string> names;
      for (const Interface &i : program_->inputs)
        names.push_back(i.name);
      diag_.fatal(e.loc, "'" + e.key + "' is not an input or target of the model" +
                             didYouMean(e.key, names));
    }
    if (set.columns.count(e.key))
      diag_.fatal(e.loc, "data for '" + e.key + "' is given twice");
    Literal v = evalLiteral(*e.value, env, diag_);
    const TensorType &t = in->node->type;
    int64_t perSample = t.elementsPerSample();
    std::vector<int64_t> sampleDims(v.dims.begin() + (v.dims.empty() ? 0 : 1), v.dims.end());
    bool columnOfScalars = perSample == 1 && v.dims.size() == 1;
    if (v.dims.empty() || (!columnOfScalars && sampleDims != t.dims))
      diag_.fatal(e.value->loc, "data for '" + e.key + "' has shape " + dimsStr(v.dims) +
                                    "; expected [samples" + (t.dims.empty() ? "" : ", ") +
                                    t.shapeStr().substr(1));
    if (in->classes) // checked at the end: a later loss may declare an ignore_index
      labelChecks_.push_back({e.key, e.value->loc, v.data});
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
void Lowering::train(const Decl &d) {
  static const std::set<std::string> keys = {"batch", "steps", "epochs", "seed",
                                             "print_every", "eval_every"};
  if (trainLoc_.valid()) {
    diag_.error(d.loc, "a model has one train block; this is a second");
    diag_.note(trainLoc_, "the first train block is here");
    throw CompileError{};
  }
  trainLoc_ = d.loc;
  for (const KeyValue &e : d.entries) {
    if (program_->trainOptions.count(e.key))
      diag_.fatal(e.loc, "'" + e.key + "' is given twice");
    if (!keys.count(e.key))
      diag_.fatal(e.loc, "unknown train option '" + e.key + "'" +
                             hint(e.key, {"batch", "steps", "epochs", "seed", "print_every",
                                          "eval_every"}));
    double v = scalarLiteral(*e.value, e.key);
    if (v < 0 || v != std::floor(v) || (v == 0 && e.key != "seed") || v > double(kMaxCount))
      diag_.fatal(e.value->loc, "'" + e.key + "' must be a whole number in " +
                                    (e.key == "seed" ? "0" : "1") + "..2^53 (9007199254740992)");
    program_->trainOptions[e.key] = v;
  }
}

/// "; did you mean 'x'?" when one name is close, else "; expected a, b or c".
std::string hint(const std::string &name, const std::vector<std::string> &names) {
  std::string guess = didYouMean(name, names);
  if (!guess.empty())
    return guess;
  std::string list = "; expected ";
  for (size_t i = 0; i < names.size(); ++i)
    list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return list;
}

std::unique_ptr<Program> lowerModule(const ModuleAST &module, DiagnosticEngine &diag,
                                     const LoweringOptions &options) {
  return Lowering(diag, options).run(module);
}

} // namespace nnc
