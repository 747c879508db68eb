//===- TrainingLog.h - metrics log (CSV / JSON lines) and SVG curves -*- C++ -*-===//
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace nnc {

/// One row: a training step's numbers, and the test set's when evaluated.
struct LogRow {
  long long step = 0, epoch = 0;
  double loss = 0, seconds = 0, lr = 0;
  std::vector<double> metrics;                  // training batch
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
  /// Loss (left axis, log scale) and metrics (right axis, 0..1) against
  /// step, as a self-contained SVG; written atomically.
  bool writePlot(const std::string &path, const std::string &title) const;

private:
  std::vector<std::string> metricNames_;
  std::vector<LogRow> rows_;
  std::ofstream file_;
  bool json_ = false;
  bool withVal_ = false;
};

} // namespace nnc
