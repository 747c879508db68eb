//===- Generate.cpp - nnc generate: sampling text from a trained model ----===//
//
// Two ways to get the logits of the next character:
//
// Stepping (models with rnn/lstm/gru layers): the model is compiled a second
// time with one character per call and every recurrent layer carrying its
// state (LoweringOptions::tokenSteps, ::stateful), so each new character
// costs one step of the network, however long the text grows. Whether the
// rest of the model treats positions independently, as stepping assumes,
// is checked on the prompt first: the stepped logits must equal the window
// model's at every position, or generation falls back to windows (said).
//
// Windows (every other model): the model reads a window of T characters and
// gives logits [T, vocab]; the next character is drawn from the logits at
// the last real position. A prompt shorter than T fills the window's head
// and the rest is padding (token 0) after it, which a causal model never
// sees from earlier positions; a longer text keeps its last T characters
// (nanoGPT's crop).
//
//===----------------------------------------------------------------------===//
#include "driver/ModelInstance.h"
#include "driver/Session.h"
#include "support/Json.h"

#include <cmath>
#include <iostream>

namespace nnc {
namespace {

/// The predict result with one row of logits per window position.
int logitsResult(const Program &p, const Entry &predict, int64_t T, int64_t V) {
  for (size_t r = 0; r < predict.results.size(); ++r) {
    const TensorType &t = predict.results[r]->type;
    if (predict.resultRoles[r] == ResultRole::Output && t.batched && t.dtype != DType::I32 &&
        t.dims == std::vector<int64_t>{T, V})
      return static_cast<int>(r);
  }
  std::cerr << "nnc: error: model '" << p.modelName << "' has no output of shape [" << T << ", "
            << V << "] (logits for every position of its window) to sample from\n";
  return -1;
}

bool hasRecurrentLayer(const Program &p) {
  for (auto &n : p.graph.nodes())
    if (n->op == OpKind::Scan)
      return true;
  return false;
}

/// Logits of the next character, from windows or by stepping.
class NextToken {
public:
  NextToken(Session &s, const Interface &input, int64_t V) : s_(s), input_(input), V_(V) {}

  /// The window model; false (printed) on errors.
  bool startWindows() {
    const Program &p = *s_.program;
    T_ = input_.node->type.dims[0];
    if (jitCompile(s_, {"predict"}) == Stage::Failed)
      return false;
    logits_ = logitsResult(p, *p.entry("predict"), T_, V_);
    window_ = logits_ < 0 ? nullptr : instance(s_);
    return window_ != nullptr;
  }

  /// The stepping model, when the model has recurrent layers and stepping
  /// gives the window model's logits on `probe`; false leaves windows on.
  bool startStepping(const std::vector<int32_t> &probe) {
    if (s_.opts.recompute || !hasRecurrentLayer(*s_.program))
      return false;
    step_ = std::make_unique<Session>();
    step_->opts = s_.opts;
    step_->opts.stateful = true;
    step_->opts.quiet = true;
    step_->tokenSteps = 1;
    step_->vocab = s_.vocab;
    if (runFrontEnd(*step_) != Stage::Continue || jitCompile(*step_, {"predict"}) == Stage::Failed)
      return fallBack("the model does not compile with one character per call");
    stepLogits_ = logitsResult(*step_->program, *step_->program->entry("predict"), 1, V_);
    if (stepLogits_ < 0)
      return false;
    stepper_ = instance(*step_);
    if (!stepper_)
      return fallBack("its parameters do not fit the one-character model");
    // The probe through both: every position's logits must agree.
    size_t n = std::min<size_t>(probe.size(), static_cast<size_t>(T_));
    std::vector<double> windowed;
    if (!windowLogits(probe, n, windowed))
      return false;
    double worst = 0, scale = 1;
    for (size_t t = 0; t < n; ++t) {
      if (!feed(probe[t]))
        return false;
      for (int64_t v = 0; v < V_; ++v) {
        double w = windowed[t * V_ + v];
        worst = std::max(worst, std::fabs(w - last_[v]));
        scale = std::max(scale, std::fabs(w));
      }
    }
    nnrt_model_reset_state(stepper_->raw());
    if (!(worst <= 1e-4 * scale)) // NaN too
      return fallBack("stepping changes the logits (by " + formatNumber(worst) +
                      "): positions are not independent outside the recurrent layers");
    stepping_ = true;
    if (!s_.opts.quiet)
      std::cerr << "nnc: note: one character per step, the recurrent state carried "
                   "(checked against the window model on the prompt)\n";
    return true;
  }

  bool stepping() const { return stepping_; }

  /// Logits after `tokens` (the whole text so far; stepping reads only
  /// what it has not seen yet).
  bool next(const std::vector<int32_t> &tokens, const double *&row) {
    if (stepping_) {
      for (; fed_ < tokens.size(); ++fed_)
        if (!feed(tokens[fed_]))
          return false;
      row = last_.data();
      return true;
    }
    size_t used = std::min<size_t>(tokens.size(), static_cast<size_t>(T_));
    if (!windowLogits(std::vector<int32_t>(tokens.end() - used, tokens.end()), used, all_))
      return false;
    row = all_.data() + (used - 1) * V_;
    return true;
  }

private:
  std::unique_ptr<ModelInstance> instance(Session &s) {
    auto m = ModelInstance::create(*s.program, s.jit->descriptor(), s.opts.seed.value_or(1), 1);
    if (!m || !m->setThreads(s.opts.threads.value_or(0)) || !m->loadParams(s.opts.params))
      return nullptr;
    return m;
  }

  bool fallBack(const std::string &why) {
    std::cerr << "nnc: note: generating from windows of " << T_ << " characters: " << why << '\n';
    return false;
  }

  /// The window model's logits for the first `n` tokens of `tokens`, padded.
  bool windowLogits(const std::vector<int32_t> &tokens, size_t n, std::vector<double> &out) {
    Dataset window;
    window.samples = 1;
    std::vector<double> &x = window.columns[input_.name];
    x.assign(static_cast<size_t>(T_), 0.0);
    std::copy(tokens.begin(), tokens.begin() + n, x.begin());
    std::vector<std::vector<double>> r;
    nnrt_model_reset_state(window_->raw()); // a stateful model's windows start afresh
    if (!window_->run("predict", window, {0}, r))
      return false;
    out = r[logits_];
    return true;
  }

  /// One character through the stepping model; its logits into last_.
  bool feed(int32_t token) {
    Dataset one;
    one.samples = 1;
    one.columns[input_.name] = {double(token)};
    std::vector<std::vector<double>> r;
    if (!stepper_->run("predict", one, {0}, r))
      return false;
    last_ = r[stepLogits_];
    return true;
  }

  Session &s_;
  const Interface &input_;
  int64_t V_, T_ = 0;
  int logits_ = -1, stepLogits_ = -1;
  std::unique_ptr<ModelInstance> window_, stepper_;
  std::unique_ptr<Session> step_;
  bool stepping_ = false;
  size_t fed_ = 0;
  std::vector<double> last_, all_;
};

} // namespace

int generateCommand(Session &s) {
  const Program &p = *s.program;
  if (s.opts.params.empty() || s.vocab.empty()) {
    std::cerr << "nnc: error: generate needs --params CKPT, a checkpoint of the model trained "
                 "with --text (it holds the vocabulary)\n";
    return 1;
  }
  TextCorpus vocabulary;
  vocabulary.path = s.opts.params;
  vocabulary.vocab = s.vocab;
  const Interface *input = nullptr, *target = nullptr;
  if (!textInterface(p, vocabulary, input, target))
    return 1;
  int64_t V = static_cast<int64_t>(s.vocab.size());
  if (input->classes != V) {
    std::cerr << "nnc: error: '" << input->name << "' is class(" << input->classes
              << ") but the checkpoint's vocabulary has " << V << " characters\n";
    return 1;
  }
  std::string prompt = s.opts.prompt.value_or("\n"), error;
  std::vector<int32_t> tokens;
  if (prompt.empty() || !encodeText(s.vocab, prompt, tokens, error)) {
    std::cerr << "nnc: error: the prompt " << (prompt.empty() ? "is empty" : error) << '\n';
    return 1;
  }
  NextToken model(s, *input, V);
  if (!model.startWindows())
    return 1;
  // The probe: the prompt, repeated to fill a window (a one-character
  // prompt would check little).
  std::vector<int32_t> probe;
  while (probe.size() < static_cast<size_t>(input->node->type.dims[0]))
    probe.push_back(tokens[probe.size() % tokens.size()]);
  model.startStepping(probe);
  int64_t length = s.opts.length.value_or(200);
  double temperature = s.opts.temperature.value_or(1.0);
  int64_t topK = s.opts.topK.value_or(0);
  uint64_t seed = static_cast<uint64_t>(s.opts.seed.value_or(1));
  std::cout << prompt << std::flush;
  for (int64_t step = 0; step < length; ++step) {
    const double *row = nullptr;
    if (!model.next(tokens, row))
      return 1;
    int64_t next = nnrt_sample_logits(row, NNRT_F64, V, temperature, topK, seed,
                                      static_cast<uint64_t>(step));
    if (next < 0) {
      std::cerr << "\nnnc: error: " << nnrt_last_error() << '\n';
      return 1;
    }
    tokens.push_back(static_cast<int32_t>(next));
    std::cout << utf8(s.vocab[next]) << std::flush;
  }
  std::cout << '\n';
  return 0;
}

} // namespace nnc
