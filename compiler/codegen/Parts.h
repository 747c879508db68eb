//===- Parts.h - modules compiled to objects on all cores -------*- C++ -*-===//
//
// A model's code goes to machine code as several LLVM modules: entry
// points, pieces of a large one (ModuleSplit.h), a deferred entry's stubs
// (DeferredEntry.h), the GEMM kernels. Each lives in a context of its own,
// so they are optimised and compiled on all cores at once: the JIT links
// the objects by name, `nnc compile` joins them into one (ObjectJoin.h).
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/ObjectCache.h"
#include "codegen/Target.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc {

/// Machine code of some of a model's entry points: an object file in
/// memory whose descriptor is the symbol `descSymbol` (empty for the GEMM
/// kernels, code only).
struct CompiledPart {
  std::string object;
  std::string descSymbol;
};

/// One module on its way to machine code: an entry point, a piece of one,
/// the stubs of a deferred one, or the GEMM kernels.
struct Part {
  std::string entry;
  std::string prefix; // of the entry's symbols (CodegenOptions::prefix)
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::TargetMachine> machine;
  std::unique_ptr<llvm::Module> module;
  bool kernelsOnly = false; // the GEMM kernels' module (splitGemmKernels)
  bool fault = false;       // fails on purpose (CodegenOptions::faultCompile)
  CompiledPart compiled;
  std::string error;
};

/// `parts` with every large entry point replaced by at most `maxPieces`
/// pieces of about 1,500 LLVM instructions (before optimisation) each: a
/// piece then takes LLVM about 0.1-0.3 s on the machines of docs/kernels.md
/// section 6, the size of the GEMM kernels' module.
bool splitLargeParts(std::vector<Part> &parts, size_t maxPieces, const TargetOptions &target,
                     std::string &error);

/// Optimises and compiles the parts, at most one thread per core, each
/// taking the next part, the largest first; loop strength reduction only
/// for the GEMM kernels (emitObject). Their objects, in the parts' order,
/// or false and the first error. `cache` (may be empty) keys each part's
/// object on its module and machine.
bool compileParts(std::vector<Part> &parts, const std::optional<ObjectCache> &cache,
                  std::vector<CompiledPart> &compiled, std::string &error);

} // namespace nnc
