//===- Dataset.h - data bound to a model's inputs and targets ---*- C++ -*-===//
#pragma once

#include "ir/Program.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc {

/// Windows over a token stream (Text.h): sample i of `input` is the T
/// tokens from begin + i * stride, and of `target` the T tokens one later.
struct TokenWindows {
  std::shared_ptr<const std::vector<int32_t>> tokens;
  int64_t begin = 0, length = 0, stride = 1;
  std::string input, target;
  /// The token of element k of sample i for `name` (input or target).
  const int32_t *sample(const std::string &name, int64_t i) const {
    return tokens->data() + begin + i * stride + (name == target ? 1 : 0);
  }
};

/// Samples for some of a model's inputs/targets, by name; each column holds
/// samples * elementsPerSample values, sample-major. A text's inputs come
/// from `windows` instead (no copy per sample).
struct Dataset {
  std::string origin; // where it came from, for messages
  int64_t samples = 0;
  std::map<std::string, std::vector<double>> columns;
  std::optional<TokenWindows> windows;
  /// Every .npy had exactly the per-sample shape: one sample, written back
  /// without a batch axis.
  bool single = false;
  bool has(const std::string &name) const {
    return columns.count(name) || (windows && (name == windows->input || name == windows->target));
  }
};

/// Loads `--data` specs: NAME=FILE where FILE is CSV (all columns are NAME's
/// values), IDX (MNIST's format) or NumPy .npy (samples first), or a bare
/// FILE.csv (columns matched to names: `x` for a one-element input, `x_0`,
/// `x_1`, ... otherwise). Errors are printed as `file:line: error: ...`.
/// NaN and Inf in IDX/.npy are errors unless `allowNonFinite` (predict's
/// inputs); CSV cells must always be finite decimal numbers.
bool loadDataset(const Program &p, const std::vector<std::string> &specs, Dataset &out,
                 const std::vector<std::string> &scales = {}, bool allowNonFinite = false);

/// Reads one array from an IDX or NumPy .npy file (told apart by the magic
/// bytes): dims (first one the samples) and the elements as doubles. False
/// (printed as `path: error: ...`) when the file is neither or is damaged.
bool readArrayFile(const std::string &path, std::vector<int64_t> &dims, std::vector<double> &data);

/// The model's inline `data NAME { }` block; false when there is none.
bool inlineDataset(const Program &p, const std::string &name, Dataset &out);

/// Multiplies columns by `--scale NAME=FACTOR` factors (FACTOR may be A/B).
bool applyScales(const Program &p, const std::vector<std::string> &scales, Dataset &d);

/// Class labels must be whole numbers in 0..N-1; false (printed) if not.
bool checkLabels(const Program &p, const Dataset &d);
/// Every value of a typed input (`input m: bool[...]`, `i64[...]`, `f16[...]`)
/// is one its type holds (1 or 0, a whole number in range, a float16); else
/// an error naming the sample and element.
bool checkStored(const Program &p, const Dataset &d);

/// The names of inputs (and targets, when asked) the data set lacks.
std::vector<std::string> missingColumns(const Program &p, const Dataset &d, bool targets);

} // namespace nnc
