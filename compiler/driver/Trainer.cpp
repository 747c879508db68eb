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
#include "driver/CheckNumerics.h"
#include "driver/Dataset.h"
#include "driver/Distributed.h"
#include "driver/TrainingLog.h"
#include "driver/ModelInstance.h"
#include "driver/Session.h"

#include "support/Diagnostics.h"
#include "support/Json.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <atomic>
#include <csignal>
#include <unistd.h>

namespace nnc {
namespace {

/// Ctrl-C stops training at the end of the current step (the checkpoint is
/// then written); a second Ctrl-C gets the default action and ends nnc at
/// once, which cannot harm a checkpoint: those are written by rename.
std::atomic<bool> interrupted{false};
extern "C" void onInterrupt(int) {
  interrupted = true;
  std::signal(SIGINT, SIG_DFL);
}

/// splitmix64: a tiny generator with the same output on every platform, so
/// shuffles (unlike std::shuffle, whose algorithm the library chooses) are
/// reproducible across machines.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

/// Fisher-Yates with an unbiased bounded draw (rejection sampling).
void shuffle(std::vector<int64_t> &v, SplitMix64 &rng) {
  for (size_t i = v.size(); i > 1; --i) {
    uint64_t bound = i, limit = UINT64_MAX - UINT64_MAX % bound, r;
    do
      r = rng.next();
    while (r >= limit);
    std::swap(v[i - 1], v[r % bound]);
  }
}

std::string fixed(double v, int digits) {
  char buf[64];
  // `digits` significant digits, but whole numbers stay whole (3602, not 3.6e+03).
  if (std::fabs(v) >= std::pow(10.0, digits) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
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

/// --val-split F: the last fraction F of the training samples, after one
/// seeded shuffle (its own stream, so it does not move the epoch shuffles),
/// becomes the validation set; the rest is trained on.
bool splitValidation(Dataset &data, double fraction, uint64_t seed, Dataset &val) {
  int64_t n = data.samples;
  int64_t held = static_cast<int64_t>(std::floor(double(n) * fraction));
  if (held < 1 || held >= n) {
    std::cerr << "nnc: error: --val-split " << formatNumber(fraction) << " of " << n
              << " samples leaves " << (held < 1 ? "no validation" : "no training")
              << " samples\n";
    return false;
  }
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  SplitMix64 rng{seed ^ 0x56414C4944415445ULL}; // "VALIDATE"
  shuffle(order, rng);
  Dataset train;
  train.origin = data.origin;
  train.samples = n - held;
  val.origin = "the last " + formatNumber(fraction * 100) +
               "% of the training data, after a seeded shuffle";
  val.samples = held;
  for (auto &column : data.columns) {
    int64_t per = static_cast<int64_t>(column.second.size()) / n;
    for (int64_t i = 0; i < n; ++i) {
      std::vector<double> &to = (i < n - held ? train : val).columns[column.first];
      const double *src = column.second.data() + order[i] * per;
      to.insert(to.end(), src, src + per);
    }
  }
  data = std::move(train);
  return true;
}

void printTrace(ModelInstance &m, const Program &p, const Dataset &d, int64_t batch) {
  std::vector<int64_t> idx(batch);
  std::iota(idx.begin(), idx.end(), 0);
  std::vector<std::vector<double>> r;
  if (!m.run("trace", d, idx, r))
    return;
  std::cout << "trace of the first batch (" << batch << " samples), before training:\n";
  for (size_t i = 0; i < p.named.size(); ++i) {
    const TensorType &t = p.named[i].second->type;
    std::vector<int64_t> dims = t.dims;
    if (t.batched)
      dims.insert(dims.begin(), batch);
    bool single = t.dtype == DType::F32;
    std::cout << "  " << p.named[i].first << " = " << formatTensor(r[2 * i], dims, single) << '\n'
              << "  dloss/d" << p.named[i].first << " = "
              << formatTensor(r[2 * i + 1], dims, single) << '\n';
  }
}

} // namespace

/// Ranks other than 0 print nothing (errors still go to stderr).
struct SilenceStdout {
  std::streambuf *saved = nullptr;
  void apply() { saved = std::cout.rdbuf(nullptr); }
  ~SilenceStdout() {
    if (saved)
      std::cout.rdbuf(saved);
  }
};

int trainCommand(Session &s) {
  const Program &p = *s.program;
  Cluster cluster;
  bool distributed = distributedRequested(s.opts);
  if (distributed && !cluster.start())
    return 1;
  SilenceStdout silence;
  if (cluster.rank() != 0) {
    // Rank 0 alone prints and writes the log, curves and checkpoints.
    silence.apply();
    s.opts.output.clear();
    s.opts.log.clear();
    s.opts.plot.clear();
    s.opts.paramsOut.clear();
  }
  if (distributed && s.opts.checkNumerics) {
    std::cerr << "nnc: error: --check-numerics works in one process only; run it without mpirun\n";
    return 1;
  }
  Dataset data;
  if (!trainingData(s, data))
    return 1;
  int64_t batch = optionOr(s.opts.batch, p, "batch", 32);
  batch = std::min(batch, data.samples);
  uint64_t seed = static_cast<uint64_t>(optionOr(s.opts.seed, p, "seed", 1));
  int64_t evalEvery = optionOr(s.opts.evalEvery, p, "eval_every", 0);

  Dataset test;
  bool haveTest = !s.opts.test.empty() ? loadDataset(p, s.opts.test, test, s.opts.scale)
                                       : inlineDataset(p, "test", test);
  if (!s.opts.test.empty() && !haveTest)
    return 1;

  // Evaluation runs in chunks of this size too; 256 keeps the workspace of
  // conv nets (im2col buffers) small.
  auto model = ModelInstance::create(p, s.jit->descriptor(), seed, std::max<int64_t>(batch, 256));
  if (!model || !model->setThreads(s.opts.threads.value_or(0)))
    return 1;
  if (!s.opts.initParams.empty() && !model->loadParams(s.opts.initParams))
    return 1;
  // --resume: parameters, optimizer state and where training stood.
  nnrt_train_state resumed{0, 0, 0, seed};
  if (!s.opts.resume.empty()) {
    if (!nnrt_is_checkpoint(s.opts.resume.c_str())) {
      std::cerr << "nnc: error: '" << s.opts.resume << "' is not an nnc checkpoint\n";
      return 1;
    }
    if (!model->loadParams(s.opts.resume, &resumed))
      return 1;
    seed = resumed.seed;
    if (!s.opts.quiet)
      std::cout << "resuming from " << s.opts.resume << " at step " << resumed.step << '\n';
  }
  // The split comes after --resume so that it uses the run's saved seed.
  Dataset val;
  bool haveVal = s.opts.valSplit.has_value();
  if (haveVal && !splitValidation(data, *s.opts.valSplit, seed, val))
    return 1;
  batch = std::min(batch, data.samples);
  // Data parallel: rank r computes samples [r b, (r+1) b) of each global
  // batch, b = batch / ranks, so the steps are those of one process.
  int64_t localBatch = batch;
  if (distributed) {
    if (batch % cluster.size() != 0) {
      std::cerr << "nnc: error: the batch of " << batch << " samples cannot be split evenly over "
                << cluster.size() << " ranks; give --batch a multiple of " << cluster.size() << '\n';
      return 1;
    }
    localBatch = batch / cluster.size();
    nnrt_model_set_first_sample(model->raw(), cluster.rank() * localBatch);
  }
  if (!cluster.broadcast(*model))
    return 1;
  // The gradient buffer of grads/apply: every parameter's gradient, in
  // state order, one dtype (the parameters').
  int64_t gradCount = model->gradientCount();
  int32_t gradType = NNRT_F32;
  for (const StateTensor &t : p.state)
    if (t.kind == StateTensor::Kind::Param)
      gradType = t.type.dtype == DType::F64 ? NNRT_F64 : NNRT_F32;
  std::vector<char> grads(distributed ? gradCount * nnrt_dtype_size(gradType) : 0);
  // The last partial batch of an epoch is dropped: every step sees `batch`
  // samples, and the shuffle decides which ones sit out each epoch.
  int64_t stepsPerEpoch = data.samples / batch;
  int64_t dropped = data.samples % batch;
  bool stepsGiven = s.opts.steps || (!s.opts.epochs && p.trainOptions.count("steps"));
  int64_t epochs = optionOr(s.opts.epochs, p, "epochs", 1);
  int64_t steps = stepsGiven ? optionOr(s.opts.steps, p, "steps", 1) : epochs * stepsPerEpoch;
  int64_t printEvery = optionOr(s.opts.printEvery, p, "print_every", std::max<int64_t>(1, steps / 10));

  if (s.opts.trace)
    printTrace(*model, p, data, batch);

  if (!s.opts.quiet) {
    std::cout << "training " << p.modelName << ": " << data.samples << " samples ("
              << data.origin << "), batch " << batch;
    if (dropped)
      std::cout << " (last partial batch dropped: " << dropped << " per epoch)";
    std::cout << ", " << steps << " steps, " << p.optimizer.kind << " lr "
              << formatNumber(p.optimizer.arg("lr", 0.01)) << ", " << model->threads()
              << (model->threads() == 1 ? " thread" : " threads");
    if (distributed)
      std::cout << " x " << cluster.size() << (cluster.size() == 1 ? " rank" : " ranks")
                << " (" << localBatch << (localBatch == 1 ? " sample each)" : " samples each)");
    std::cout << '\n';
    if (haveVal)
      std::cout << "validation: " << val.samples << " samples (" << val.origin << ")\n";
  }

  SplitMix64 shuffler{seed};
  std::vector<int64_t> order(data.samples);
  std::iota(order.begin(), order.end(), 0);
  std::vector<int64_t> idx(batch);
  std::vector<std::vector<double>> r;
  int64_t position = stepsPerEpoch; // forces a shuffle before the first step
  int64_t epoch = 0;
  // A resumed run replays the shuffles of the epochs it has seen, so it
  // continues with exactly the batches an uninterrupted run would take.
  for (uint64_t e = 0; e < resumed.epoch; ++e)
    if (data.samples > 1)
      shuffle(order, shuffler);
  if (resumed.epoch > 0) {
    epoch = static_cast<int64_t>(resumed.epoch);
    position = static_cast<int64_t>(resumed.position);
  }
  double loss = 0;
  int64_t firstStep = static_cast<int64_t>(resumed.step) + 1;
  std::vector<std::string> metricNames;
  for (const Output &m : p.metrics)
    metricNames.push_back(m.name);
  TrainingLog log(metricNames, haveVal);
  if (!s.opts.log.empty() && !log.open(s.opts.log))
    return 1;
  bool tty = isatty(STDOUT_FILENO) && !s.opts.quiet;
  interrupted = false;
  // Under MPI, Ctrl-C ends the job (mpirun signals every rank): stopping
  // cleanly would need all ranks to agree on the step.
  if (!distributed)
    std::signal(SIGINT, onInterrupt);
  int64_t lastStep = firstStep - 1;
  if (firstStep > steps && !s.opts.quiet)
    std::cout << "already at step " << resumed.step << " of " << steps << "; nothing to train\n";
  StateSnapshot before; // --check-numerics: the state the step started from
  Evaluation lastVal;
  int64_t lastValStep = -1;
  auto start = std::chrono::steady_clock::now();
  for (int64_t step = firstStep; step <= steps; ++step) {
    if (position == stepsPerEpoch) {
      if (data.samples > 1)
        shuffle(order, shuffler);
      position = 0;
      ++epoch;
    }
    std::copy(order.begin() + position * batch, order.begin() + (position + 1) * batch, idx.begin());
    ++position;
    if (s.opts.checkNumerics)
      before.save(*model);
    if (!distributed) {
      if (!model->run("train_step", data, idx, r))
        return 1;
    } else {
      cluster.maybeFail(step);
      std::vector<int64_t> mine(idx.begin() + cluster.rank() * localBatch,
                                idx.begin() + (cluster.rank() + 1) * localBatch);
      if (!model->run("grads", data, mine, r, grads.data()))
        return 1;
      // The batch's loss and metrics: means of the ranks' means (the loss
      // of `reduce: sum` adds up, and so do its gradients).
      std::vector<double> scalars;
      for (auto &v : r)
        scalars.push_back(v[0]);
      std::vector<std::vector<double>> lr;
      if (!cluster.allreduceSum(scalars) ||
          !cluster.allreduce(grads.data(), gradCount, gradType, !p.lossBatchSum) ||
          !cluster.averageBuffers(*model) ||
          !model->run("apply", data, {0}, lr, grads.data()))
        return 1;
      for (size_t k = 0; k < r.size(); ++k)
        r[k][0] = k == 0 && p.lossBatchSum ? scalars[k] : scalars[k] / cluster.size();
      r.push_back(lr[0]);
    }
    loss = r[0][0];
    // Nothing is written after a non-finite step: the last checkpoint stays.
    std::string badState = s.opts.checkNumerics && std::isfinite(loss) ? nonFiniteState(*model) : "";
    if (!std::isfinite(loss) || !badState.empty()) {
      if (!std::isfinite(loss))
        std::cerr << "nnc: error: the loss became " << formatNumber(loss) << " at step " << step
                  << "; lower the learning rate (--lr) or check the data\n";
      else
        std::cerr << "nnc: error: the update of step " << step << " made " << badState
                  << "; lower the learning rate (--lr) or check the data\n";
      if (!s.opts.checkNumerics) {
        std::cerr << "nnc: note: rerun with --check-numerics to find the op that produced it\n";
        return 1;
      }
      before.restore(*model);
      std::string culprit = firstNonFinite(*model, data, idx);
      if (culprit.empty())
        culprit = "none of step " + std::to_string(step) + "'s values (the state it started from "
                  "was already non-finite)";
      std::cerr << "nnc: note: --check-numerics: the first non-finite value of step " << step
                << " is " << culprit << "; see --emit=ir-opt for the numbered ops\n";
      return 1;
    }
    lastStep = step;
    bool report = step % printEvery == 0 || step == steps;
    bool evaluate = haveTest && evalEvery && step % evalEvery == 0 && step != steps;
    bool validate = haveVal && ((evalEvery && step % evalEvery == 0) || step == steps);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double rate = double(step - firstStep + 1) / std::max(secs, 1e-9);
    if (tty) {
      // One updating line on a terminal: progress, speed, loss, time left.
      int width = 24, done = int(width * double(step) / double(steps));
      std::cout << "\r[" << std::string(done, '#') << std::string(width - done, '.') << "] epoch "
                << epoch << " step " << step << "/" << steps << "  " << fixed(rate * batch, 4)
                << " img/s  loss " << fixed(loss, 5) << "  ETA "
                << fixed(double(steps - step) / rate, 3) << " s   " << std::flush;
      if (step == steps)
        std::cout << '\n';
    } else if (!s.opts.quiet && report) {
      std::cout << "step " << step << "/" << steps << "  epoch " << epoch << "  loss "
                << fixed(loss, 6);
      for (size_t k = 0; k < p.metrics.size(); ++k)
        std::cout << "  " << p.metrics[k].name << " " << fixed(r[1 + k][0], 4);
      std::cout << "  (" << fixed(rate, 3) << " steps/s)\n";
    }
    if (validate) {
      if (!cluster.evaluate(*model, val, lastVal))
        return 1;
      lastValStep = step;
      if (!s.opts.quiet && step != steps)
        std::cout << (tty ? "\n" : "") << "step " << step << "  validation " << lastVal.describe(p)
                  << '\n';
    }
    if (report || evaluate || validate) {
      LogRow row;
      row.step = step;
      row.epoch = epoch;
      row.loss = loss;
      row.seconds = secs;
      row.lr = r[1 + p.metrics.size()][0];
      for (size_t k = 0; k < p.metrics.size(); ++k)
        row.metrics.push_back(r[1 + k][0]);
      if (evaluate) {
        Evaluation e;
        if (!cluster.evaluate(*model, test, e))
          return 1;
        if (!s.opts.quiet)
          std::cout << (tty ? "\n" : "") << "step " << step << "  test " << e.describe(p) << '\n';
        row.hasTest = true;
        row.testLoss = e.loss;
        row.testMetrics = e.metrics;
      }
      if (validate) {
        row.hasVal = true;
        row.valLoss = lastVal.loss;
        row.valMetrics = lastVal.metrics;
      }
      log.add(row);
    }
    if (interrupted)
      break;
  }
  std::signal(SIGINT, SIG_DFL);
  if (interrupted) {
    // Stopped by Ctrl-C: keep what was learned and say how to go on.
    std::string path = s.opts.output.empty() ? p.modelName + ".interrupted.ckpt" : s.opts.output;
    nnrt_train_state state{static_cast<uint64_t>(lastStep), static_cast<uint64_t>(epoch),
                           static_cast<uint64_t>(position), seed};
    if (tty)
      std::cout << '\n';
    std::cerr << "nnc: interrupted after step " << lastStep << "; ";
    if (!model->saveCheckpoint(path, state))
      return 130;
    std::cerr << "wrote " << path << "\nresume with: nnc train " << s.opts.file << " --resume "
              << path << " --steps " << steps << "\n";
    return 130;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int64_t trained = std::max<int64_t>(steps - firstStep + 1, 0);

  Evaluation train;
  bool keepOutputs = data.samples <= 8; // small enough for every rank to do it all
  if (!(keepOutputs ? model->evaluate(data, train, true) : cluster.evaluate(*model, data, train)))
    return 1;
  double trainLoss = train.loss;
  std::vector<std::vector<double>> &outputs = train.outputs;
  // What preparing batches (gather + convert to the model's types; scaling
  // happened once at load) cost, against the compiled step itself.
  const RunTiming &t = model->timings[distributed ? "grads" : "train_step"];
  std::string dataShare;
  if (t.calls)
    dataShare = " (data: " + fixed(1e3 * t.gatherSeconds / double(t.calls), 2) + " ms per step, " +
                fixed(100 * t.gatherSeconds / std::max(t.gatherSeconds + t.computeSeconds, 1e-12), 2) +
                "% of step time)";
  std::cout << "trained " << trained << " steps in " << fixed(secs, 3) << " s" << dataShare
            << "; on the training data: " << train.describe(p) << '\n';
  if (!std::isfinite(trainLoss)) {
    // The last update broke the model: say so, and write nothing.
    std::cerr << "nnc: error: after step " << steps << " the loss on the training data is "
              << formatNumber(trainLoss) << "; lower the learning rate (--lr) or check the data\n";
    return 1;
  }
  if (p.parameterCount() <= 24) {
    std::cout << "learned parameters:\n";
    for (size_t i = 0; i < p.state.size(); ++i)
      if (p.state[i].kind == StateTensor::Kind::Param || p.state[i].kind == StateTensor::Kind::Frozen)
        std::cout << "  " << p.state[i].name << " = "
                  << formatTensor(model->stateValues(static_cast<int>(i)), p.state[i].type.dims,
                                  p.state[i].type.dtype == DType::F32)
                  << '\n';
  }
  if (data.samples <= 8 && !p.outputs.empty()) {
    std::cout << "outputs on the training data:\n";
    for (size_t o = 0; o < p.outputs.size(); ++o) {
      const TensorType &t = p.outputs[o].node->type;
      std::vector<int64_t> dims = t.dims;
      dims.insert(dims.begin(), t.batched ? data.samples : 1);
      std::cout << "  " << p.outputs[o].name << " = "
                << formatTensor(outputs[o], dims, t.dtype == DType::F32) << '\n';
    }
  }

  if (haveVal) {
    if (lastValStep != steps && !cluster.evaluate(*model, val, lastVal))
      return 1;
    std::cout << "validation " << lastVal.describe(p) << " on " << val.samples << " samples ("
              << val.origin << ")\n";
  }
  if (haveTest) {
    Evaluation result;
    if (!cluster.evaluate(*model, test, result))
      return 1;
    std::cout << "test " << result.describe(p) << " on " << test.samples << " samples ("
              << test.origin << ")\n";
  }

  if (!s.opts.output.empty()) {
    nnrt_train_state state{static_cast<uint64_t>(std::max(steps, static_cast<int64_t>(resumed.step))),
                           static_cast<uint64_t>(epoch), static_cast<uint64_t>(position), seed};
    if (!model->saveCheckpoint(s.opts.output, state))
      return 1;
    if (!s.opts.quiet)
      std::cout << "wrote checkpoint " << s.opts.output << " (step " << state.step << ")\n";
  }
  if (!s.opts.plot.empty()) {
    if (!log.writePlot(s.opts.plot, p.modelName + ": training curves"))
      return 1;
    if (!s.opts.quiet)
      std::cout << "wrote training curves to " << s.opts.plot << '\n';
  }
  if (!s.opts.paramsOut.empty()) {
    std::string error;
    if (!writeFileAtomic(s.opts.paramsOut, model->paramsJson(), error)) {
      std::cerr << "nnc: error: " << error << '\n';
      return 1;
    }
    if (!s.opts.quiet)
      std::cout << "wrote parameters to " << s.opts.paramsOut << '\n';
  }
  return 0;
}

} // namespace nnc
