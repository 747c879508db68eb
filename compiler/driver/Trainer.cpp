//===- Trainer.cpp - `nnc train`: the training loop -----------------------===//
//
// Each step gathers one batch from a seeded per-epoch shuffle (the last
// partial batch of an epoch is dropped, as DataLoader(drop_last=True)) and
// calls the compiled train_step: forward, backward and update in one native
// function. Afterwards it reports what was learned. Under mpirun each rank
// takes its share of every batch and the step is split around one gradient
// all-reduce (Distributed.h, docs/distributed.md).
//
//===----------------------------------------------------------------------===//
#include "autodiff/Optimizer.h"
#include "driver/CheckNumerics.h"
#include "driver/Dataset.h"
#include "driver/Distributed.h"
#include "driver/TrainingLog.h"
#include "driver/ModelInstance.h"
#include "driver/Sampling.h"
#include "driver/Session.h"
#include "driver/Standardize.h"

#include "support/Diagnostics.h"
#include "support/Limits.h"
#include "support/Suggest.h"
#include "support/Json.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <numeric>
#include <tuple>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace nnc {
namespace {

/// Ctrl-C (SIGINT) and SIGTERM (what `timeout`, `kill` and batch schedulers
/// send) stop training at the end of the current step, and the checkpoint is
/// then written; a second signal gets the default action and ends nnc at
/// once, which cannot harm a checkpoint: those are written by rename.
std::atomic<int> interrupted{0}; // the signal, 0 while none came
extern "C" void onInterrupt(int signal) {
  interrupted = signal;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

/// Training data up to this many samples is evaluated after training by
/// default (--final-eval).
constexpr int64_t kSmallTrainingData = 10000;

/// Progress and metric lines: 4 significant digits (logs, --params-out and
/// the printed parameters and outputs keep every digit).
constexpr int kShownDigits = 4;

std::string shown(double v) { return formatSignificant(v, kShownDigits); }

/// A time left: seconds under a minute, else m:ss or h:mm:ss.
std::string duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return "?";
  char buf[64];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.*f s", seconds < 10 ? 1 : 0, seconds);
    return buf;
  }
  long long s = std::llround(seconds);
  if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

bool trainingData(Session &s, Dataset &d) {
  const Program &p = *s.program;
  if (!s.opts.data.empty()) {
    if (!loadDataset(p, s.opts.data, d, s.opts.scale))
      return false;
  } else if (!inlineDataset(p, "train", d)) {
    std::cerr << "nnc: error: no training data: give --data NAME=PATH (or a CSV whose "
                 "columns are named after the inputs), or write a data { } block\n";
    return false;
  }
  std::vector<std::string> missing = missingColumns(p, d, true);
  if (!missing.empty()) {
    std::cerr << "nnc: error: " << d.origin << " has no data for '" << missing[0] << "'\n";
    return false;
  }
  return true;
}

void printTrace(ModelInstance &m, const Program &p, const Dataset &d, int64_t batch) {
  std::vector<int64_t> idx(batch);
  std::iota(idx.begin(), idx.end(), 0);
  std::vector<std::vector<double>> r;
  if (!m.run("trace", d, idx, r))
    return;
  const Entry &trace = *p.entry("trace");
  std::cout << "trace of the first batch (" << batch << " samples), before training:\n";
  for (auto &[name, node] : p.named) {
    const TensorType &t = node->type;
    std::vector<int64_t> dims = t.dims;
    if (t.batched)
      dims.insert(dims.begin(), batch);
    bool single = t.dtype == DType::F32;
    const std::vector<double> &value = r[trace.result(ResultRole::Value, name)];
    const std::vector<double> &gradient = r[trace.result(ResultRole::Gradient, "d_" + name)];
    std::cout << "  " << name << " = " << formatTensor(value, dims, single) << '\n'
              << "  dloss/d" << name << " = " << formatTensor(gradient, dims, single) << '\n';
  }
}

/// Ranks other than 0 print nothing (errors still go to stderr).
struct SilenceStdout {
  std::streambuf *saved = nullptr;
  void apply() { saved = std::cout.rdbuf(nullptr); }
  ~SilenceStdout() {
    if (saved)
      std::cout.rdbuf(saved);
  }
};

/// What one training step reports, read from the entries' results by role
/// and name (Entry::result).
struct StepScalars {
  double loss = 0, lr = 0;
  std::vector<double> metrics; // per Program::metrics
};

/// One `nnc train`: the steps trainCommand runs, in order, over the state
/// they share.
class TrainRun {
public:
  explicit TrainRun(Session &s) : s_(s), p_(*s.program) {}

  /// MPI ranks (under mpirun); ranks other than 0 stay quiet and write nothing.
  bool startCluster();
  /// Training data, the batch size and seed, the test set.
  bool loadData();
  /// --final-eval, or its default: which data is evaluated after the last
  /// step (an error printed when that data is missing).
  bool chooseFinalEvaluation();
  /// The model instance with its threads, initial parameters or the resumed
  /// checkpoint, then the validation split and each rank's share of a batch.
  bool createModel();
  /// Steps per epoch, total steps, print interval; --trace; the header line.
  void planSteps();
  /// The loop over steps; 0, or the exit code to end with.
  int trainLoop();
  int64_t resumePosition();
  nnrt_train_state trainState(int64_t step) const;
  /// After the loop: the training-data evaluation, learned parameters,
  /// outputs, validation and test results.
  bool report();
  /// The checkpoint, curves and parameter JSON that were asked for.
  bool writeOutputs();

private:
  bool runStep(const std::vector<int64_t> &idx, int64_t step, StepScalars &out);
  bool useTextVocabulary();
  /// A non-finite loss or state after `step`: says so (and with
  /// --check-numerics, which op made it); always the end of training.
  int stopOnNonFinite(int64_t step, const std::vector<int64_t> &idx, const std::string &badState);
  /// Progress line (terminal bar or a printed row), validation and test
  /// evaluations, and the log row of this step; false on an evaluation error.
  bool progress(int64_t step, const StepScalars &r);
  int saveInterrupted();
  /// The index of the state tensor called `name`, or -1.
  int stateIndex(const char *name) const;
  /// `per: epoch` schedules read the epochs completed from the model's
  /// state: set at each epoch's start (and at a resumed run's).
  void setEpochState();
  /// plateau: there is data for its monitor (an error printed if not).
  bool checkMonitor();
  /// The data a monitor (`test_*`, `val_*`) names exists; `who` starts the
  /// error otherwise.
  bool monitorHasData(const std::string &who, const std::string &monitor) const;
  /// The loss or metric a monitor names, from the evaluation of its data.
  double monitoredValue(const std::string &monitor, const Evaluation &e) const;
  /// --early-stop, --save-best: the monitor, its mode, and the state a
  /// resumed checkpoint carries.
  bool setUpWatch();
  /// --early-stop, --save-best after an evaluation of the monitored data:
  /// a new best is saved, else the patience runs down; false on a failed
  /// save.
  bool watchMonitor(int64_t step, const Evaluation &e);
  /// Every checkpoint (-o, --save-every, --save-best, Ctrl-C) with the
  /// early-stopping record of this run.
  bool saveCheckpoint(const std::string &path, int64_t step);
  /// plateau, at an epoch's end: one ReduceLROnPlateau step on the
  /// monitored value of `e` (the test or validation evaluation).
  void stepPlateau(int64_t step, const Evaluation &e);

  Session &s_;
  const Program &p_;
  Cluster cluster_;
  SilenceStdout silence_;
  bool distributed_ = false;
  // Carried state (stateful layers): batches are `batch` contiguous streams
  // read in order, and the state is reset at each epoch's start.
  bool stateful_ = false;
  Dataset data_, test_, val_;
  bool haveTest_ = false, haveVal_ = false;
  bool finalTrain_ = false, finalTest_ = false; // --final-eval
  int64_t batch_ = 0, localBatch_ = 0, evalEvery_ = 0;
  uint64_t seed_ = 1;
  std::unique_ptr<ModelInstance> model_;
  nnrt_train_state resumed_{0, 0, 0, 1, 0, 0};
  // The split step's gradient buffer: every parameter's gradient, in state
  // order, one dtype (the parameters').
  int64_t gradCount_ = 0;
  int32_t gradType_ = NNRT_F32;
  std::vector<char> grads_;
  int64_t stepsPerEpoch_ = 0, dropped_ = 0, steps_ = 0, printEvery_ = 0;
  // Where the loop stands.
  int64_t firstStep_ = 1, lastStep_ = 0, epoch_ = 0, position_ = 0;
  bool tty_ = false;
  std::unique_ptr<TrainingLog> log_;
  double lastLoss_ = 0;
  // The running means of the progress lines: sums over this epoch's steps.
  double epochLossSum_ = 0;
  std::vector<double> epochMetricSums_;
  int64_t epochSteps_ = 0;
  StateSnapshot before_; // --check-numerics: the state the step started from
  Evaluation lastVal_;
  int64_t lastValStep_ = -1;
  // plateau: whether it watches the test data (test_*) or the validation
  // split (val_*).
  bool plateau_ = false, monitorsTest_ = false;
  // --early-stop / --save-best: the watched log name is in stop_ (best_step
  // 0: no evaluation yet), with the test data or the validation split.
  bool watch_ = false, watchTest_ = false, stopped_ = false;
  nnrt_early_stop stop_{};
  Evaluation lastTest_;
  int64_t lastTestStep_ = -1;
  std::chrono::steady_clock::time_point start_;
};

bool TrainRun::startCluster() {
  distributed_ = distributedRequested(s_.opts);
  if (distributed_ && !cluster_.start())
    return false;
  if (cluster_.rank() != 0) {
    // Rank 0 alone prints and writes the log, curves and checkpoints.
    silence_.apply();
    s_.opts.output.clear();
    s_.opts.log.clear();
    s_.opts.plot.clear();
    s_.opts.paramsOut.clear();
  }
  // Errors every rank finds alike are told by rank 0 alone: ranks writing
  // at once interleave the pieces of their messages.
  if (distributed_ && s_.opts.checkNumerics) {
    if (cluster_.rank() == 0)
      std::cerr << "nnc: error: --check-numerics works in one process only; run it without mpirun\n";
    return false;
  }
  return true;
}

bool TrainRun::loadData() {
  stateful_ = !p_.carried.empty();
  if (stateful_ && distributed_) {
    std::cerr << "nnc: error: stateful layers (carried state) are not supported with "
                 "--distributed yet\n";
    return false;
  }
  if (s_.text) {
    // A text: windows over its head for training, its tail for validation.
    if (distributed_) {
      std::cerr << "nnc: error: --text is not supported with --distributed yet\n";
      return false;
    }
    if (!s_.opts.data.empty()) {
      std::cerr << "nnc: error: give the training data either as --text or as --data, not both\n";
      return false;
    }
    if (!textDatasets(p_, *s_.text, s_.opts.valSplit.value_or(0.1), data_, val_, stateful_))
      return false;
    haveVal_ = val_.samples > 0;
  } else if (!trainingData(s_, data_)) {
    return false;
  }
  batch_ = std::min(optionOr(s_.opts.batch, p_, "batch", 32), data_.samples);
  seed_ = static_cast<uint64_t>(optionOr(s_.opts.seed, p_, "seed", 1));
  evalEvery_ = optionOr(s_.opts.evalEvery, p_, "eval_every", 0);
  haveTest_ = !s_.opts.test.empty() ? loadDataset(p_, s_.opts.test, test_, s_.opts.scale)
                                    : inlineDataset(p_, "test", test_);
  if (!s_.opts.test.empty() && !haveTest_)
    return false;
  return chooseFinalEvaluation();
}

bool TrainRun::chooseFinalEvaluation() {
  const std::string &choice = s_.opts.finalEval;
  if (choice.empty()) {
    // The test data when there is some; else the training data when it is
    // cheap to go over again (the lecture's examples print their outputs).
    bool inlineData = s_.opts.data.empty() && !s_.text;
    finalTest_ = haveTest_;
    finalTrain_ = !haveTest_ && !data_.windows && (inlineData || data_.samples <= kSmallTrainingData);
    return true;
  }
  finalTrain_ = choice.find("train") != std::string::npos;
  finalTest_ = choice.find("test") != std::string::npos;
  if (finalTest_ && !haveTest_) {
    std::cerr << "nnc: error: --final-eval " << choice << " needs test data; give --test FILE or "
                 "write a data test { } block\n";
    return false;
  }
  if (finalTrain_ && data_.windows) {
    std::cerr << "nnc: error: --final-eval " << choice << ": a text's training windows overlap "
                 "(one per character); its held-out tail is evaluated instead\n";
    return false;
  }
  return true;
}

/// The text's vocabulary goes into every checkpoint; a resumed or loaded
/// one must be the same.
bool TrainRun::useTextVocabulary() {
  int64_t count = 0;
  const uint32_t *saved = nnrt_model_vocab(model_->raw(), &count);
  if (count && std::vector<uint32_t>(saved, saved + count) != s_.text->vocab) {
    std::cerr << "nnc: error: the checkpoint's vocabulary (" << count
              << " characters) is not that of " << s_.text->path << " ("
              << s_.text->vocab.size() << " characters)\n";
    return false;
  }
  if (nnrt_model_set_vocab(model_->raw(), s_.text->vocab.data(),
                           static_cast<int64_t>(s_.text->vocab.size())) != NNRT_OK) {
    std::cerr << "nnc: error: " << nnrt_model_error(model_->raw()) << '\n';
    return false;
  }
  return true;
}

bool TrainRun::createModel() {
  // Evaluation runs in chunks of this size too; 256 keeps the workspace of
  // conv nets (im2col buffers) small.
  model_ = ModelInstance::create(p_, s_.jit->descriptor(), seed_, std::max<int64_t>(batch_, 256));
  if (!model_ || !model_->setThreads(s_.opts.threads.value_or(0)))
    return false;
  if (!s_.opts.initParams.empty() && !model_->loadParams(s_.opts.initParams))
    return false;
  // Learnable parameters starting at NaN or Inf train nothing but NaN
  // (frozen tensors may hold -inf: an imported attention mask).
  if (!s_.opts.initParams.empty())
    for (size_t i = 0; i < p_.state.size(); ++i) {
      if (p_.state[i].kind != StateTensor::Kind::Param)
        continue;
      std::vector<double> v = model_->stateValues(int(i));
      for (size_t k = 0; k < v.size(); ++k)
        if (!std::isfinite(v[k])) {
          std::cerr << s_.opts.initParams << ": error: '" << p_.state[i].name << "' element " << k
                    << " is " << (std::isnan(v[k]) ? "NaN" : "Inf")
                    << "; starting parameters must be finite\n";
          return false;
        }
    }
  // --resume: parameters, optimizer state and where training stood.
  resumed_ = nnrt_train_state{0, 0, 0, seed_, 0, 0};
  if (!s_.opts.resume.empty()) {
    if (access(s_.opts.resume.c_str(), R_OK) != 0) {
      std::cerr << "nnc: error: cannot open '" << s_.opts.resume << "': " << std::strerror(errno)
                << '\n';
      return false;
    }
    if (!nnrt_is_checkpoint(s_.opts.resume.c_str())) {
      std::cerr << "nnc: error: '" << s_.opts.resume << "' is not an nnc checkpoint\n";
      return false;
    }
    if (!model_->loadParams(s_.opts.resume, &resumed_))
      return false;
    seed_ = resumed_.seed;
    if (!s_.opts.quiet)
      std::cout << "resuming from " << s_.opts.resume << " at step " << resumed_.step
                << (p_.carried.empty() ? "" : " (carried state is not saved: the streams go on "
                                              "from a zero state)")
                << '\n';
  }
  if (s_.text && !useTextVocabulary())
    return false;
  // The split comes after --resume so that it uses the run's saved seed.
  if (!s_.text) {
    haveVal_ = s_.opts.valSplit.has_value();
    if (haveVal_ && stateful_) {
      std::cerr << "nnc: error: --val-split holds out shuffled samples, but a stateful model "
                   "reads its data in order; give held-out data with --test\n";
      return false;
    }
    if (haveVal_ && !splitValidation(data_, *s_.opts.valSplit, seed_, val_))
      return false;
    // Statistics of the training samples only (the validation split is
    // data the model has not seen); before the ranks share their state.
    warnRawPixels(s_, data_);
    if (!fitStandardization(s_, data_, *model_))
      return false;
  }
  batch_ = std::min(batch_, data_.samples);
  // Data parallel: rank r computes samples [r b, (r+1) b) of each global
  // batch, b = batch / ranks, so the steps are those of one process.
  localBatch_ = batch_;
  if (distributed_) {
    if (batch_ % cluster_.size() != 0) {
      if (cluster_.rank() == 0) // every rank refuses; one says why
        std::cerr << "nnc: error: the batch of " << batch_ << " samples cannot be split evenly over "
                  << cluster_.size() << " ranks; give --batch a multiple of " << cluster_.size()
                  << '\n';
      return false;
    }
    localBatch_ = batch_ / cluster_.size();
    nnrt_model_set_first_sample(model_->raw(), cluster_.rank() * localBatch_);
  }
  if (!cluster_.broadcast(*model_))
    return false;
  gradCount_ = model_->gradientCount();
  for (const StateTensor &t : p_.state)
    if (t.kind == StateTensor::Kind::Param)
      gradType_ = t.type.dtype == DType::F64 ? NNRT_F64 : NNRT_F32;
  grads_.resize(distributed_ ? gradCount_ * nnrt_dtype_size(gradType_) : 0);
  return checkMonitor() && setUpWatch();
}

int TrainRun::stateIndex(const char *name) const {
  for (size_t i = 0; i < p_.state.size(); ++i)
    if (p_.state[i].name == name)
      return static_cast<int>(i);
  return -1;
}

bool TrainRun::monitorHasData(const std::string &who, const std::string &monitor) const {
  bool test = monitor.compare(0, 5, "test_") == 0;
  if (test && !haveTest_) {
    if (cluster_.rank() == 0)
      std::cerr << "nnc: error: " << who << " " << monitor
                << ", but there is no test data; give --test FILE or write a data test { } block\n";
    return false;
  }
  if (!test && !haveVal_) {
    if (cluster_.rank() == 0)
      std::cerr << "nnc: error: " << who << " " << monitor
                << ", but there is no validation data; give --val-split FRACTION\n";
    return false;
  }
  return true;
}

double TrainRun::monitoredValue(const std::string &monitor, const Evaluation &e) const {
  std::string name = monitor.substr(monitor.find('_') + 1);
  for (size_t k = 0; k < p_.metrics.size(); ++k)
    if (name == p_.metrics[k].name)
      return e.metrics[k];
  return e.loss;
}

bool TrainRun::checkMonitor() {
  const OptimizerSpec &o = p_.optimizer;
  plateau_ = o.schedule == "plateau";
  if (!plateau_)
    return true;
  // Sema accepts only the log's names: test_* or val_*.
  monitorsTest_ = o.monitor.compare(0, 5, "test_") == 0;
  return monitorHasData("the plateau schedule monitors", o.monitor);
}

/// Whether a larger value of a monitored loss or metric is better: not for
/// losses and error-like metrics (by name), yes for the rest (accuracy).
static bool higherIsBetter(const std::string &monitor) {
  std::string name = monitor.substr(monitor.find('_') + 1);
  for (const char *lower : {"loss", "error", "err", "mae", "mse", "distance", "perplexity"})
    if (name.find(lower) != std::string::npos)
      return false;
  return true;
}

bool TrainRun::setUpWatch() {
  const Options &o = s_.opts;
  watch_ = o.earlyStop.has_value() || !o.saveBest.empty();
  if (!watch_) {
    if (!o.monitor.empty() || !o.monitorMode.empty()) {
      if (cluster_.rank() == 0)
        std::cerr << "nnc: error: --monitor and --monitor-mode are for --early-stop and --save-best\n";
      return false;
    }
    return true;
  }
  std::string monitor = !o.monitor.empty() ? o.monitor
                        : haveVal_         ? "val_loss"
                        : haveTest_        ? "test_loss"
                                           : "";
  if (monitor.empty()) {
    if (cluster_.rank() == 0)
      std::cerr << "nnc: error: --early-stop and --save-best watch held-out data; give "
                   "--val-split FRACTION or --test FILE\n";
    return false;
  }
  // The names of the metrics log, as plateau's monitor takes them.
  std::vector<std::string> logged = {"val_loss", "test_loss"};
  for (const Output &m : p_.metrics) {
    logged.push_back("val_" + m.name);
    logged.push_back("test_" + m.name);
  }
  if (std::find(logged.begin(), logged.end(), monitor) == logged.end() ||
      monitor.size() >= sizeof stop_.monitor) {
    if (cluster_.rank() == 0)
      std::cerr << "nnc: error: --monitor " << monitor << " is not logged; expected val_loss, "
                << "val_<metric>, test_loss or test_<metric>" << didYouMean(monitor, logged)
                << '\n';
    return false;
  }
  if (!monitorHasData("--monitor", monitor))
    return false;
  watchTest_ = monitor.compare(0, 5, "test_") == 0;
  bool maximize = o.monitorMode.empty() ? higherIsBetter(monitor) : o.monitorMode == "max";
  nnrt_early_stop saved{};
  bool resumed = !o.resume.empty() && nnrt_model_early_stop(model_->raw(), &saved);
  if (resumed && monitor == saved.monitor && bool(saved.maximize) == maximize) {
    stop_ = saved; // the best so far and the patience counter go on
    if (!o.quiet && saved.best_step > 0)
      std::cout << "resume: best " << monitor << " " << shown(saved.best) << " at step "
                << saved.best_step << ", " << saved.bad_evaluations
                << " evaluations without improvement since\n";
    return true;
  }
  if (resumed && !o.quiet)
    std::cout << "resume: the checkpoint's early stopping watched " << saved.monitor
              << (saved.maximize ? " (max)" : " (min)") << "; " << monitor
              << (maximize ? " (max)" : " (min)") << " starts afresh\n";
  stop_ = nnrt_early_stop{};
  std::snprintf(stop_.monitor, sizeof stop_.monitor, "%s", monitor.c_str());
  stop_.maximize = maximize;
  return true;
}

bool TrainRun::watchMonitor(int64_t step, const Evaluation &e) {
  double value = monitoredValue(stop_.monitor, e);
  bool improved = !std::isnan(value) &&
                  (stop_.best_step == 0 || (stop_.maximize ? value > stop_.best : value < stop_.best));
  if (!improved) {
    ++stop_.bad_evaluations;
    if (s_.opts.earlyStop && stop_.bad_evaluations >= uint64_t(*s_.opts.earlyStop)) {
      stopped_ = true;
      if (!s_.opts.quiet)
        std::cout << (tty_ ? "\n" : "") << "step " << step << "  early stop: " << stop_.monitor
                  << " has not improved on " << shown(stop_.best) << " (step " << stop_.best_step
                  << ") for " << stop_.bad_evaluations << " evaluations\n";
    }
    return true;
  }
  stop_.best = value;
  stop_.best_step = static_cast<uint64_t>(step);
  stop_.bad_evaluations = 0;
  if (s_.opts.saveBest.empty() || cluster_.rank() != 0)
    return true;
  return saveCheckpoint(s_.opts.saveBest, step);
}

bool TrainRun::saveCheckpoint(const std::string &path, int64_t step) {
  if (nnrt_model_set_early_stop(model_->raw(), watch_ ? &stop_ : nullptr) != NNRT_OK) {
    std::cerr << "nnc: error: " << nnrt_model_error(model_->raw()) << '\n';
    return false;
  }
  return model_->saveCheckpoint(path, trainState(step));
}

void TrainRun::setEpochState() {
  int index = stateIndex(kEpochState);
  if (index >= 0 && epoch_ > 0)
    model_->setStateValues(index, {double(epoch_ - 1)});
}

void TrainRun::stepPlateau(int64_t step, const Evaluation &e) {
  const OptimizerSpec &o = p_.optimizer;
  double value = e.loss;
  for (size_t k = 0; k < p_.metrics.size(); ++k)
    if (o.monitor.substr(o.monitor.find('_') + 1) == p_.metrics[k].name)
      value = e.metrics[k];
  int factor = stateIndex(kLrFactorState), best = stateIndex(kPlateauBestState),
      bad = stateIndex(kPlateauBadEpochsState), cooldown = stateIndex(kPlateauCooldownState);
  if (factor < 0 || best < 0 || bad < 0 || cooldown < 0)
    return; // no optimizer step was compiled: nothing reads the factor
  PlateauState state{model_->stateValues(factor)[0], model_->stateValues(best)[0],
                     model_->stateValues(bad)[0], model_->stateValues(cooldown)[0]};
  double before = state.lrFactor;
  bool reduced = reduceOnPlateau(o, state, value);
  model_->setStateValues(factor, {state.lrFactor});
  model_->setStateValues(best, {state.best});
  model_->setStateValues(bad, {state.badEpochs});
  model_->setStateValues(cooldown, {state.cooldown});
  if (reduced && !s_.opts.quiet) {
    double lr = o.arg("lr", 0.01);
    std::cout << (tty_ ? "\n" : "") << "step " << step << "  epoch " << epoch_ << "  " << o.monitor
              << " " << shown(value) << " did not improve on " << shown(state.best)
              << ": lr " << formatNumber(lr * before) << " -> " << formatNumber(lr * state.lrFactor)
              << '\n';
  }
}

void TrainRun::planSteps() {
  // The last partial batch of an epoch is dropped: every step sees `batch`
  // samples, and the shuffle decides which ones sit out each epoch.
  stepsPerEpoch_ = data_.samples / batch_;
  dropped_ = data_.samples % batch_;
  bool stepsGiven = s_.opts.steps || (!s_.opts.epochs && p_.trainOptions.count("steps"));
  int64_t epochs = optionOr(s_.opts.epochs, p_, "epochs", 1);
  // Both are at most 2^53 (support/Limits.h); their product may not be.
  steps_ = stepsGiven ? optionOr(s_.opts.steps, p_, "steps", 1)
                      : static_cast<int64_t>(std::min(double(epochs) * double(stepsPerEpoch_),
                                                      double(kMaxCount)));
  printEvery_ = optionOr(s_.opts.printEvery, p_, "print_every", std::max<int64_t>(1, steps_ / 10));

  if (s_.opts.trace)
    printTrace(*model_, p_, data_, batch_);
  if (s_.opts.quiet)
    return;
  std::cout << "training " << p_.modelName << ": " << data_.samples << " samples ("
            << data_.origin << "), batch " << batch_;
  if (dropped_)
    std::cout << " (last partial batch dropped: " << dropped_ << " per epoch)";
  std::cout << ", " << steps_ << " steps, " << p_.optimizer.kind << " lr "
            << formatNumber(p_.optimizer.arg("lr", 0.01)) << ", " << model_->threads()
            << (model_->threads() == 1 ? " thread" : " threads");
  if (distributed_)
    std::cout << " x " << cluster_.size() << (cluster_.size() == 1 ? " rank" : " ranks")
              << " (" << localBatch_ << (localBatch_ == 1 ? " sample each)" : " samples each)");
  std::cout << '\n';
  if (stateful_)
    std::cout << "stateful: " << batch_ << " streams of " << stepsPerEpoch_
              << " consecutive samples, read in order; each batch starts from the state the "
                 "previous one ended with (reset every epoch)\n";
  if (haveVal_)
    std::cout << "validation: " << val_.samples << " samples (" << val_.origin << ")"
              << (stateful_ ? ", each from a zero state" : "") << '\n';
}

bool TrainRun::runStep(const std::vector<int64_t> &idx, int64_t step, StepScalars &out) {
  std::vector<std::vector<double>> r;
  out.metrics.assign(p_.metrics.size(), 0.0);
  if (!distributed_) {
    if (!model_->run("train_step", data_, idx, r))
      return false;
    const Entry &train = *p_.entry("train_step");
    out.loss = r[train.result(ResultRole::Loss)][0];
    for (size_t k = 0; k < p_.metrics.size(); ++k)
      out.metrics[k] = r[train.result(ResultRole::Metric, p_.metrics[k].name)][0];
    out.lr = r[train.result(ResultRole::LearningRate)][0];
    return true;
  }
  cluster_.maybeFail(s_.opts, step);
  std::vector<int64_t> mine(idx.begin() + cluster_.rank() * localBatch_,
                            idx.begin() + (cluster_.rank() + 1) * localBatch_);
  if (!model_->run("grads", data_, mine, r, grads_.data()))
    return false;
  // The batch's loss and metrics: means of the ranks' means (the loss of
  // `reduce: sum` adds up, and so do its gradients).
  const Entry &gradsEntry = *p_.entry("grads");
  std::vector<double> scalars{r[gradsEntry.result(ResultRole::Loss)][0]};
  for (const Output &m : p_.metrics)
    scalars.push_back(r[gradsEntry.result(ResultRole::Metric, m.name)][0]);
  std::vector<std::vector<double>> applied;
  if (!cluster_.allreduceSum(scalars) ||
      !cluster_.allreduce(grads_.data(), gradCount_, gradType_, !p_.lossBatchSum) ||
      !cluster_.averageBuffers(*model_) || !model_->run("apply", data_, {0}, applied, grads_.data()))
    return false;
  out.loss = p_.lossBatchSum ? scalars[0] : scalars[0] / cluster_.size();
  for (size_t k = 0; k < p_.metrics.size(); ++k)
    out.metrics[k] = scalars[1 + k] / cluster_.size();
  out.lr = applied[p_.entry("apply")->result(ResultRole::LearningRate)][0];
  return true;
}

int TrainRun::stopOnNonFinite(int64_t step, const std::vector<int64_t> &idx,
                              const std::string &badState) {
  if (badState.empty())
    std::cerr << "nnc: error: the loss became " << formatNumber(lastLoss_) << " at step " << step
              << "; lower the learning rate (--lr) or check the data\n";
  else
    std::cerr << "nnc: error: the update of step " << step << " made " << badState
              << "; lower the learning rate (--lr) or check the data\n";
  if (!s_.opts.checkNumerics) {
    std::cerr << "nnc: note: rerun with --check-numerics to find the op that produced it\n";
    return 1;
  }
  before_.restore(*model_);
  std::string culprit = firstNonFinite(*model_, data_, idx);
  if (culprit.empty())
    culprit = "none of step " + std::to_string(step) + "'s values (the state it started from "
              "was already non-finite)";
  std::cerr << "nnc: note: --check-numerics: the first non-finite value of step " << step
            << " is " << culprit << "; see --emit=ir-opt for the numbered ops\n";
  return 1;
}

bool TrainRun::progress(int64_t step, const StepScalars &r) {
  bool report = step % printEvery_ == 0 || step == steps_;
  // plateau: its monitor is evaluated at every epoch's end, the last
  // step's too (the scheduler's state goes into the checkpoint).
  bool epochEnd = plateau_ && position_ == stepsPerEpoch_;
  // --early-stop, --save-best: at every epoch's end, --eval-every and the
  // last step.
  bool watchNow = watch_ && (position_ == stepsPerEpoch_ || step == steps_ ||
                             (evalEvery_ && step % evalEvery_ == 0));
  bool evaluate = haveTest_ && ((evalEvery_ && step % evalEvery_ == 0 && step != steps_) ||
                                (epochEnd && monitorsTest_) || (watchNow && watchTest_));
  bool validate = haveVal_ && ((evalEvery_ && step % evalEvery_ == 0) || step == steps_ ||
                               (epochEnd && !monitorsTest_) || (watchNow && !watchTest_));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = double(step - firstStep_ + 1) / std::max(secs, 1e-9); // steps per second
  // The running mean since the epoch began (or this run resumed in it):
  // steadier than the last batch's numbers, as Keras shows.
  epochLossSum_ += r.loss;
  for (size_t k = 0; k < p_.metrics.size(); ++k)
    epochMetricSums_[k] += r.metrics[k];
  ++epochSteps_;
  // Formatted only for a line that is shown: printf's float conversion was
  // a quarter of a 2-2-2 net's step (bench W1).
  auto meansAndSpeed = [&] {
    std::string text = "loss " + shown(epochLossSum_ / double(epochSteps_));
    for (size_t k = 0; k < p_.metrics.size(); ++k)
      text += "  " + p_.metrics[k].name + " " + shown(epochMetricSums_[k] / double(epochSteps_));
    return text + " (epoch mean)  " + shown(rate * double(batch_)) + " samples/s  ETA " +
           duration(double(steps_ - step) / rate);
  };
  if (tty_) {
    // One updating line on a terminal, its tail cleared.
    int width = 24, done = int(width * double(step) / double(steps_));
    std::cout << "\r[" << std::string(done, '#') << std::string(width - done, '.') << "] step "
              << step << "/" << steps_ << "  epoch " << epoch_ << "  " << meansAndSpeed()
              << "\033[K" << std::flush;
    if (step == steps_)
      std::cout << '\n';
  } else if (!s_.opts.quiet && report) {
    std::cout << "step " << step << "/" << steps_ << "  epoch " << epoch_ << "  " << meansAndSpeed()
              << '\n';
  }
  if (validate) {
    if (!cluster_.evaluate(*model_, val_, lastVal_))
      return false;
    lastValStep_ = step;
    if (!s_.opts.quiet && step != steps_)
      std::cout << (tty_ ? "\n" : "") << "step " << step << "  validation "
                << lastVal_.describe(p_, kShownDigits) << '\n';
  }
  log_->noteLearningRate(step, r.lr);
  if (!(report || evaluate || validate))
    return true;
  LogRow row;
  row.step = step;
  row.epoch = epoch_;
  row.loss = r.loss;
  row.seconds = secs;
  row.lr = r.lr;
  row.metrics = r.metrics;
  row.lossMean = epochLossSum_ / double(epochSteps_);
  row.meanSteps = epochSteps_;
  for (double sum : epochMetricSums_)
    row.metricMeans.push_back(sum / double(epochSteps_));
  Evaluation test;
  if (evaluate) {
    if (!cluster_.evaluate(*model_, test_, test))
      return false;
    lastTest_ = test;
    lastTestStep_ = step;
    if (!s_.opts.quiet && step != steps_) // the report says the last
      std::cout << (tty_ ? "\n" : "") << "step " << step << "  test " << test.describe(p_, kShownDigits)
                << '\n';
    row.hasTest = true;
    row.testLoss = test.loss;
    row.testMetrics = test.metrics;
  }
  if (validate) {
    row.hasVal = true;
    row.valLoss = lastVal_.loss;
    row.valMetrics = lastVal_.metrics;
  }
  if (epochEnd)
    stepPlateau(step, monitorsTest_ ? test : lastVal_);
  log_->add(row);
  // After the plateau step, so that a best checkpoint holds its state.
  return !watchNow || watchMonitor(step, watchTest_ ? test : lastVal_);
}

int TrainRun::trainLoop() {
  SplitMix64 shuffler{seed_};
  std::vector<int64_t> order(data_.samples);
  std::iota(order.begin(), order.end(), 0);
  std::vector<int64_t> idx(batch_);
  position_ = stepsPerEpoch_; // forces a shuffle before the first step
  epoch_ = 0;
  // A resumed run replays the shuffles of the epochs it has seen, so it
  // continues with exactly the batches an uninterrupted run would take.
  // Each replayed shuffle touches every sample: refuse what would take hours
  // (no real run gets there; a damaged or crafted checkpoint would).
  if (!stateful_ && double(resumed_.epoch) * double(data_.samples) > double(int64_t(1) << 36)) {
    std::cerr << "nnc: error: '" << s_.opts.resume << "' stands at epoch " << resumed_.epoch
              << "; replaying that many shuffles of " << data_.samples
              << " samples is not feasible (is the checkpoint damaged?)\n";
    return 1;
  }
  for (uint64_t e = 0; e < resumed_.epoch && !stateful_; ++e)
    if (data_.samples > 1)
      shuffle(order, shuffler);
  if (resumed_.epoch > 0) {
    epoch_ = static_cast<int64_t>(resumed_.epoch);
    position_ = resumePosition();
    if (position_ < 0)
      return 1;
  }
  setEpochState(); // a resumed run's, in its own count
  epochMetricSums_.assign(p_.metrics.size(), 0.0);
  firstStep_ = static_cast<int64_t>(resumed_.step) + 1;
  std::vector<std::string> metricNames;
  for (const Output &m : p_.metrics)
    metricNames.push_back(m.name);
  log_ = std::make_unique<TrainingLog>(metricNames, haveVal_);
  log_->setStepsPerEpoch(stepsPerEpoch_);
  if (!s_.opts.log.empty() && !log_->open(s_.opts.log))
    return 1;
  tty_ = isatty(STDOUT_FILENO) && !s_.opts.quiet;
  interrupted = 0;
  // Under MPI, Ctrl-C ends the job (mpirun signals every rank): stopping
  // cleanly would need all ranks to agree on the step.
  if (!distributed_) {
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
  }
  lastStep_ = firstStep_ - 1;
  if (firstStep_ > steps_ && !s_.opts.quiet)
    std::cout << "already at step " << resumed_.step << " of " << steps_ << "; nothing to train\n";
  if (watch_ && s_.opts.earlyStop && stop_.bad_evaluations >= uint64_t(*s_.opts.earlyStop)) {
    stopped_ = true; // the resumed run had stopped early: it stays stopped
    if (!s_.opts.quiet)
      std::cout << "already stopped early: " << stop_.monitor << " has not improved on "
                << shown(stop_.best) << " (step " << stop_.best_step << ") for "
                << stop_.bad_evaluations << " evaluations; nothing to train\n";
  }
  // The training step was compiled while the data loaded (JITModel::compile).
  if (!s_.jit->finishBackground())
    return 1;
  start_ = std::chrono::steady_clock::now();
  for (int64_t step = firstStep_; step <= steps_ && !stopped_; ++step) {
    if (position_ == stepsPerEpoch_) {
      if (stateful_)
        nnrt_model_reset_state(model_->raw());
      else if (data_.samples > 1)
        shuffle(order, shuffler);
      position_ = 0;
      ++epoch_;
      setEpochState();
      epochLossSum_ = 0;
      epochMetricSums_.assign(p_.metrics.size(), 0.0);
      epochSteps_ = 0;
    }
    if (stateful_) // row i reads stream i: samples [i L, (i + 1) L), in order
      for (int64_t i = 0; i < batch_; ++i)
        idx[i] = i * stepsPerEpoch_ + position_;
    else
      std::copy(order.begin() + position_ * batch_, order.begin() + (position_ + 1) * batch_,
                idx.begin());
    ++position_;
    if (s_.opts.faultSignal && step == s_.opts.faultSignalStep)
      std::raise(s_.opts.faultSignal);
    if (s_.opts.checkNumerics)
      before_.save(*model_);
    StepScalars r;
    if (!runStep(idx, step, r))
      return 1;
    lastLoss_ = r.loss;
    // Nothing is written after a non-finite step: the last checkpoint stays.
    std::string badState =
        s_.opts.checkNumerics && std::isfinite(r.loss) ? nonFiniteState(*model_) : "";
    if (!std::isfinite(r.loss) || !badState.empty())
      return stopOnNonFinite(step, idx, badState);
    lastStep_ = step;
    if (!progress(step, r))
      return 1;
    // --save-every: the -o checkpoint (the last step's is written after the
    // report, an interrupted run's at once).
    if (s_.opts.saveEvery && !s_.opts.output.empty() && step % *s_.opts.saveEvery == 0 &&
        step != steps_ && !stopped_ && !interrupted && !saveCheckpoint(s_.opts.output, step))
      return 1;
    if (interrupted)
      break;
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  return interrupted ? saveInterrupted() : 0;
}

/// Where training stands after `step`, for a checkpoint.
nnrt_train_state TrainRun::trainState(int64_t step) const {
  return nnrt_train_state{static_cast<uint64_t>(step), static_cast<uint64_t>(epoch_),
                          static_cast<uint64_t>(position_), seed_, static_cast<uint64_t>(batch_),
                          static_cast<uint64_t>(data_.samples)};
}

/// Where in the resumed epoch this run goes on, in its own batches (-1:
/// an error, reported). With the saved run's batch size and data: where it
/// stood, so the run continues with exactly the batches it would have
/// taken. With another batch size over the same data: at the same sample
/// of the epoch's shuffled order, rounded up to a whole batch. With other
/// data (or, from a checkpoint that predates the saved batch size, a
/// position past this run's epoch): a new epoch. Both are said on a line.
int64_t TrainRun::resumePosition() {
  uint64_t position = resumed_.position, samples = static_cast<uint64_t>(data_.samples);
  uint64_t batch = static_cast<uint64_t>(batch_);
  bool known = resumed_.batch > 0 && resumed_.samples > 0;
  auto say = [&](const std::string &what) {
    if (!s_.opts.quiet)
      std::cout << "resume: " << what << '\n';
  };
  std::string epoch = "epoch " + std::to_string(epoch_);
  if (known && position > resumed_.samples / resumed_.batch) {
    std::cerr << "nnc: error: '" << s_.opts.resume << "' is inconsistent: its position " << position
              << " lies past the end of an epoch of " << resumed_.samples / resumed_.batch
              << " batches of " << resumed_.batch << "\n";
    return -1;
  }
  if (known && resumed_.samples != samples) {
    say("the data has " + std::to_string(samples) + " samples where the saved run had " +
        std::to_string(resumed_.samples) + ": a new epoch begins");
    return stepsPerEpoch_;
  }
  if (!known && position > static_cast<uint64_t>(stepsPerEpoch_)) {
    say(epoch + " stood at batch " + std::to_string(position) + ", past this run's " +
        std::to_string(stepsPerEpoch_) + " batches per epoch: a new epoch begins");
    return stepsPerEpoch_;
  }
  if (!known || resumed_.batch == batch)
    return static_cast<int64_t>(position);
  uint64_t sample = position * resumed_.batch; // <= samples (checked above)
  int64_t next = static_cast<int64_t>(std::min<uint64_t>((sample + batch - 1) / batch,
                                                         static_cast<uint64_t>(stepsPerEpoch_)));
  say("batch " + std::to_string(resumed_.batch) + " -> " + std::to_string(batch) + ": " + epoch +
      (next == stepsPerEpoch_ ? " had no whole batch left (sample " + std::to_string(sample) +
                                    " of " + std::to_string(samples) + "): a new epoch begins"
                              : " goes on at sample " + std::to_string(next * batch_) + " of " +
                                    std::to_string(samples)));
  return next;
}

int TrainRun::saveInterrupted() {
  // Stopped by Ctrl-C or SIGTERM: keep what was learned and say how to go
  // on. The exit status is the shell's for the signal (130, 143).
  int status = 128 + interrupted;
  std::string path = s_.opts.output.empty() ? p_.modelName + ".interrupted.ckpt" : s_.opts.output;
  if (tty_)
    std::cout << '\n';
  std::cerr << "nnc: " << (interrupted == SIGTERM ? "terminated (SIGTERM)" : "interrupted")
            << " after step " << lastStep_ << "; ";
  if (!saveCheckpoint(path, lastStep_))
    return status;
  std::cerr << "wrote " << path << "\nresume with: nnc train " << s_.opts.file << " --resume "
            << path << " --steps " << steps_ << "\n";
  return status;
}

bool TrainRun::report() {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  int64_t trained = std::max<int64_t>(lastStep_ - firstStep_ + 1, 0);
  Evaluation train, test;
  bool keepOutputs = data_.samples <= 8; // small enough for every rank to do it all
  if (finalTrain_ && !(keepOutputs ? model_->evaluate(data_, train, true)
                                   : cluster_.evaluate(*model_, data_, train)))
    return false;
  if (finalTest_ && lastTestStep_ == lastStep_)
    test = lastTest_; // the monitor's evaluation of the last step
  else if (finalTest_ && !cluster_.evaluate(*model_, test_, test))
    return false;
  // What preparing batches (gather + convert to the model's types; scaling
  // happened once at load) cost, against the compiled step itself.
  const RunTiming &t = model_->timings[distributed_ ? "grads" : "train_step"];
  std::string dataShare;
  if (t.calls)
    dataShare = " (data: " + formatSignificant(1e3 * t.gatherSeconds / double(t.calls), 2) + " ms per step, " +
                formatSignificant(100 * t.gatherSeconds / std::max(t.gatherSeconds + t.computeSeconds, 1e-12), 2) +
                "% of step time)";
  std::cout << "trained " << trained << " steps in " << formatSignificant(secs, 3) << " s" << dataShare;
  if (finalTrain_) {
    std::cout << "; on the training data: " << train.describe(p_, kShownDigits);
  } else if (data_.windows) {
    // A text's training windows overlap (one per character): its tail is
    // the evaluation, and the last step's loss stands for the training data.
    std::cout << "; last batch: loss " << shown(lastLoss_);
  } else if (epochSteps_ > 0) {
    std::cout << "; running mean of epoch " << epoch_ << ": loss "
              << shown(epochLossSum_ / double(epochSteps_));
    for (size_t k = 0; k < p_.metrics.size(); ++k)
      std::cout << ", " << p_.metrics[k].name << " "
                << shown(epochMetricSums_[k] / double(epochSteps_));
  }
  std::cout << '\n';
  // The last update broke the model: say so, and write nothing.
  for (auto [evaluated, e, on] : {std::tuple{finalTrain_, &train, "the training data"},
                                  std::tuple{finalTest_, &test, "the test data"}})
    if (evaluated && !std::isfinite(e->loss)) {
      std::cerr << "nnc: error: after step " << lastStep_ << " the loss on " << on << " is "
                << formatNumber(e->loss) << "; lower the learning rate (--lr) or check the data\n";
      return false;
    }
  if (p_.parameterCount() <= 24) {
    std::cout << "learned parameters:\n";
    for (size_t i = 0; i < p_.state.size(); ++i)
      if (p_.state[i].kind == StateTensor::Kind::Param || p_.state[i].kind == StateTensor::Kind::Frozen)
        std::cout << "  " << p_.state[i].name << " = "
                  << formatTensor(model_->stateValues(static_cast<int>(i)), p_.state[i].type.dims,
                                  p_.state[i].type.dtype == DType::F32)
                  << '\n';
  }
  if (finalTrain_ && keepOutputs && !p_.outputs.empty()) {
    std::cout << "outputs on the training data:\n";
    for (size_t o = 0; o < p_.outputs.size(); ++o) {
      const TensorType &type = p_.outputs[o].node->type;
      std::vector<int64_t> dims = type.dims;
      dims.insert(dims.begin(), type.batched ? data_.samples : 1);
      std::cout << "  " << p_.outputs[o].name << " = "
                << formatTensor(train.outputs[o], dims, type.dtype == DType::F32) << '\n';
    }
  }
  if (haveVal_) {
    if (lastValStep_ != lastStep_ && !cluster_.evaluate(*model_, val_, lastVal_))
      return false;
    std::cout << "validation " << lastVal_.describe(p_, kShownDigits) << " on " << val_.samples
              << " samples (" << val_.origin << ")\n";
  }
  if (finalTest_)
    std::cout << "test " << test.describe(p_, kShownDigits) << " on " << test_.samples
              << " samples (" << test_.origin << ")\n";
  if (watch_ && stop_.best_step > 0)
    std::cout << "best " << stop_.monitor << " " << shown(stop_.best) << " at step "
              << stop_.best_step
              << (s_.opts.saveBest.empty() ? "" : " (checkpoint " + s_.opts.saveBest + ")") << '\n';
  return true;
}

bool TrainRun::writeOutputs() {
  if (!s_.opts.output.empty()) {
    int64_t step = stopped_ ? std::max(lastStep_, static_cast<int64_t>(resumed_.step))
                            : std::max(steps_, static_cast<int64_t>(resumed_.step));
    if (!saveCheckpoint(s_.opts.output, step))
      return false;
    if (!s_.opts.quiet)
      std::cout << "wrote checkpoint " << s_.opts.output << " (step " << step << ")\n";
  }
  if (!s_.opts.plot.empty()) {
    if (!log_->writePlot(s_.opts.plot, p_.modelName + ": training curves"))
      return false;
    if (!s_.opts.quiet)
      std::cout << "wrote training curves to " << s_.opts.plot << '\n';
  }
  if (!s_.opts.paramsOut.empty()) {
    std::string error;
    if (!writeFileAtomic(s_.opts.paramsOut, model_->paramsJson(), error)) {
      std::cerr << "nnc: error: " << error << '\n';
      return false;
    }
    if (!s_.opts.quiet)
      std::cout << "wrote parameters to " << s_.opts.paramsOut << '\n';
  }
  return true;
}

} // namespace

int trainCommand(Session &s) {
  // The save-fault test's injection point (Options.h); inert when unset.
  nnrt_set_save_fault(s.opts.faultSaveBytes, s.opts.faultSaveRenamed ? 1 : 0);
  nnrt_set_save_error(s.opts.faultSaveFullAfter, ENOSPC);
  TrainRun run(s);
  if (!run.startCluster() || !run.loadData() || !run.createModel())
    return 1;
  run.planSteps();
  if (int code = run.trainLoop())
    return code;
  return run.report() && run.writeOutputs() ? 0 : 1;
}

} // namespace nnc
