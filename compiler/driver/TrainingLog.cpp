//===- TrainingLog.cpp ----------------------------------------------------===//
#include "driver/TrainingLog.h"

#include "support/Diagnostics.h"
#include "support/Json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace nnc {

bool TrainingLog::open(const std::string &path) {
  file_.open(path, std::ios::out | std::ios::trunc);
  if (!file_) {
    std::cerr << "nnc: error: cannot write log '" << path << "'\n";
    return false;
  }
  auto ends = [&](const char *suffix) {
    std::string s(suffix);
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  json_ = ends(".jsonl") || ends(".json");
  if (!json_) {
    file_ << "step,epoch,wall_seconds,lr,loss";
    for (const std::string &m : metricNames_)
      file_ << ',' << m;
    file_ << ",test_loss";
    for (const std::string &m : metricNames_)
      file_ << ",test_" << m;
    if (withVal_) {
      file_ << ",val_loss";
      for (const std::string &m : metricNames_)
        file_ << ",val_" << m;
    }
    file_ << '\n';
  }
  return true;
}

void TrainingLog::add(const LogRow &row) {
  rows_.push_back(row);
  if (!file_.is_open())
    return;
  if (json_) {
    file_ << "{\"step\": " << row.step << ", \"epoch\": " << row.epoch
          << ", \"wall_seconds\": " << formatNumber(row.seconds) << ", \"lr\": "
          << formatNumber(row.lr) << ", \"loss\": " << formatNumber(row.loss);
    for (size_t k = 0; k < metricNames_.size(); ++k)
      file_ << ", \"" << metricNames_[k] << "\": " << formatNumber(row.metrics[k]);
    if (row.hasTest) {
      file_ << ", \"test_loss\": " << formatNumber(row.testLoss);
      for (size_t k = 0; k < metricNames_.size(); ++k)
        file_ << ", \"test_" << metricNames_[k] << "\": " << formatNumber(row.testMetrics[k]);
    }
    if (row.hasVal) {
      file_ << ", \"val_loss\": " << formatNumber(row.valLoss);
      for (size_t k = 0; k < metricNames_.size(); ++k)
        file_ << ", \"val_" << metricNames_[k] << "\": " << formatNumber(row.valMetrics[k]);
    }
    file_ << "}\n";
  } else {
    file_ << row.step << ',' << row.epoch << ',' << formatNumber(row.seconds) << ','
          << formatNumber(row.lr) << ',' << formatNumber(row.loss);
    for (double v : row.metrics)
      file_ << ',' << formatNumber(v);
    file_ << ',' << (row.hasTest ? formatNumber(row.testLoss) : "");
    for (size_t k = 0; k < metricNames_.size(); ++k)
      file_ << ',' << (row.hasTest ? formatNumber(row.testMetrics[k]) : "");
    if (withVal_) {
      file_ << ',' << (row.hasVal ? formatNumber(row.valLoss) : "");
      for (size_t k = 0; k < metricNames_.size(); ++k)
        file_ << ',' << (row.hasVal ? formatNumber(row.valMetrics[k]) : "");
    }
    file_ << '\n';
  }
  file_.flush(); // a log is read while training runs
}

void TrainingLog::noteLearningRate(long long step, double lr) {
  lrLast_ = {step, lr};
  if (!lrPoints_.empty() && step - lrPoints_.back().first < lrStride_)
    return;
  lrPoints_.push_back(lrLast_);
  if (lrPoints_.size() >= 4096) { // keep every other point, and twice the stride
    for (size_t i = 0; 2 * i < lrPoints_.size(); ++i)
      lrPoints_[i] = lrPoints_[2 * i];
    lrPoints_.resize((lrPoints_.size() + 1) / 2);
    lrStride_ *= 2;
  }
}

bool TrainingLog::writePlot(const std::string &path, const std::string &title) const {
  // The plot area, the metric axis right of it, the legend right of that
  // (never on the curves) and, when the learning rate changes (a schedule or
  // warm-up), a learning-rate panel below.
  const double left = 70, pw = 560, top = 40, ph = 300;
  const double legendX = left + pw + 70, legendW = 230, W = legendX + legendW + 10;
  long long maxStep = 1;
  double lo = INFINITY, hi = -INFINITY, lrLo = INFINITY, lrHi = -INFINITY;
  auto trainLoss = [](const LogRow &r) { return r.metricMeans.size() == r.metrics.size() ? r.lossMean : r.loss; };
  auto trainMetric = [](const LogRow &r, size_t k) {
    return r.metricMeans.size() == r.metrics.size() ? r.metricMeans[k] : r.metrics[k];
  };
  for (const LogRow &r : rows_) {
    maxStep = std::max(maxStep, r.step);
    for (double v : {trainLoss(r), r.hasTest ? r.testLoss : trainLoss(r), r.hasVal ? r.valLoss : trainLoss(r)})
      if (v > 0 && std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  }
  // The learning rate of every step (noteLearningRate), else of the rows.
  std::vector<std::pair<long long, double>> lrs = lrPoints_;
  if (!lrs.empty() && lrLast_.first > lrs.back().first)
    lrs.push_back(lrLast_);
  if (lrs.empty())
    for (const LogRow &r : rows_)
      lrs.push_back({r.step, r.lr});
  for (auto &[step, lr] : lrs)
    if (std::isfinite(lr)) {
      maxStep = std::max(maxStep, step);
      lrLo = std::min(lrLo, lr);
      lrHi = std::max(lrHi, lr);
    }
  bool lrPanel = lrLo < lrHi;
  const double lrTop = top + ph + 45, lrH = 80;
  const double H = lrPanel ? lrTop + lrH + 50 : top + ph + 50;
  if (!(lo < hi)) {
    lo = lo > 0 && std::isfinite(lo) ? lo / 10 : 1e-3;
    hi = lo * 100;
  }
  double llo = std::floor(std::log10(lo)), lhi = std::ceil(std::log10(hi));
  if (llo == lhi)
    lhi += 1;
  auto x = [&](double step) { return left + pw * step / double(maxStep); };
  auto yLoss = [&](double v) { return top + ph * (lhi - std::log10(std::max(v, 1e-300))) / (lhi - llo); };
  auto yMetric = [&](double v) { return top + ph * (1 - std::clamp(v, 0.0, 1.0)); };
  auto yLr = [&](double v) { return lrTop + lrH * (1 - (lrHi > 0 ? std::max(v, 0.0) / lrHi : 0)); };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
         "fill=\"white\"/>\n<text x=\"" << (left + pw / 2) << "\" y=\"22\" text-anchor=\"middle\" "
         "font-size=\"15\">" << title << "</text>\n";
  svg << "<rect id=\"plot-area\" x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw
      << "\" height=\"" << ph << "\" fill=\"none\" stroke=\"#888\"/>\n";
  // Left axis: loss, log scale.
  for (double e = llo; e <= lhi; e += 1)
    svg << "<text x=\"" << left - 6 << "\" y=\"" << yLoss(std::pow(10, e)) + 4
        << "\" text-anchor=\"end\">1e" << e << "</text>\n";
  svg << "<text transform=\"translate(" << 18 << ',' << top + ph / 2
      << ") rotate(-90)\" text-anchor=\"middle\">loss (log scale)</text>\n";
  // Right axis: the metrics, 0..1; step ticks below.
  for (int k = 0; k <= 4; ++k)
    svg << "<text x=\"" << left + pw + 6 << "\" y=\"" << yMetric(k / 4.0) + 4 << "\">"
        << k * 25 << "%</text>\n<text x=\"" << x(maxStep * k / 4.0) << "\" y=\"" << top + ph + 18
        << "\" text-anchor=\"middle\">" << (maxStep * k / 4) << "</text>\n";
  if (!metricNames_.empty())
    svg << "<text transform=\"translate(" << left + pw + 52 << ',' << top + ph / 2
        << ") rotate(90)\" text-anchor=\"middle\">" << (metricNames_.size() == 1 ? metricNames_[0] : "metrics")
        << "</text>\n";
  svg << "<text x=\"" << left + pw / 2 << "\" y=\"" << top + ph + 34
      << "\" text-anchor=\"middle\">step</text>\n";
  struct Series {
    const char *color;
    std::string label;
    bool dashed, markers, hollow;
    std::vector<std::pair<double, double>> points;
  };
  std::vector<Series> series = {{"#1f77b4", "train loss (epoch mean)", false, false, false, {}},
                                {"#1f77b4", "test loss", true, true, false, {}}};
  const char *colors[] = {"#d62728", "#2ca02c", "#9467bd"};
  size_t shown = std::min<size_t>(metricNames_.size(), 3);
  for (size_t k = 0; k < shown; ++k) {
    series.push_back({colors[k], "train " + metricNames_[k] + " (epoch mean)", false, false, false, {}});
    series.push_back({colors[k], "test " + metricNames_[k], true, true, false, {}});
  }
  // --val-split: the validation loss and first metric, in orange, hollow circles.
  size_t valFirst = series.size();
  if (withVal_) {
    series.push_back({"#ff7f0e", "validation loss", true, true, true, {}});
    if (!metricNames_.empty())
      series.push_back({"#ff7f0e", "validation " + metricNames_[0], false, true, true, {}});
  }
  // A running mean of the first few batches of an epoch jumps: such points
  // are left out of the training curves, unless that leaves none.
  long long settle = std::max(1LL, std::min(10LL, stepsPerEpoch_ / 4));
  if (std::none_of(rows_.begin(), rows_.end(), [&](const LogRow &r) { return r.meanSteps >= settle; }))
    settle = 0;
  for (const LogRow &r : rows_) {
    if (withVal_ && r.hasVal) {
      series[valFirst].points.push_back({x(r.step), yLoss(r.valLoss)});
      if (!metricNames_.empty())
        series[valFirst + 1].points.push_back({x(r.step), yMetric(r.valMetrics[0])});
    }
    bool settled = r.meanSteps == 0 || r.meanSteps >= settle;
    if (settled)
      series[0].points.push_back({x(r.step), yLoss(trainLoss(r))});
    if (r.hasTest)
      series[1].points.push_back({x(r.step), yLoss(r.testLoss)});
    for (size_t k = 0; k < shown; ++k) {
      if (settled)
        series[2 + 2 * k].points.push_back({x(r.step), yMetric(trainMetric(r, k))});
      if (r.hasTest)
        series[3 + 2 * k].points.push_back({x(r.step), yMetric(r.testMetrics[k])});
    }
  }
  auto marker = [&](const Series &s, double cx, double cy, const char *cls) {
    svg << "<circle class=\"" << cls << "\" data-series=\"" << s.label << "\" cx=\"" << cx
        << "\" cy=\"" << cy << "\" r=\"3\" fill=\"" << (s.hollow ? "white" : s.color)
        << "\" stroke=\"" << s.color << "\" stroke-width=\"1.5\"/>\n";
  };
  std::vector<const Series *> drawn;
  for (const Series &s : series) {
    if (s.points.empty())
      continue;
    svg << "<polyline data-series=\"" << s.label << "\" fill=\"none\" stroke=\"" << s.color
        << "\" stroke-width=\"1.5\""
        << (s.dashed ? " stroke-dasharray=\"5,3\"" : "") << " points=\"";
    for (auto &pt : s.points)
      svg << pt.first << ',' << pt.second << ' ';
    svg << "\"/>\n";
    if (s.markers) // one per evaluation, so that a single one shows
      for (auto &pt : s.points)
        marker(s, pt.first, pt.second, "marker");
    drawn.push_back(&s);
  }
  if (lrPanel) {
    char peak[32];
    std::snprintf(peak, sizeof peak, "%.3g", lrHi);
    svg << "<rect id=\"lr-area\" x=\"" << left << "\" y=\"" << lrTop << "\" width=\"" << pw
        << "\" height=\"" << lrH << "\" fill=\"none\" stroke=\"#888\"/>\n"
        << "<text x=\"" << left - 6 << "\" y=\"" << yLr(lrHi) + 4 << "\" text-anchor=\"end\">"
        << peak << "</text>\n<text x=\"" << left - 6 << "\" y=\"" << yLr(0) + 4
        << "\" text-anchor=\"end\">0</text>\n<text x=\"" << left + 6 << "\" y=\"" << lrTop - 6
        << "\">learning rate</text>\n";
    for (int k = 0; k <= 4; ++k)
      svg << "<text x=\"" << x(maxStep * k / 4.0) << "\" y=\"" << lrTop + lrH + 18
          << "\" text-anchor=\"middle\">" << (maxStep * k / 4) << "</text>\n";
    svg << "<text x=\"" << left + pw / 2 << "\" y=\"" << lrTop + lrH + 34
        << "\" text-anchor=\"middle\">step</text>\n<polyline id=\"lr\" fill=\"none\" stroke=\"#555\" "
           "stroke-width=\"1.5\" points=\"";
    for (auto &[step, lr] : lrs)
      if (std::isfinite(lr))
        svg << x(double(step)) << ',' << yLr(lr) << ' ';
    svg << "\"/>\n";
  }
  // The legend, right of the metric axis.
  double legendH = 10 + 18 * double(drawn.size());
  svg << "<rect id=\"legend\" x=\"" << legendX << "\" y=\"" << top << "\" width=\"" << legendW
      << "\" height=\"" << legendH << "\" fill=\"white\" stroke=\"#ccc\"/>\n";
  for (size_t i = 0; i < drawn.size(); ++i) {
    const Series &s = *drawn[i];
    double ly = top + 20 + 18 * double(i);
    svg << "<line x1=\"" << legendX + 8 << "\" y1=\"" << ly - 4 << "\" x2=\"" << legendX + 32
        << "\" y2=\"" << ly - 4 << "\" stroke=\"" << s.color << "\" stroke-width=\"1.5\""
        << (s.dashed ? " stroke-dasharray=\"5,3\"" : "") << "/>\n";
    if (s.markers)
      marker(s, legendX + 20, ly - 4, "legend-marker");
    svg << "<text x=\"" << legendX + 38 << "\" y=\"" << ly << "\">" << s.label << "</text>\n";
  }
  svg << "</svg>\n";
  std::string error;
  if (!writeFileAtomic(path, svg.str(), error)) {
    std::cerr << "nnc: error: " << error << '\n';
    return false;
  }
  return true;
}

} // namespace nnc
