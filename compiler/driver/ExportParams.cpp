//===- ExportParams.cpp - `nnc export-params CKPT --json` -----------------===//
//
// Prints each tensor of a checkpoint (read on its own, CheckpointFile.h):
// name, kind, dtype, shape and values as JSON, for inspection.
//
//===----------------------------------------------------------------------===//
#include "driver/CheckpointFile.h"
#include "driver/ModelInstance.h"
#include "support/Limits.h"
#include "driver/Session.h"

#include "support/Diagnostics.h"
#include "support/Json.h"

#include <cstring>
#include <iostream>
#include <sstream>

namespace nnc {

int exportParamsCommand(const Options &o) {
  const std::string &path = o.file;
  if (!o.json) {
    std::cerr << "nnc: error: export-params needs --json (the one format it writes)\n";
    return 2;
  }
  CheckpointContents c;
  std::string error = readCheckpointFile(path, c);
  if (!error.empty()) {
    std::cerr << error << '\n';
    return 1;
  }
  std::ostringstream os;
  os << "{\n  \"format_version\": " << c.formatVersion << ",\n  \"model\": \"" << c.model << "\"";
  if (c.hasTrainState)
    os << ",\n  \"step\": " << c.step << ", \"epoch\": " << c.epoch << ", \"position\": " << c.position
       << ", \"seed\": " << c.seed;
  if (c.hasVocab) {
    os << ",\n  \"vocab\": [";
    for (size_t i = 0; i < c.vocab.size(); ++i)
      os << (i ? ", " : "") << c.vocab[i];
    os << "]";
  }
  if (c.hasStop)
    os << ",\n  \"early_stop\": {\"monitor\": \"" << c.monitor << "\", \"mode\": \""
       << (c.maximize ? "max" : "min") << "\", \"best\": " << formatNumber(c.best)
       << ", \"best_step\": " << c.bestStep << ", \"evaluations_without_improvement\": "
       << c.badEvaluations << "}";
  os << ",\n  \"tensors\": [\n";
  static const char *kinds[] = {"parameter", "frozen", "optimizer_state", "buffer"};
  static const char *dtypes[] = {"f32", "f64", "i32"};
  for (size_t k = 0; k < c.tensors.size(); ++k) {
    const CheckpointTensor &t = c.tensors[k];
    os << (k ? ",\n" : "") << "    {\"name\": \"" << t.name << "\", \"kind\": \"" << kinds[t.kind]
       << "\", \"dtype\": \"" << dtypes[t.dtype] << "\", \"shape\": [";
    for (size_t d = 0; d < t.dims.size(); ++d)
      os << (d ? ", " : "") << t.dims[d];
    os << "], \"values\": " << formatTensor(t.values, t.dims, t.dtype == NNRT_F32) << "}";
  }
  os << "\n  ]\n}\n";
  if (o.output.empty()) {
    std::cout << os.str();
    return 0;
  }
  if (!writeFileAtomic(o.output, os.str(), error)) {
    std::cerr << "nnc: error: " << error << '\n';
    return 1;
  }
  return 0;
}

} // namespace nnc
