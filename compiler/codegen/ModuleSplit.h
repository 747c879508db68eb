//===- ModuleSplit.h - one module as pieces compiled in parallel -*- C++ -*-===//
//
// LLVM optimises and generates code for a module on one thread, and one
// entry point (a training step) is most of `nnc train`'s start-up. Its
// functions are mostly loop-nest tasks the entry function hands to the
// thread pool by address, so they can be compiled apart: splitModule cuts
// a module into pieces of about equal size that the JIT compiles on all
// cores and links by name (docs/kernels.md section 6).
//===----------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace llvm {
class Constant;
class GlobalValue;
class LLVMContext;
class Module;
class Value;
} // namespace llvm

namespace nnc {

/// The functions and variables `value` names, looking through constant
/// expressions and aggregates (not through variables' initializers);
/// `seen` holds the constants already walked.
void collectGlobals(const llvm::Value *value, std::set<const llvm::GlobalValue *> &out,
                    std::set<const llvm::Constant *> &seen);

/// `module` as at most `pieces` modules that together define what it
/// defines, each in a context of its own (`contexts` receives them, in
/// order). The functions whose address is taken (entry points, tasks) are
/// shared out by size; a local function only ever called by name, and a
/// local constant, are copied into every piece that uses them (so helpers
/// can still be inlined and tables folded); everything else is defined once
/// and declared where it is used.
/// A local function or variable that another piece uses becomes external,
/// named `unique` + "." + its name unless that begins with `unique` + "_"
/// already (`unique`, the module's symbol prefix, keeps the names of
/// different modules in one JIT apart). A module too small to pay for the split comes
/// back as one piece (a copy).
std::vector<std::unique_ptr<llvm::Module>>
splitModule(llvm::Module &module, unsigned pieces, const std::string &unique,
            std::vector<std::unique_ptr<llvm::LLVMContext>> &contexts);

/// A copy of `module` in the new context `context` (through bitcode: LLVM's
/// contexts are not shared between threads).
std::unique_ptr<llvm::Module> moveToNewContext(const llvm::Module &module,
                                               std::unique_ptr<llvm::LLVMContext> &context);

} // namespace nnc
