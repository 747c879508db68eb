//===- Optimizer.cpp - optimizer steps and schedules as IR ----------------===//
//
// Update formulas as torch.optim (1.13) computes them, with t the number of
// steps taken before this one:
//   sgd      g = grad + wd p;  buf = momentum buf + g;  g = nesterov ? g + momentum buf : buf
//            p -= lr g
//   adam     g = grad + wd p;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//            p -= lr / (1 - b1^(t+1)) * m / (sqrt(v) / sqrt(1 - b2^(t+1)) + eps)
//   adamw    p *= 1 - lr wd, then adam without wd
//   rmsprop  g = grad + wd p;  v = alpha v + (1-alpha) g^2;  d = g / (sqrt(v) + eps)
//            momentum > 0: buf = momentum buf + d; p -= lr buf   else p -= lr d
//   adagrad  g = grad + wd p;  s += g^2;  p -= lr g / (sqrt(s) + eps)
//   amsgrad  (adam, adamw) v_max = max(v_max, v), used in place of v
//   adamax   g = grad + wd p;  m = b1 m + (1-b1) g;  u = max(b2 u, |g| + eps)
//            p -= lr / (1 - b1^(t+1)) * m / u
//   nadam    g = grad + wd p;  mu_s = b1 (1 - 0.96^(s psi) / 2);  P = prod_{s<=t+1} mu_s
//            m, v as adam;  d = sqrt(v / (1 - b2^(t+1))) + eps
//            p -= lr (1 - mu_{t+1}) / (1 - P) g / d + lr mu_{t+2} / (1 - P mu_{t+1} mu_{t+2}) m / d
//            (torch 1.13's mu_{t+1} twice in the last product)
//   adadelta g = grad + wd p;  v = rho v + (1-rho) g^2;  d = sqrt(a + eps) / sqrt(v + eps) g
//            a = rho a + (1-rho) d^2;  p -= lr d
// The learning rate is itself IR: a function of t, or of the epoch count
// the trainer sets, for schedules. Reduce-on-plateau is the exception: its
// rule runs between epochs on the host (reduceOnPlateau), and the compiled
// step only reads the factor it leaves in the state.
//===----------------------------------------------------------------------===//
#include "autodiff/Optimizer.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace nnc {
namespace {

class OptimizerEmitter {
public:
  explicit OptimizerEmitter(Program &p) : p_(p), G(p.graph), opt(p.optimizer) {}

  Node *step() { return p_.stepCounter(); }

  Node *f64(double v) { return G.scalar(DType::F64, v); }
  Node *add(Node *a, Node *b) { return G.binary(OpKind::Add, a, b); }
  Node *sub(Node *a, Node *b) { return G.binary(OpKind::Sub, a, b); }
  Node *mul(Node *a, Node *b) { return G.binary(OpKind::Mul, a, b); }
  Node *div(Node *a, Node *b) { return G.binary(OpKind::Div, a, b); }
  Node *pow(Node *a, Node *b) { return G.binary(OpKind::Pow, a, b); }

  /// An f64 scalar of optimizer state that schedules read, found by name
  /// (train_step and apply share it) or created with its initial value.
  Node *scheduleState(const std::string &name, double initial) {
    for (const StateTensor &existing : p_.state)
      if (existing.name == name && existing.kind == StateTensor::Kind::OptState)
        return existing.node;
    StateTensor s;
    s.name = name;
    s.type = TensorType{DType::F64, {}, false};
    s.kind = StateTensor::Kind::OptState;
    if (initial != 0) {
      s.init.kind = InitSpec::Kind::Constant;
      s.init.a = initial;
    }
    s.node = G.param(s.name, s.type, static_cast<int>(p_.state.size()));
    p_.state.push_back(s);
    return s.node;
  }

  /// lr at step t (f64 scalar): the schedule, then the linear warm-up.
  /// `per: epoch` schedules count the epochs completed instead of t.
  /// plateau multiplies by a factor the trainer lowers between epochs; its
  /// other state is only the trainer's, but lives in the model so that
  /// checkpoints keep it.
  Node *learningRate() {
    double base = opt.arg("lr", 0.01);
    if (opt.schedule.empty() && opt.arg("warmup", 0) == 0)
      return f64(base);
    bool perStep = !opt.schedule.empty() && opt.schedule != "plateau" && !opt.schedulePerEpoch;
    Node *t = perStep || opt.arg("warmup", 0) != 0 ? step() : nullptr;
    Node *lr = f64(base);
    const auto &s = opt.scheduleArgs;
    if (opt.schedule == "plateau") {
      lr = mul(lr, scheduleState(kLrFactorState, 1));
      // Worse than any value: torch's mode_worse is an infinity, which
      // --check-numerics would take for a broken state.
      scheduleState(kPlateauBestState, opt.monitorMax ? -DBL_MAX : DBL_MAX);
      scheduleState(kPlateauBadEpochsState, 0);
      scheduleState(kPlateauCooldownState, 0);
    } else if (!opt.schedule.empty()) {
      Node *n = opt.schedulePerEpoch ? scheduleState(kEpochState, 0) : t; // what it counts
      if (opt.schedule == "step") {
        Node *k = G.unary(OpKind::Floor, div(n, f64(s.at("every"))));
        lr = mul(lr, pow(f64(s.at("gamma")), k));
      } else if (opt.schedule == "exponential") {
        lr = mul(lr, pow(f64(s.at("gamma")), n));
      } else if (opt.schedule == "cosine") {
        // min + (base - min) (1 + cos(pi min(n, T) / T)) / 2
        double T = s.at("steps"), lo = s.at("min_lr");
        Node *tc = sub(n, G.unary(OpKind::Relu, sub(n, f64(T))));
        Node *c = G.unary(OpKind::Cos, mul(f64(M_PI / T), tc));
        lr = add(f64(lo), mul(f64((base - lo) / 2), add(f64(1), c)));
      }
    }
    if (double w = opt.arg("warmup", 0)) {
      // times min(1, (t + 1) / w)
      Node *frac = div(add(t, f64(1)), f64(w));
      lr = mul(lr, sub(f64(1), G.unary(OpKind::Relu, sub(f64(1), frac))));
    }
    return lr;
  }

  /// A new optimizer-state tensor shaped like parameter i.
  /// Reused when it exists: train_step and apply (--split-step) update the
  /// same optimizer state.
  Node *slot(size_t i, const std::string &suffix, double initial = 0) {
    StateTensor s;
    s.name = p_.state[i].name + "." + suffix;
    for (const StateTensor &existing : p_.state)
      if (existing.name == s.name && existing.kind == StateTensor::Kind::OptState)
        return existing.node;
    s.type = p_.state[i].type;
    s.kind = StateTensor::Kind::OptState;
    if (initial != 0) {
      s.init.kind = InitSpec::Kind::Constant;
      s.init.a = initial;
    }
    int index = static_cast<int>(p_.state.size());
    s.node = G.param(s.name, s.type, index);
    p_.state.push_back(s);
    return s.node;
  }

  void update(Node *slotNode, Node *value) { updates.push_back({slotNode->stateIndex, value}); }

  /// Nadam's product of the momentum coefficients mu_1 ... mu_(t+1), one f64
  /// scalar for the whole model (torch keeps an equal copy per parameter),
  /// updated once per step.
  Node *nadamMuProduct(Node *muNow) {
    if (muProduct)
      return muProduct;
    StateTensor s;
    s.name = "optimizer.mu_product";
    Node *state = nullptr;
    for (const StateTensor &existing : p_.state)
      if (existing.name == s.name && existing.kind == StateTensor::Kind::OptState)
        state = existing.node;
    if (!state) {
      s.type = TensorType{DType::F64, {}, false};
      s.kind = StateTensor::Kind::OptState;
      s.init.kind = InitSpec::Kind::Constant;
      s.init.a = 1;
      s.node = G.param(s.name, s.type, static_cast<int>(p_.state.size()));
      p_.state.push_back(s);
      state = s.node;
    }
    muProduct = mul(state, muNow);
    update(state, muProduct);
    return muProduct;
  }

  /// The gradients the update uses: clamped to +-clip_value, then scaled
  /// by min(1, clip_norm / (norm + 1e-6)), norm the 2-norm of every
  /// parameter gradient's 2-norm, as torch.nn.utils.clip_grad_value_ and
  /// clip_grad_norm_ (1.13) before optimizer.step().
  std::map<const Node *, Node *> clipped(const std::map<const Node *, Node *> &grads) {
    std::map<const Node *, Node *> out = grads;
    if (double c = opt.arg("clip_value", 0))
      for (auto &pg : out) {
        const TensorType &t = pg.second->type;
        Node *g = pg.second;
        g = G.select(G.binary(OpKind::Less, g, G.fill(-c, t)), G.fill(-c, t), g);
        pg.second = G.select(G.binary(OpKind::Greater, g, G.fill(c, t)), G.fill(c, t), g);
      }
    double maxNorm = opt.arg("clip_norm", 0);
    if (maxNorm == 0)
      return out;
    Node *squares = nullptr; // sum of the per-parameter norms squared, f64
    for (const StateTensor &s : p_.state) {
      auto found = out.find(s.node);
      if (s.kind != StateTensor::Kind::Param || found == out.end())
        continue;
      Node *g = found->second;
      Node *norm = G.unary(OpKind::Sqrt, G.sumTo(mul(g, g), TensorType{g->type.dtype, {}, false}));
      norm = G.cast(norm, DType::F64);
      squares = squares ? add(squares, mul(norm, norm)) : mul(norm, norm);
    }
    if (!squares)
      return out;
    Node *coef = div(f64(maxNorm), add(G.unary(OpKind::Sqrt, squares), f64(1e-6)));
    coef = G.select(G.binary(OpKind::Greater, coef, f64(1)), f64(1), coef);
    for (auto &pg : out)
      pg.second = mul(pg.second, G.broadcastTo(G.cast(coef, pg.second->type.dtype), pg.second->type));
    return out;
  }

  void emit(const std::map<const Node *, Node *> &unclipped) {
    std::map<const Node *, Node *> grads = clipped(unclipped);
    Node *lr64 = learningRate();
    lr = lr64;
    size_t count = p_.state.size();
    for (size_t i = 0; i < count; ++i) {
      if (p_.state[i].kind != StateTensor::Kind::Param)
        continue;
      Node *param = p_.state[i].node;
      auto found = grads.find(param);
      if (found == grads.end())
        continue; // the loss does not depend on it: like PyTorch's grad None
      const TensorType &ty = param->type;
      // Scalars computed in f64 (t, schedules, bias corrections), then
      // converted to the parameter's type and broadcast.
      auto bc = [&](Node *scalar64) { return G.broadcastTo(G.cast(scalar64, ty.dtype), ty); };
      auto k = [&](double v) { return G.fill(v, ty); };
      Node *lr = bc(lr64);
      Node *g = found->second;
      double wd = opt.arg("weight_decay", 0);
      Node *p = param;
      if (opt.kind == "adamw" && wd != 0)
        p = mul(p, sub(k(1), mul(lr, k(wd))));
      else if (wd != 0)
        g = add(g, mul(k(wd), param));
      Node *next = nullptr;
      if (opt.kind == "sgd") {
        double mom = opt.arg("momentum", 0);
        if (mom != 0) {
          Node *buf = slot(i, "momentum");
          Node *nb = add(mul(k(mom), buf), g);
          update(buf, nb);
          g = opt.arg("nesterov", 0) != 0 ? add(g, mul(k(mom), nb)) : nb;
        }
        next = sub(p, mul(lr, g));
      } else if (opt.kind == "adam" || opt.kind == "adamw") {
        double b1 = opt.arg("beta1", 0.9), b2 = opt.arg("beta2", 0.999), eps = opt.arg("eps", 1e-8);
        Node *m = slot(i, "exp_avg"), *v = slot(i, "exp_avg_sq");
        Node *nm = add(mul(k(b1), m), mul(k(1 - b1), g));
        Node *nv = add(mul(k(b2), v), mul(k(1 - b2), mul(g, g)));
        update(m, nm);
        update(v, nv);
        Node *t1 = add(step(), f64(1));
        Node *bc1 = sub(f64(1), pow(f64(b1), t1));
        Node *bc2sqrt = G.unary(OpKind::Sqrt, sub(f64(1), pow(f64(b2), t1)));
        Node *stepSize = bc(div(lr64, bc1));
        Node *second = nv;
        if (opt.arg("amsgrad", 0) != 0) {
          Node *vmax = slot(i, "max_exp_avg_sq");
          second = G.binary(OpKind::Maximum, vmax, nv);
          update(vmax, second);
        }
        Node *denom = add(div(G.unary(OpKind::Sqrt, second), bc(bc2sqrt)), k(eps));
        next = sub(p, mul(stepSize, div(nm, denom)));
      } else if (opt.kind == "adamax") {
        double b1 = opt.arg("beta1", 0.9), b2 = opt.arg("beta2", 0.999), eps = opt.arg("eps", 1e-8);
        Node *m = slot(i, "exp_avg"), *u = slot(i, "exp_inf");
        Node *nm = add(mul(k(b1), m), mul(k(1 - b1), g));
        Node *nu = G.binary(OpKind::Maximum, mul(k(b2), u), add(G.unary(OpKind::Abs, g), k(eps)));
        update(m, nm);
        update(u, nu);
        Node *bc1 = sub(f64(1), pow(f64(b1), add(step(), f64(1))));
        next = sub(p, mul(bc(div(lr64, bc1)), div(nm, nu)));
      } else if (opt.kind == "nadam") {
        double b1 = opt.arg("beta1", 0.9), b2 = opt.arg("beta2", 0.999), eps = opt.arg("eps", 1e-8);
        double psi = opt.arg("momentum_decay", 4e-3);
        Node *t1 = add(step(), f64(1));
        auto mu = [&](Node *s) { // b1 (1 - 0.96^(s psi) / 2)
          return mul(f64(b1), sub(f64(1), mul(f64(0.5), pow(f64(0.96), mul(s, f64(psi))))));
        };
        Node *muNow = mu(t1), *muNext = mu(add(t1, f64(1)));
        Node *product = nadamMuProduct(muNow);
        Node *m = slot(i, "exp_avg"), *v = slot(i, "exp_avg_sq");
        Node *nm = add(mul(k(b1), m), mul(k(1 - b1), g));
        Node *nv = add(mul(k(b2), v), mul(k(1 - b2), mul(g, g)));
        update(m, nm);
        update(v, nv);
        Node *bc2 = sub(f64(1), pow(f64(b2), t1));
        Node *denom = add(G.unary(OpKind::Sqrt, div(nv, bc(bc2))), k(eps));
        Node *gradScale = div(mul(lr64, sub(f64(1), muNow)), sub(f64(1), product));
        // torch 1.13 takes mu_(t+1) twice in this product (mu_product * mu *
        // mu_next after mu_product *= mu); later versions do not. 1.13's here.
        Node *momentumScale = div(mul(lr64, muNext), sub(f64(1), mul(mul(product, muNow), muNext)));
        next = sub(sub(p, mul(bc(gradScale), div(g, denom))), mul(bc(momentumScale), div(nm, denom)));
      } else if (opt.kind == "adadelta") {
        double rho = opt.arg("rho", 0.9), eps = opt.arg("eps", 1e-6);
        Node *v = slot(i, "square_avg"), *a = slot(i, "acc_delta");
        Node *nv = add(mul(k(rho), v), mul(k(1 - rho), mul(g, g)));
        Node *delta = mul(div(G.unary(OpKind::Sqrt, add(a, k(eps))), G.unary(OpKind::Sqrt, add(nv, k(eps)))), g);
        update(v, nv);
        update(a, add(mul(k(rho), a), mul(k(1 - rho), mul(delta, delta))));
        next = sub(p, mul(lr, delta));
      } else if (opt.kind == "rmsprop") {
        double alpha = opt.arg("alpha", 0.99), eps = opt.arg("eps", 1e-8);
        double mom = opt.arg("momentum", 0);
        Node *v = slot(i, "square_avg");
        Node *nv = add(mul(k(alpha), v), mul(k(1 - alpha), mul(g, g)));
        update(v, nv);
        Node *d = div(g, add(G.unary(OpKind::Sqrt, nv), k(eps)));
        if (mom != 0) {
          Node *buf = slot(i, "momentum");
          d = add(mul(k(mom), buf), d);
          update(buf, d);
        }
        next = sub(p, mul(lr, d));
      } else { // adagrad
        double eps = opt.arg("eps", 1e-10);
        Node *sum = slot(i, "sum", opt.arg("initial_accumulator", 0));
        Node *ns = add(sum, mul(g, g));
        update(sum, ns);
        next = sub(p, mul(lr, div(g, add(G.unary(OpKind::Sqrt, ns), k(eps)))));
      }
      next->name = p_.state[i].name + ".next";
      updates.push_back({static_cast<int>(i), next});
    }
  }

  Program &p_;
  Graph &G;
  const OptimizerSpec &opt;
  std::vector<std::pair<int, Node *>> updates;
  Node *lr = nullptr;
  Node *muProduct = nullptr; // nadam: prod mu_1 ... mu_(t+1), once per step
};

} // namespace

bool reduceOnPlateau(const OptimizerSpec &opt, PlateauState &s, double value) {
  const auto &a = opt.scheduleArgs;
  double threshold = a.at("threshold");
  // torch 1.13's is_better; NaN is never better.
  bool better;
  if (opt.monitorMax)
    better = opt.thresholdAbs ? value > s.best + threshold : value > s.best * (1 + threshold);
  else
    better = opt.thresholdAbs ? value < s.best - threshold : value < s.best * (1 - threshold);
  if (better) {
    s.best = value;
    s.badEpochs = 0;
  } else {
    s.badEpochs += 1;
  }
  if (s.cooldown > 0) { // bad epochs in cooldown do not count
    s.cooldown -= 1;
    s.badEpochs = 0;
  }
  if (!(s.badEpochs > a.at("patience")))
    return false;
  s.cooldown = a.at("cooldown");
  s.badEpochs = 0;
  // torch's _reduce_lr on the learning rate itself: new = max(old factor,
  // min_lr), kept only when it falls by more than eps.
  double base = opt.arg("lr", 0.01), old = base * s.lrFactor;
  double lowered = std::max(old * a.at("factor"), a.at("min_lr"));
  if (!(old - lowered > a.at("eps")) || base == 0)
    return false;
  s.lrFactor = lowered / base;
  return true;
}

std::vector<std::pair<int, Node *>>
buildOptimizerUpdates(Program &p, const std::map<const Node *, Node *> &grads,
                      Node **learningRate) {
  OptimizerEmitter e(p);
  e.emit(grads);
  if (learningRate)
    *learningRate = e.lr;
  return e.updates;
}

} // namespace nnc
