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

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nnc {

/// The loss, metrics and (optionally) outputs of a whole data set.
struct Evaluation {
  double loss = 0;
  std::vector<double> metrics;             // per Program::metrics
  std::vector<std::vector<double>> outputs; // per output, all samples
  /// `loss 0.12, accuracy 0.97`: every digit, or `digits` significant ones
  /// (the trainer's lines).
  std::string describe(const Program &p, int digits = 0) const;
};

/// Where the time of an entry's calls went: moving samples into the typed
/// batch buffers (gather + convert) against the compiled code itself.
struct RunTiming {
  double gatherSeconds = 0, computeSeconds = 0;
  int64_t calls = 0;
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
  /// result as doubles. False (error printed) on failure. With `gradients`
  /// (the split step, docs/distributed.md), the d_P arguments of grads and
  /// apply are consecutive slices of that one buffer and not in `results`.
  bool run(const std::string &entry, const Dataset &data, const std::vector<int64_t> &indices,
           std::vector<std::vector<double>> &results, void *gradients = nullptr);
  /// Elements in the gradient buffer of grads/apply (all of one dtype).
  int64_t gradientCount() const;
  size_t gradientTensors() const; // parameters: one d_P each

  /// Runs eval over all of `d` in chunks of up to the instance's batch limit; the loss
  /// and metrics are sample-weighted means of the chunks'.
  bool evaluate(const Dataset &d, Evaluation &out, bool keepOutputs = false);

  /// Parameters (not optimizer state) as a JSON object, shapes nested.
  std::string paramsJson() const;
  /// Sets parameters from a JSON file; false (error printed) on bad input.
  bool loadParamsJson(const std::string &path);
  /// Sets parameters from a directory of NAME.npy files (any subset).
  bool loadParamsNpyDir(const std::string &dir);
  /// Loads a checkpoint, a JSON file (told apart by the magic bytes) or a
  /// directory of .npy files.
  bool loadParams(const std::string &path, nnrt_train_state *train = nullptr);
  /// Writes a checkpoint atomically; false (error printed) on failure.
  bool saveCheckpoint(const std::string &path, const nnrt_train_state &train);

  /// Kernel threads (0 = one per CPU); false (error printed) if refused.
  bool setThreads(int64_t threads);
  int threads() const { return nnrt_model_threads(m_); }

  std::vector<double> stateValues(int index) const;
  void setStateValues(int index, const std::vector<double> &values);
  const Program &program() const { return p_; }
  nnrt_model *raw() { return m_; }

  /// Accumulated per entry name by run().
  std::map<std::string, RunTiming> timings;

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
