//===- Export.cpp - `nnc export M.nn --params M.ckpt -o M.onnx` -----------===//
//
// Compiles the model as `predict` would, loads its parameters through the
// runtime (a checkpoint, JSON or .npy directory, checked as predict checks
// them; without --params the seeded initialisation), and writes the
// predict graph as ONNX (export/OnnxExport.h). Nothing is written when the
// model cannot be exported.
//
//===----------------------------------------------------------------------===//
#include "driver/ModelInstance.h"
#include "driver/Session.h"
#include "export/OnnxExport.h"

#include <iostream>

namespace nnc {

namespace {

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

int exportCommand(Session &s) {
  const std::string &out = s.opts.output;
  if (out.empty() || !endsWith(out, ".onnx")) {
    std::cerr << "nnc: error: export needs -o FILE.onnx\n";
    return 2;
  }
  int64_t opset = s.opts.opset.value_or(onnx_export::kMaxOpset);
  if (opset < onnx_export::kMinOpset || opset > onnx_export::kMaxOpset) {
    std::cerr << "nnc: error: --opset " << opset << ": export writes opsets "
              << onnx_export::kMinOpset << " to " << onnx_export::kMaxOpset << '\n';
    return 2;
  }
  if (jitCompile(s, {"predict"}) != Stage::Continue)
    return 1;
  const Program &p = *s.program;
  auto m = ModelInstance::create(p, s.jit->descriptor(), s.opts.seed.value_or(1), 1);
  if (!m || (!s.opts.params.empty() && !m->loadParams(s.opts.params)))
    return 1;
  onnx::ModelProto model;
  try {
    model = onnx_export::exportModel(
        p, [&](int index) { return m->stateValues(index); }, opset);
  } catch (const onnx_export::ExportError &e) {
    s.diag->error(e.loc, e.message);
    return 1;
  }
  std::string bytes, error;
  if (!model.SerializeToString(&bytes)) {
    std::cerr << "nnc: error: the ONNX model is over protobuf's 2 GiB limit\n";
    return 1;
  }
  if (!writeFileAtomic(out, bytes, error)) {
    std::cerr << "nnc: error: " << error << '\n';
    return 1;
  }
  if (!s.opts.quiet)
    std::cout << "wrote " << out << " (opset " << opset << ", " << model.graph().node_size()
              << " nodes, " << model.graph().initializer_size() << " initializers)\n";
  return 0;
}

} // namespace nnc
