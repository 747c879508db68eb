//===- DeferredEntry.h - entry points compiled at their first call -*- C++ -*-===//
//
// `nnc train` needs its training step before the first step, but its eval
// entry only after some steps, and many runs never call it. Compiling eval
// at its first call takes its share of LLVM's work out of the start-up
// (docs/kernels.md section 6). The runtime still needs every entry's
// descriptor when it creates the model, so an entry's module is cut in two:
// the descriptor with a stub for each entry function, compiled at once,
// and the real code, compiled when a stub is first called.
//===----------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace nnc {

/// One entry function whose code is compiled later.
struct DeferredFunction {
  std::string handleSymbol; // the stub passes this symbol's address to the resolver
  std::string bodyName;     // the real function, in the module compiled later
};

/// Cuts `module` (one entry point's, its descriptor `descSymbol`) in two.
/// Returned, in a context of its own (`context`): the descriptor and, for
/// each function it names, a stub of the same name and type that calls
/// `void *resolver(void *handle)` for the real function's address and
/// jumps there (or returns 1, an error, when that is null). `module` keeps
/// the real functions, renamed NAME.body, and loses the descriptor.
std::unique_ptr<llvm::Module> splitOffStubs(llvm::Module &module, const std::string &descSymbol,
                                            const std::string &resolver,
                                            std::unique_ptr<llvm::LLVMContext> &context,
                                            std::vector<DeferredFunction> &functions);

} // namespace nnc
