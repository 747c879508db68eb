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
};

/// Streams rows to `--log FILE` (JSON lines when FILE ends in .jsonl or
/// .json, else CSV with a header) and keeps them for `--plot FILE.svg`.
class TrainingLog {
public:
  TrainingLog(std::vector<std::string> metricNames) : metricNames_(std::move(metricNames)) {}
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
};

} // namespace nnc
