//===- JIT.h - running generated code in-process (ORC LLJIT) ----*- C++ -*-===//
#pragma once

#include "codegen/LLVMGen.h"
#include "codegen/Target.h"
#include "nnrt.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
namespace orc {
class LLJIT;
}
} // namespace llvm

namespace nnc {

/// Machine code of some of a model's entry points: an object file in
/// memory whose descriptor is the symbol `descSymbol` (empty for the GEMM
/// kernels, code only).
struct CompiledPart {
  std::string object;
  std::string descSymbol;
};

/// Owns the JIT that holds a compiled model's code and its descriptor.
class JITModel {
public:
  ~JITModel();
  /// Links the parts (compiled separately, e.g. in parallel: Session.cpp)
  /// and merges their descriptors into one: the state layout of the first,
  /// the entry points of all. nullptr and `error` on failure.
  /// perfMap: name the linked functions for perf (PerfMap.h).
  static std::unique_ptr<JITModel> create(const std::vector<CompiledPart> &parts,
                                          std::string &error, bool perfMap = false);
  /// Generates, optimises and compiles `codegen.entries` of `program` (all
  /// when empty) and links them: each entry point in an LLVM module and
  /// context of its own, compiled on a thread of its own (they share
  /// nothing but the state layout, and LLVM is most of `nnc train`'s
  /// start-up), the GEMM kernels compiled once, in the smallest module.
  static std::unique_ptr<JITModel> compile(const Program &program, const CodegenOptions &codegen,
                                           const TargetOptions &target, std::string &error);
  const nnrt_model_desc *descriptor() const { return &desc_; }

private:
  JITModel() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  nnrt_model_desc desc_{};
  std::vector<nnrt_entry_desc> entries_;
};

} // namespace nnc
