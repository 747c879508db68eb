//===- ModelLowering.h - sema: typed AST to the tensor IR -------*- C++ -*-===//
//
// Resolves names, infers per-sample shapes and dtypes, checks every use, and
// builds the forward graph of a Program. All user-facing type and shape
// errors are reported here, with the location of the offending expression.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/AST.h"
#include "ir/Program.h"

#include <map>
#include <string>

namespace nnc {

struct LoweringOptions {
  /// Compile every f32 tensor as f64 (`nnc gradcheck` checks in float64).
  bool forceF64 = false;
  /// Constants the driver defines before the model's own (`vocab`: the
  /// size of a text's vocabulary).
  std::map<std::string, double> constants;
  /// Every rnn/lstm/gru carries its state from call to call, as with
  /// `stateful: true` (nnc train --stateful, nnc generate's stepping model).
  bool stateful = false;
  /// When > 0, class-label inputs and targets of one axis, class(N)[T], are
  /// lowered with T = this (nnc generate: 1, one token per call).
  int64_t tokenSteps = 0;
  /// Inputs used as (x - NAME.mean) / NAME.std, by the axis their
  /// statistics are per (negative counts from the end): --standardize.
  std::map<std::string, int64_t> standardize;
};

/// Builds the Program for `module`; throws CompileError after reporting.
std::unique_ptr<Program> lowerModule(const ModuleAST &module,
                                     DiagnosticEngine &diag,
                                     const LoweringOptions &options = {});

} // namespace nnc
