//===- onnx_import_fuzzer.cpp - libFuzzer target for nnc import ------------===//
//
// Feeds arbitrary bytes to the ONNX importer: protobuf parsing, the ONNX
// checker and shape inference (the ONNX library's), then the translation
// to .nn source and weights. Any input must end in an ImportError or a
// model, never a crash, hang or sanitizer report. Build: docs/robustness.md.
//===----------------------------------------------------------------------===//
#include "import/Importer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 20)
    return 0; // models of interest to the fuzzer are small
  try {
    int64_t opset = 0;
    onnx::ModelProto model = nnc::onnx_import::parseOnnxModel(
        std::string(reinterpret_cast<const char *>(data), size), opset);
    nnc::onnx_import::ImportedModel m = nnc::onnx_import::importOnnx(model, opset, "fuzz", "fuzz.onnx", 2);
    (void)m;
  } catch (const nnc::onnx_import::ImportError &) {
  }
  return 0;
}
