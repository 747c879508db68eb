//===- JIT.h - running generated code in-process (ORC LLJIT) ----*- C++ -*-===//
#pragma once

#include "codegen/LLVMGen.h"
#include "codegen/Parts.h"
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

/// Owns the JIT that holds a compiled model's code and its descriptor.
class JITModel {
public:
  ~JITModel();
  /// Generates, optimises and compiles `codegen.entries` of `program` (all
  /// when empty) and links them. Each entry point is an LLVM module and
  /// context of its own (they share nothing but the state layout), a large
  /// one cut into pieces (ModuleSplit.h), the GEMM kernels a module of
  /// their own compiled once; the modules are compiled on all cores, since
  /// LLVM is most of `nnc train`'s start-up. The entries named in
  /// `deferred` are compiled at their first call (DeferredEntry.h); with
  /// `background`, the others are compiled on threads that go on after
  /// compile returns, and a call waits for them (the caller meanwhile loads
  /// data and initialises the model).
  static std::unique_ptr<JITModel> compile(const Program &program, const CodegenOptions &codegen,
                                           const TargetOptions &target, std::string &error,
                                           const std::vector<std::string> &deferred = {},
                                           bool background = false);
  const nnrt_model_desc *descriptor() const { return &desc_; }
  /// Waits for the code compiled in the background; false, after a message
  /// on stderr, if that failed.
  bool finishBackground();

  struct Deferred;
  /// The address of a deferred entry function's real code, compiled at the
  /// first call; nullptr (after a message on stderr) if that fails.
  void *resolve(Deferred &deferred, const std::string &bodyName);

private:
  JITModel() = default;
  /// Links the compiled parts into the JIT and merges their descriptors into
  /// one: the state layout of the first, the entry points of all.
  bool link(const std::vector<CompiledPart> &parts, std::string &error);
  /// Compiles and links a deferred group's parts (its `error` on failure).
  void compileDeferred(Deferred &group);
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  nnrt_model_desc desc_{};
  std::vector<nnrt_entry_desc> entries_;
  std::vector<std::unique_ptr<Deferred>> deferred_;
};

} // namespace nnc
