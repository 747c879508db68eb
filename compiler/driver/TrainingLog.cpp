//===- TrainingLog.cpp ----------------------------------------------------===//
#include "driver/TrainingLog.h"

#include "support/Diagnostics.h"
#include "support/Json.h"

#include <algorithm>
#include <cmath>
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

bool TrainingLog::writePlot(const std::string &path, const std::string &title) const {
  const double W = 760, H = 420, left = 70, right = 70, top = 40, bottom = 50;
  const double pw = W - left - right, ph = H - top - bottom;
  long long maxStep = 1;
  double lo = INFINITY, hi = -INFINITY;
  for (const LogRow &r : rows_) {
    maxStep = std::max(maxStep, r.step);
    for (double v : {r.loss, r.hasTest ? r.testLoss : r.loss, r.hasVal ? r.valLoss : r.loss})
      if (v > 0 && std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  }
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
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
         "fill=\"white\"/>\n<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" "
         "font-size=\"15\">" << title << "</text>\n";
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
      << "\" fill=\"none\" stroke=\"#888\"/>\n";
  for (double e = llo; e <= lhi; e += 1)
    svg << "<text x=\"" << left - 6 << "\" y=\"" << yLoss(std::pow(10, e)) + 4
        << "\" text-anchor=\"end\">1e" << e << "</text>\n";
  for (int k = 0; k <= 4; ++k)
    svg << "<text x=\"" << left + pw + 6 << "\" y=\"" << yMetric(k / 4.0) + 4 << "\">"
        << k * 25 << "%</text>\n<text x=\"" << x(maxStep * k / 4.0) << "\" y=\"" << top + ph + 18
        << "\" text-anchor=\"middle\">" << (maxStep * k / 4) << "</text>\n";
  svg << "<text x=\"" << left + pw / 2 << "\" y=\"" << H - 10 << "\" text-anchor=\"middle\">step</text>\n";
  struct Series {
    const char *color, *label;
    bool dashed;
    std::vector<std::pair<double, double>> points;
  };
  std::vector<Series> series = {{"#1f77b4", "train loss", false, {}}, {"#1f77b4", "test loss", true, {}}};
  const char *colors[] = {"#d62728", "#2ca02c", "#9467bd"};
  for (size_t k = 0; k < metricNames_.size() && k < 3; ++k) {
    series.push_back({colors[k], nullptr, false, {}});
    series.push_back({colors[k], nullptr, true, {}});
  }
  // --val-split: the validation loss and first metric, in orange.
  size_t valFirst = series.size();
  std::string valMetric = metricNames_.empty() ? "" : "validation " + metricNames_[0];
  if (withVal_) {
    series.push_back({"#ff7f0e", "validation loss", true, {}});
    if (!metricNames_.empty())
      series.push_back({"#ff7f0e", valMetric.c_str(), false, {}});
  }
  std::vector<std::string> labels;
  for (const LogRow &r : rows_) {
    if (withVal_ && r.hasVal) {
      series[valFirst].points.push_back({x(r.step), yLoss(r.valLoss)});
      if (!metricNames_.empty())
        series[valFirst + 1].points.push_back({x(r.step), yMetric(r.valMetrics[0])});
    }
    series[0].points.push_back({x(r.step), yLoss(r.loss)});
    if (r.hasTest)
      series[1].points.push_back({x(r.step), yLoss(r.testLoss)});
    for (size_t k = 0; k < metricNames_.size() && k < 3; ++k) {
      series[2 + 2 * k].points.push_back({x(r.step), yMetric(r.metrics[k])});
      if (r.hasTest)
        series[3 + 2 * k].points.push_back({x(r.step), yMetric(r.testMetrics[k])});
    }
  }
  for (size_t i = 0; i < series.size(); ++i) {
    const Series &s = series[i];
    std::string label = s.label ? s.label
                                : (s.dashed ? "test " : "train ") + metricNames_[(i - 2) / 2];
    if (s.points.empty())
      continue;
    svg << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.5\""
        << (s.dashed ? " stroke-dasharray=\"5,3\"" : "") << " points=\"";
    for (auto &pt : s.points)
      svg << pt.first << ',' << pt.second << ' ';
    svg << "\"/>\n";
    double ly = top + 14 + 16 * double(labels.size());
    svg << "<line x1=\"" << left + 10 << "\" y1=\"" << ly - 4 << "\" x2=\"" << left + 34 << "\" y2=\""
        << ly - 4 << "\" stroke=\"" << s.color << "\"" << (s.dashed ? " stroke-dasharray=\"5,3\"" : "")
        << "/><text x=\"" << left + 40 << "\" y=\"" << ly << "\">" << label << "</text>\n";
    labels.push_back(label);
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
