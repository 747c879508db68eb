//===- Layers.cpp - sema: layers that own parameters, and user defs -------===//
//
// Layers are sugar: each creates its named parameters and expands into
// primitive IR ops (dense = matmul + add; the window layers in
// Convolution.cpp), so a user could write any of them by hand and every one
// has the gradient its primitives give.
//
//===----------------------------------------------------------------------===//
#include "sema/Lowering.h"

#include <algorithm>
#include <cmath>

namespace nnc {

static const std::set<std::string> kLayers = {"dense",      "dropout", "batchnorm", "embedding",
                                              "layer_norm", "rms_norm", "multi_head_attention",
                                              "prelu",      "group_norm", "rnn", "lstm", "gru"};

bool Lowering::isLayer(const std::string &name) const {
  return kLayers.count(name) != 0 || isWindowLayer(name) || isResamplingLayer(name);
}

Node *Lowering::createParam(const std::string &name, const TensorType &t, const InitSpec &init,
                            bool trainable, SourceLoc loc, const char *fix) {
  for (const StateTensor &s : program_->state)
    if (s.name == name) {
      diag_.error(loc, "parameter '" + name + "' is defined twice; " + fix);
      diag_.note(s.loc, "'" + name + "' was defined here");
      throw CompileError{};
    }
  StateTensor s;
  s.name = name;
  s.type = t;
  s.init = init;
  s.kind = trainable ? StateTensor::Kind::Param : StateTensor::Kind::Frozen;
  s.loc = loc;
  int index = static_cast<int>(program_->state.size());
  s.node = program_->graph.param(name, t, index, loc);
  program_->state.push_back(s);
  return visible(s.node);
}

/// `name:` if given; else the value the layer defines (`conv1`), prefixed
/// by the def uses it is inside (`block1.conv1`); a layer in a def's result
/// is named after the use (`b1`); a second layer in the same declaration
/// gets `_2`, and so on.
std::string Lowering::layerName(const CallArgs &args, const std::string &kind) {
  std::vector<std::string> parts = prefixes_;
  if (const Expr *n = args.get("name")) {
    if (n->kind != Expr::Kind::Name)
      diag_.fatal(n->loc, "'name' must be an identifier or a quoted name, e.g. name: fc1 or "
                          "name: \"layer1.0.conv1\"");
    parts.push_back(n->name);
  } else if (!currentLet_.empty()) {
    parts.push_back(currentLet_);
    if (++layersInLet_ > 1)
      parts.back() += "_" + std::to_string(layersInLet_);
  } else if (!parts.empty()) {
    // The result expression of a def: named after the use itself.
    if (++layersInLet_ > 1)
      parts.back() += "_" + std::to_string(layersInLet_);
  } else {
    int count = 1;
    for (const StateTensor &s : program_->state)
      if (s.name.rfind(kind + "_", 0) == 0 && s.name.find(".weight") != std::string::npos)
        ++count;
    parts.push_back(kind + "_" + std::to_string(count));
  }
  std::string name;
  for (const std::string &p : parts)
    name += (name.empty() ? "" : ".") + p;
  return name;
}

InitSpec Lowering::layerInit(const CallArgs &args, const std::string &key,
                             const std::string &paramName, const TensorType &t, int64_t fanIn,
                             int64_t fanOut, bool isBias) {
  const Expr *e = args.get(key);
  if (!e)
    e = isBias ? defaultBiasInit_ : defaultWeightInit_;
  if (e)
    return init(*e, t, paramName, fanIn, fanOut);
  // PyTorch's default for Linear and Conv2d: kaiming_uniform(a = sqrt(5)) for
  // the weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias; both
  // amount to that same bound.
  InitSpec spec;
  spec.kind = InitSpec::Kind::Uniform;
  double bound = 1.0 / std::sqrt(double(fanIn));
  spec.a = -bound;
  spec.b = bound;
  return spec;
}

Node *Lowering::seedState() {
  if (!scans_.empty())
    diag_.fatal(scanLoc_, "dropout inside a scan's cell is not supported; apply it to the "
                          "scan's input or result");
  for (const StateTensor &s : program_->state)
    if (s.name == "rng.seed")
      return s.node;
  StateTensor s;
  s.name = "rng.seed";
  s.type = TensorType{DType::F64, {}, false};
  s.kind = StateTensor::Kind::OptState;
  s.init.kind = InitSpec::Kind::Seed;
  int index = static_cast<int>(program_->state.size());
  s.node = program_->graph.param(s.name, s.type, index);
  program_->state.push_back(s);
  return s.node;
}

/// `trainable:` (default true): false makes the layer's parameters frozen.
bool Lowering::trainableArg(const CallArgs &a) {
  return !a.get("trainable") || scalarLiteral(*a.get("trainable"), "trainable") != 0;
}

Value Lowering::layer(const Expr &e) {
  Graph &g = graph();
  const std::string &fn = e.name;
  auto wrap = [](Node *n) { return Value{n, {}}; };
  if (fn == "dense") {
    CallArgs a = bind(e, {"x", "units", "bias", "init", "bias_init", "name", "trainable"}, 2);
    Node *x = tensorArg(a, "x");
    if (x->type.dims.empty())
      operandError(*a.get("x"), "'dense' needs a vector per sample, got a scalar");
    int64_t in = x->type.dims.back();
    int64_t units = intLiteral(*a.get("units"), "units", 1, int64_t(1) << 24);
    std::string name = layerName(a, "dense");
    TensorType wt{x->type.dtype, {units, in}, false};
    Node *w = createParam(name + ".weight", wt,
                          layerInit(a, "init", name + ".weight", wt, in, units, false),
                          trainableArg(a), a.call->loc);
    Node *y = g.matmul(x, w, false, true); // x W^T, as torch.nn.Linear
    return wrap(layerBias(a, name, y, units, in, units));
  }

  if (fn == "embedding")
    return wrap(embedding(e));
  if (fn == "rnn" || fn == "lstm" || fn == "gru")
    return recurrent(e);
  if (fn == "layer_norm")
    return wrap(layerNorm(e));
  if (fn == "prelu")
    return wrap(prelu(e));
  if (fn == "group_norm")
    return wrap(groupNorm(e));
  if (fn == "multi_head_attention")
    return wrap(multiHeadAttention(e));
  if (isWindowLayer(fn))
    return wrap(windowLayer(e));
  if (isResamplingLayer(fn))
    return wrap(resampling(e));
  if (fn == "rms_norm")
    return wrap(rmsNorm(e));

  if (fn == "dropout") {
    CallArgs a = bind(e, {"x", "rate"}, 2);
    Node *x = tensorArg(a, "x");
    double rate = scalarLiteral(*a.get("rate"), "rate");
    if (rate < 0 || rate >= 1)
      diag_.fatal(a.get("rate")->loc, "dropout 'rate' must be in [0, 1)");
    Node *step = program_->stepCounter(), *seed = seedState();
    Node *mask = g.dropoutMask(step, seed, x->type, rate);
    return wrap(g.binary(OpKind::Mul, x, mask));
  }

  // batchnorm: statistics per channel (the last axis) over the batch and
  // every other axis. Training normalises with the batch's statistics and
  // moves the running ones (momentum 0.1, unbiased variance, as PyTorch);
  // predict and eval use the running ones.
  CallArgs a = bind(e, {"x", "momentum", "eps", "name", "trainable"}, 1);
  Node *x = tensorArg(a, "x");
  if (x->type.dims.empty() || !x->type.batched)
    operandError(*a.get("x"), "'batchnorm' needs a per-sample tensor with channels last");
  double momentum = a.get("momentum") ? scalarLiteral(*a.get("momentum"), "momentum") : 0.1;
  double eps = a.get("eps") ? scalarLiteral(*a.get("eps"), "eps") : 1e-5;
  if (momentum < 0 || momentum > 1)
    diag_.fatal(a.get("momentum")->loc, "batchnorm 'momentum' must be in [0, 1]");
  if (!(eps > 0))
    diag_.fatal(a.get("eps")->loc, "batchnorm 'eps' must be positive");
  std::string name = layerName(a, "batchnorm");
  DType dt = x->type.dtype;
  int64_t C = x->type.dims.back();
  TensorType ct{dt, {C}, false};
  InitSpec ones;
  ones.kind = InitSpec::Kind::Constant;
  ones.a = 1;
  Node *gamma = createParam(name + ".weight", ct, ones, trainableArg(a), a.call->loc);
  Node *beta = createParam(name + ".bias", ct, InitSpec{}, trainableArg(a), a.call->loc);
  Node *runMean = createParam(name + ".running_mean", ct, InitSpec{}, false, a.call->loc);
  Node *runVar = createParam(name + ".running_var", ct, ones, false, a.call->loc);
  program_->state[runMean->stateIndex].kind = StateTensor::Kind::Buffer;
  program_->state[runVar->stateIndex].kind = StateTensor::Kind::Buffer;

  std::vector<int64_t> keptDims(x->type.dims.size(), 1);
  keptDims.back() = C;
  TensorType kept{dt, keptDims, false}; // per channel, batch reduced too
  int64_t spatial = x->type.elementsPerSample() / C;
  Node *count = g.binary(OpKind::Mul, g.batchSize(dt), g.scalar(dt, double(spatial)));
  auto perChannel = [&](Node *v) {
    return g.reshape(g.binary(OpKind::Div, g.sumTo(v, kept), g.broadcastTo(count, kept)), {C});
  };
  Node *batchMean = perChannel(x);
  Node *centered = g.binary(OpKind::Sub, x, g.broadcastTo(batchMean, x->type));
  Node *batchVar = perChannel(g.binary(OpKind::Mul, centered, centered));
  Node *mu = g.modeSelect(batchMean, runMean);
  Node *var = g.modeSelect(batchVar, runVar);
  Node *denom = g.unary(OpKind::Sqrt, g.binary(OpKind::Add, var, scalarOf(eps, ct)));
  Node *scale = g.binary(OpKind::Div, gamma, denom);
  Node *shifted = g.binary(OpKind::Sub, x, g.broadcastTo(mu, x->type));
  Node *y = g.binary(OpKind::Add, g.binary(OpKind::Mul, shifted, g.broadcastTo(scale, x->type)),
                     g.broadcastTo(beta, x->type));
  // Running statistics: (1 - m) * running + m * batch (variance unbiased).
  Node *keepOld = scalarOf(1 - momentum, ct), *takeNew = scalarOf(momentum, ct);
  Node *unbias = g.binary(OpKind::Div, count,
                          g.binary(OpKind::Sub, count, g.scalar(dt, 1.0)));
  Node *newMean = g.binary(OpKind::Add, g.binary(OpKind::Mul, keepOld, runMean),
                           g.binary(OpKind::Mul, takeNew, batchMean));
  Node *newVar = g.binary(OpKind::Add, g.binary(OpKind::Mul, keepOld, runVar),
                          g.binary(OpKind::Mul, takeNew, g.binary(OpKind::Mul, batchVar,
                                                                  g.broadcastTo(unbias, ct))));
  program_->bufferUpdates.push_back({runMean->stateIndex, newMean});
  program_->bufferUpdates.push_back({runVar->stateIndex, newVar});
  return wrap(y);
}

/// nn.Embedding(num_embeddings, embedding_dim, padding_idx): a weight
/// [V, D] drawn from N(0, 1), rows picked by class indices of any shape.
/// The padding row starts at zero and gets no gradient: it is read through
/// a stop_gradient, so the forward value stays exactly the weight's.
Node *Lowering::embedding(const Expr &e) {
  Graph &g = graph();
  CallArgs a = bind(e, {"tokens", "num_embeddings", "embedding_dim", "padding_idx", "init",
                        "dtype", "name", "trainable"}, 3);
  Node *tokens = tensorExpr(*a.get("tokens"), "embedding");
  int64_t V = intLiteral(*a.get("num_embeddings"), "num_embeddings", 1, int64_t(1) << 30);
  int64_t D = intLiteral(*a.get("embedding_dim"), "embedding_dim", 1, int64_t(1) << 24);
  int64_t classes = classesOf(tokens);
  if (tokens->type.dtype != DType::I32 || !classes)
    operandError(*a.get("tokens"), "'embedding' needs class indices (e.g. input tokens: "
                                   "class(" + std::to_string(V) + ")[T]), got " +
                                       tokens->type.str());
  if (classes > V)
    operandError(*a.get("tokens"), "the tokens are class(" + std::to_string(classes) +
                                       ") but the embedding has " + std::to_string(V) +
                                       " rows; num_embeddings must be at least " +
                                       std::to_string(classes));
  DType dt = options_.forceF64 ? DType::F64 : DType::F32;
  if (const Expr *d = a.get("dtype")) {
    if (d->kind != Expr::Kind::Name)
      diag_.fatal(d->loc, "'dtype' is f32 or f64");
    dt = dtype(d->name, d->loc);
  }
  int64_t pad = -1;
  if (const Expr *p = a.get("padding_idx")) {
    pad = intLiteral(*p, "padding_idx", -V, V - 1);
    if (pad < 0)
      pad += V; // PyTorch counts a negative padding_idx from the end
  }
  std::string name = layerName(a, "embedding");
  TensorType wt{dt, {V, D}, false};
  InitSpec spec;
  if (const Expr *i = a.get("init")) {
    spec = init(*i, wt, name + ".weight", D, V);
  } else {
    spec.kind = InitSpec::Kind::Normal;
    spec.a = 0;
    spec.b = 1;
  }
  spec.zeroRow = pad;
  Node *w = createParam(name + ".weight", wt, spec, trainableArg(a), e.loc);
  if (pad >= 0) {
    std::vector<double> keep(V, 1.0);
    keep[pad] = 0;
    Node *mask = g.broadcastTo(g.constant(dt, {V, 1}, keep), wt);
    w = g.select(mask, w, g.unary(OpKind::StopGradient, w));
  }
  return g.gather(w, tokens, 0);
}

/// An error at a layer's input, with a note where that input was declared.
void Lowering::operandError(const Expr &operand, const std::string &message) {
  diag_.error(operand.loc, message);
  noteDeclared(operand);
  throw CompileError{};
}

/// A user function: `def f(x, n) = expr` or `def f(x, n) { a = ...; return expr }`.
/// Arguments are tensors or numbers; layers inside are named after the use
/// (`b1 = block(x, 64)` gives `b1.conv.weight`).
Value Lowering::callDef(const Expr &e) {
  const Decl &def = *defs_.at(e.name);
  CallArgs a = bind(e, def.params, def.params.size());
  std::map<std::string, Symbol> scope;
  for (size_t i = 0; i < def.params.size(); ++i)
    scope[def.params[i]] = Symbol{expr(*a.exprs[i]), a.locs[i], "argument"};
  return expandDef(def, e.name, e.loc, std::move(scope));
}

Value Lowering::expandDef(const Decl &def, const std::string &fn, SourceLoc loc,
                          std::map<std::string, Symbol> scope) {
  if (std::count(expanding_.begin(), expanding_.end(), fn))
    diag_.fatal(loc, "'" + fn + "' calls itself; a def cannot be recursive");
  if (defDepth_ >= 32)
    diag_.fatal(loc, "calls of '" + fn + "' nest more than 32 deep");
  const std::string currentLetBefore = currentLet_;
  std::string use = currentLet_;
  if (use.empty()) {
    // Outside a declaration (in a loss, say): uses are f, f_2, ...
    int n = ++anonymousUses_[fn];
    use = n == 1 ? fn : fn + "_" + std::to_string(n);
  }
  int savedLayers = layersInLet_;
  prefixes_.push_back(use);
  scopes_.push_back(std::move(scope));
  expanding_.push_back(fn);
  ++defDepth_;
  Value result;
  try {
    for (const Decl &d : def.body)
      decl(d);
    currentLet_.clear();
    layersInLet_ = 0;
    result = expr(*def.value);
  } catch (const CompileError &) {
    diag_.note(loc, "in this use of '" + fn + "'");
    expanding_.pop_back();
    --defDepth_;
    scopes_.pop_back();
    prefixes_.pop_back();
    throw;
  }
  expanding_.pop_back();
  --defDepth_;
  scopes_.pop_back();
  prefixes_.pop_back();
  // Layers in the def's result were named after the use; later layers of
  // the same declaration continue the count (h, then h_2).
  int resultLayers = layersInLet_;
  currentLet_ = currentLetBefore;
  layersInLet_ = savedLayers + resultLayers;
  return result;
}

/// `blocks = repeat(block(x, 64), 4)`: the call applied 4 times, each
/// result fed back as its first argument, each repetition with its own
/// parameters under `blocks.0.`, `blocks.1.`, ... (nn.Sequential's names).
Value Lowering::repeat(const Expr &e) {
  CallArgs a = bind(e, {"block", "times"}, 2);
  const Expr *block = a.get("block");
  if (block->kind != Expr::Kind::Call || block->operands.empty() || !block->argNames[0].empty())
    diag_.fatal(block->loc, "'repeat' takes a call whose first argument is the input, e.g. "
                            "repeat(block(x, 64), 4)");
  int64_t times = intLiteral(*a.get("times"), "times", 1, 1024);
  std::string base;
  if (!currentLet_.empty())
    base = currentLet_ + ".";
  else if (prefixes_.empty())
    diag_.fatal(e.loc, "'repeat' names its parameters after the value it defines; write "
                       "NAME = repeat(...)");
  const Expr *input = block->operands[0].get();
  Value first = expr(*input);
  if (first.isLiteral())
    diag_.fatal(input->loc, "'repeat' needs a tensor as the block's input");
  const std::string letBefore = currentLet_;
  const int layersBefore = layersInLet_;
  Value current = first;
  for (int64_t i = 0; i < times; ++i) {
    currentLet_ = base + std::to_string(i);
    layersInLet_ = 0;
    substitutes_[input] = current;
    Value next;
    try {
      next = expr(*block);
    } catch (const CompileError &) {
      substitutes_.erase(input);
      throw;
    }
    if (next.isLiteral() || next.node->type.dims != first.node->type.dims ||
        next.node->type.dtype != first.node->type.dtype) {
      substitutes_.erase(input);
      diag_.fatal(block->loc, "'repeat' feeds each result back as the input, but '" +
                                  block->name + "' maps " + first.node->type.str() + " to " +
                                  (next.isLiteral() ? std::string("a constant")
                                                    : next.node->type.str()));
    }
    current = next;
  }
  substitutes_.erase(input);
  currentLet_ = letBefore;
  layersInLet_ = layersBefore;
  return current;
}

// init WEIGHT_INIT (, bias BIAS_INIT)?
void Lowering::initDefaults(const Decl &d) {
  if (d.value->kind != Expr::Kind::Call && !isLiteralExpr(*d.value, literals_))
    diag_.fatal(d.value->loc, "'init' takes an initializer such as truncated_normal(0.1)");
  defaultWeightInit_ = d.value.get();
  for (const KeyValue &kv : d.entries) {
    if (kv.key != "bias")
      diag_.fatal(kv.loc, "'init' takes a weight initializer and then 'bias ...'");
    defaultBiasInit_ = kv.value.get();
  }
}

} // namespace nnc
