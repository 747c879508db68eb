//===- CheckpointFile.h - a checkpoint read without its model ---*- C++ -*-===//
//
// Reads a checkpoint file (docs/checkpoint.md) on its own, checking every
// record's CRC: for `nnc export-params`, and for what the driver must know
// before it compiles a model (which inputs a checkpoint standardises).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnc {

struct CheckpointTensor {
  std::string name;
  int32_t dtype = 0; // NNRT_F32, NNRT_F64, NNRT_I32
  int32_t kind = 0;  // NNRT_PARAM, NNRT_FROZEN, NNRT_OPT_STATE, NNRT_BUFFER
  std::vector<int64_t> dims;
  std::vector<double> values;
};

struct CheckpointContents {
  uint32_t formatVersion = 0;
  std::string model;
  bool hasTrainState = false;
  uint64_t step = 0, epoch = 0, position = 0, seed = 0;
  bool hasVocab = false;
  std::vector<uint32_t> vocab;
  /// The early-stopping record (nnc train --early-stop / --save-best).
  bool hasStop = false;
  std::string monitor;
  bool maximize = false;
  double best = 0;
  uint64_t bestStep = 0, badEvaluations = 0;
  std::vector<CheckpointTensor> tensors;
};

/// Reads `path`; "" on success, else the whole diagnostic line (without a
/// newline): `nnc: error: ...` when the file cannot be read, `PATH: error:
/// ...` when it is not a well-formed checkpoint.
std::string readCheckpointFile(const std::string &path, CheckpointContents &out);

} // namespace nnc
