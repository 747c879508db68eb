//===- ModelInstance.h - a JIT-compiled model the driver runs ---*- C++ -*-===//
//
// Wraps the runtime's nnrt_model for the driver: moves samples of a Dataset
// into typed batch buffers, runs an entry point, and converts results and
// parameters to and from doubles (for JSON).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "driver/Dataset.h"
#include "ir/Program.h"
#include "nnrt.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc {

/// The loss, metrics and (optionally) outputs of a whole data set.
struct Evaluation {
  double loss = 0;
  std::vector<double> metrics;             // per Program::metrics
  std::vector<std::vector<double>> outputs; // per output, all samples
  /// `loss 0.12, accuracy 0.97`
  std::string describe(const Program &p) const;
};

class ModelInstance {
public:
  ModelInstance(const Program &p, nnrt_model *m, int64_t maxBatch)
      : p_(p), m_(m), maxBatch_(maxBatch) {}
  ~ModelInstance() { nnrt_model_destroy(m_); }
  /// nullptr (error printed) when the runtime refuses.
  static std::unique_ptr<ModelInstance> create(const Program &p, const nnrt_model_desc *desc,
                                               uint64_t seed, int64_t maxBatch);

  /// Runs `entry` on the samples `indices` of `data`; `results` gets each
  /// result as doubles. False (error printed) on failure.
  bool run(const std::string &entry, const Dataset &data, const std::vector<int64_t> &indices,
           std::vector<std::vector<double>> &results);

  /// Runs eval over all of `d` in chunks of up to the instance's batch limit; the loss
  /// and metrics are sample-weighted means of the chunks'.
  bool evaluate(const Dataset &d, Evaluation &out, bool keepOutputs = false);

  /// Parameters (not optimizer state) as a JSON object, shapes nested.
  std::string paramsJson() const;
  /// Sets parameters from a JSON file; false (error printed) on bad input.
  bool loadParamsJson(const std::string &path);
  /// Loads a checkpoint or a JSON file (told apart by the magic bytes).
  bool loadParams(const std::string &path, nnrt_train_state *train = nullptr);
  /// Writes a checkpoint atomically; false (error printed) on failure.
  bool saveCheckpoint(const std::string &path, const nnrt_train_state &train);

  std::vector<double> stateValues(int index) const;
  void setStateValues(int index, const std::vector<double> &values);
  const Program &program() const { return p_; }

private:
  const Program &p_;
  nnrt_model *m_;
  int64_t maxBatch_;
  std::vector<std::vector<char>> scratch_; // argument buffers, reused
};

/// `[[1, 2], [3, 4]]` text of values with per-sample dims (no batch).
std::string formatTensor(const std::vector<double> &values, const std::vector<int64_t> &dims,
                         bool single, size_t offset = 0);

} // namespace nnc
