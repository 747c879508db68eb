//===- PerSampleCheck.h - does a graph compute every sample on its own? -*- C++ -*-===//
//
// A transformer exported from PyTorch folds the batch into its heads
// ([T, N, E] -> [T, N * heads, E / heads]), so axis 0 is not the batch of
// every op. It still computes every sample on its own, and then running each
// sample as a batch of one (--per-sample) gives what running the batch gives.
// This check proves that from the graph, so nnc import can take that way by
// itself: it follows where each sample's elements are in every value.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "import/GraphTranslator.h"

#include <map>
#include <string>

namespace nnc::onnx_import {

/// The values of one translation of a graph, by ONNX name.
using TranslatedValues = std::map<std::string, Value>;

/// Whether graph `g`, whose inputs all have a dynamic axis 0, computes every
/// sample of that axis on its own, the same way as for a batch of one.
/// `one` and `many` are the graph's values translated with axis 0 fixed at
/// 1 and at `batch` (> 1); `opset` is the model's. Returns "" when it does; else why it is not
/// known to (the first node that mixes samples or that the check does not
/// know).
std::string perSampleGap(const onnx::GraphProto &g, const TranslatedValues &one,
                         const TranslatedValues &many, int64_t batch, int64_t opset);

} // namespace nnc::onnx_import
