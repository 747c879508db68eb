//===- Standardize.cpp ----------------------------------------------------===//
#include "driver/Standardize.h"

#include "driver/CheckpointFile.h"
#include "support/Suggest.h"

#include "nnrt.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace nnc {
namespace {

/// `NAME` or `NAME:AXIS`.
bool parseFlag(const std::string &spec, std::string &name, int64_t &axis) {
  size_t colon = spec.find(':');
  name = spec.substr(0, colon);
  axis = -1;
  if (colon != std::string::npos) {
    std::string text = spec.substr(colon + 1);
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end || errno || v < -64 || v > 64)
      name.clear();
    axis = v;
  }
  if (name.empty() || name.find('=') != std::string::npos) {
    std::cerr << "nnc: error: --standardize expects NAME or NAME:AXIS (e.g. image, or "
                 "image:0 for statistics per index of axis 0), got '"
              << spec << "'\n";
    return false;
  }
  return true;
}

/// The inputs a checkpoint standardises: buffers NAME.mean and NAME.std of
/// one shape; the axis is the one longer than 1 (the last when none is).
std::map<std::string, int64_t> checkpointStatistics(const std::string &path) {
  std::map<std::string, int64_t> found;
  CheckpointContents c;
  // A damaged file is reported by the runtime when it is loaded.
  if (!nnrt_is_checkpoint(path.c_str()) || !readCheckpointFile(path, c).empty())
    return found;
  std::map<std::string, const CheckpointTensor *> buffers;
  for (const CheckpointTensor &t : c.tensors)
    if (t.kind == NNRT_BUFFER)
      buffers[t.name] = &t;
  const std::string suffix = ".mean";
  for (const auto &[name, t] : buffers) {
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix))
      continue;
    std::string input = name.substr(0, name.size() - suffix.size());
    auto std = buffers.find(input + ".std");
    if (std == buffers.end() || std->second->dims != t->dims)
      continue;
    int64_t axis = -1;
    for (size_t d = 0; d < t->dims.size(); ++d)
      if (t->dims[d] > 1)
        axis = int64_t(d);
    found[input] = axis;
  }
  return found;
}

std::string fourDigits(double v) {
  std::ostringstream os;
  os.precision(4);
  os << v;
  return os.str();
}

} // namespace

bool loadStandardization(Session &s) {
  const Options &o = s.opts;
  for (const std::string &spec : o.standardize) {
    std::string name;
    int64_t axis;
    if (!parseFlag(spec, name, axis))
      return false;
    s.standardize[name] = axis;
    s.standardizeFlags.insert(name);
  }
  for (const std::string *path : {&o.params, &o.resume, &o.initParams}) {
    if (path->empty())
      continue;
    std::map<std::string, int64_t> held = checkpointStatistics(*path);
    for (const auto &[name, axis] : held) {
      if (!s.standardizeFlags.count(name))
        s.standardize[name] = axis;
      if (path != &o.params)
        s.standardizeLoaded.insert(name);
      s.standardizeInCheckpoint.insert(name);
    }
    // A checkpoint restores every tensor of the model it is loaded into.
    if (path != &o.params && nnrt_is_checkpoint(path->c_str()))
      for (const std::string &name : s.standardizeFlags)
        if (!held.count(name)) {
          std::cerr << "nnc: error: --standardize " << name << ": the checkpoint '" << *path
                    << "' holds no statistics for '" << name << "' (" << name << ".mean, " << name
                    << ".std); start from one trained with --standardize " << name
                    << ", or from its parameters alone (--params-out JSON or NAME.npy files)\n";
          return false;
        }
  }
  // Only training fits statistics; the other commands take a checkpoint's.
  bool fits = o.command == "train" || o.command == "compile" || o.command == "check" ||
              o.command == "info" || o.command == "gradcheck";
  for (const std::string &name : s.standardizeFlags)
    if (!fits && !s.standardizeInCheckpoint.count(name)) {
      std::cerr << "nnc: error: --standardize " << name << ": "
                << (o.params.empty() ? std::string("give --params with the checkpoint")
                                     : "'" + o.params + "' holds no statistics for '" + name + "';")
                << (o.params.empty() ? " of a run trained with it" : " they are fitted by nnc train "
                                                                     "--standardize " + name)
                << " (the checkpoint's " << name << ".mean and " << name << ".std)\n";
      return false;
    }
  return true;
}

bool checkStandardization(const Session &s) {
  std::vector<std::string> inputs;
  for (const Interface &in : s.program->inputs)
    if (!in.isTarget)
      inputs.push_back(in.name);
  for (const std::string &name : s.standardizeFlags)
    if (std::find(inputs.begin(), inputs.end(), name) == inputs.end()) {
      std::cerr << "nnc: error: --standardize " << name << ": model '" << s.program->modelName
                << "' has no input '" << name << "'" << didYouMean(name, inputs) << '\n';
      return false;
    }
  return true;
}

bool fitStandardization(const Session &s, const Dataset &data, ModelInstance &model) {
  const Program &p = *s.program;
  for (const Interface &in : p.inputs) {
    auto st = s.standardize.find(in.name);
    if (st == s.standardize.end() || in.isTarget)
      continue;
    if (s.standardizeLoaded.count(in.name)) {
      if (!s.opts.quiet)
        std::cout << "standardize " << in.name << ": the statistics of the checkpoint\n";
      continue;
    }
    auto column = data.columns.find(in.name);
    if (column == data.columns.end() || data.samples == 0) {
      std::cerr << "nnc: error: --standardize " << in.name << ": the training data has no '"
                << in.name << "' to fit its statistics on\n";
      return false;
    }
    const std::vector<int64_t> &dims = in.node->type.dims;
    int64_t rank = int64_t(dims.size()), axis = st->second < 0 ? st->second + rank : st->second;
    int64_t channels = rank ? dims[axis] : 1, inner = 1;
    for (int64_t d = axis + 1; d < rank; ++d)
      inner *= dims[d];
    // Two passes in double: the mean, then the mean squared deviation
    // (the population variance, as Keras' adapt and numpy's std).
    const std::vector<double> &v = column->second;
    std::vector<double> sum(channels, 0), dev(channels, 0);
    double perChannel = double(v.size()) / double(channels);
    for (size_t i = 0; i < v.size(); ++i)
      sum[(int64_t(i) / inner) % channels] += v[i];
    std::vector<double> mean(channels), std(channels);
    for (int64_t c = 0; c < channels; ++c)
      mean[c] = sum[c] / perChannel;
    for (size_t i = 0; i < v.size(); ++i) {
      double d = v[i] - mean[(int64_t(i) / inner) % channels];
      dev[(int64_t(i) / inner) % channels] += d * d;
    }
    int64_t constant = 0;
    for (int64_t c = 0; c < channels; ++c) {
      std[c] = std::sqrt(dev[c] / perChannel);
      if (!(std[c] > 0)) {
        std[c] = 1;
        ++constant;
      }
    }
    for (size_t k = 0; k < p.state.size(); ++k) {
      if (p.state[k].name == in.name + ".mean")
        model.setStateValues(int(k), mean);
      if (p.state[k].name == in.name + ".std")
        model.setStateValues(int(k), std);
    }
    if (s.opts.quiet)
      continue;
    std::cout << "standardize " << in.name << ": ";
    if (channels <= 4) {
      for (int64_t c = 0; c < channels; ++c)
        std::cout << (c ? ", " : "") << "mean " << fourDigits(mean[c]) << " std "
                  << fourDigits(std[c]);
    } else {
      auto range = [](const std::vector<double> &x) {
        auto [lo, hi] = std::minmax_element(x.begin(), x.end());
        return fourDigits(*lo) + ".." + fourDigits(*hi);
      };
      std::cout << channels << " channels (axis " << axis << "), mean " << range(mean) << ", std "
                << range(std);
    }
    std::cout << " (fitted on " << data.samples << " samples";
    if (constant)
      std::cout << "; " << constant << " constant channel" << (constant > 1 ? "s get" : " gets")
                << " std 1";
    std::cout << ")\n";
  }
  return true;
}

void warnRawPixels(const Session &s, const Dataset &data) {
  for (const Interface &in : s.program->inputs) {
    if (in.isTarget || in.classes || in.node->type.dims.size() < 2 || s.standardize.count(in.name))
      continue;
    bool scaled = false;
    for (const std::string &spec : s.opts.scale)
      scaled |= spec.compare(0, in.name.size() + 1, in.name + "=") == 0;
    auto column = data.columns.find(in.name);
    if (scaled || column == data.columns.end())
      continue;
    double most = 0;
    bool pixels = true;
    for (double x : column->second) {
      pixels = x >= 0 && x <= 255 && x == std::floor(x);
      if (!pixels)
        break;
      most = std::max(most, x);
    }
    if (pixels && most > 15)
      std::cerr << "nnc: warning: '" << in.name << "' holds whole numbers up to " << most
                << " (raw pixels?); networks train on values near [-1, 1]: add --scale " << in.name
                << "=1/255 or --standardize " << in.name << '\n';
  }
}

} // namespace nnc
