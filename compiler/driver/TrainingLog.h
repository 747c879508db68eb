//===- TrainingLog.h - metrics log (CSV / JSON lines) and SVG curves -*- C++ -*-===//
#pragma once

#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace nnc {

/// One row: a training step's numbers, and the test set's when evaluated.
struct LogRow {
  long long step = 0, epoch = 0;
  double loss = 0, seconds = 0, lr = 0;
  std::vector<double> metrics;                  // training batch
  // The running means over the epoch so far (the progress lines' numbers);
  // --plot draws these. Empty metricMeans: the plot falls back to the batch's.
  double lossMean = 0;
  std::vector<double> metricMeans;
  long long meanSteps = 0; // the steps those means cover (0: not known)
  bool hasTest = false;
  double testLoss = 0;
  std::vector<double> testMetrics;
  bool hasVal = false; // --val-split: the held-out part of the training data
  double valLoss = 0;
  std::vector<double> valMetrics;
};

/// Streams rows to `--log FILE` (JSON lines when FILE ends in .jsonl or
/// .json, else CSV with a header) and keeps them for `--plot FILE.svg`.
class TrainingLog {
public:
  /// `withVal`: add val_loss and val_<metric> columns (--val-split).
  TrainingLog(std::vector<std::string> metricNames, bool withVal = false)
      : metricNames_(std::move(metricNames)), withVal_(withVal) {}
  /// False (error printed) when the file cannot be created.
  bool open(const std::string &path);
  void add(const LogRow &row);
  /// Every step's learning rate, for the plot's learning-rate panel (kept
  /// thinned to at most 4096 points, the last step's always).
  void noteLearningRate(long long step, double lr);
  /// Steps per epoch: the plot leaves out training points whose running
  /// mean covers fewer than min(10, a quarter of this) steps (the first
  /// batches of an epoch, whose mean jumps).
  void setStepsPerEpoch(long long steps) { stepsPerEpoch_ = steps; }
  /// Loss (left axis, log scale) and metrics (right axis, 0..1) against
  /// step, as a self-contained SVG; written atomically. The training curves
  /// are the epoch's running means; test and validation curves have a circle
  /// at every evaluation; the legend is right of the plot area; a panel below
  /// draws the learning rate when it changes (a schedule).
  bool writePlot(const std::string &path, const std::string &title) const;

private:
  std::vector<std::string> metricNames_;
  std::vector<LogRow> rows_;
  std::ofstream file_;
  bool json_ = false;
  bool withVal_ = false;
  std::vector<std::pair<long long, double>> lrPoints_;
  std::pair<long long, double> lrLast_{-1, 0};
  long long lrStride_ = 1;
  long long stepsPerEpoch_ = 0;
};

} // namespace nnc
