//===- ObjectJoin.h - nnc compile's object from parts on all cores -*- C++ -*-===//
//
// `nnc compile` writes one object file. LLVM generates code for a module on
// one thread, so the model's module is cut into pieces (ModuleSplit.h) and
// compiled with the GEMM kernels on all cores (Parts.h), and the system's
// linker joins the objects into one (`ld -r`). The names the pieces share
// are hidden, and `objcopy --localize-hidden` makes them local: the joined
// object defines the same global symbols as the object of the whole module,
// so two models' objects still link into one program.
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/Target.h"

#include <memory>
#include <optional>
#include <string>

namespace llvm {
class Module;
}

namespace nnc {

/// The system programs that join relocatable objects.
struct ObjectJoiner {
  std::string ld, objcopy;
  /// Both found on PATH, or none (then nnc compile compiles one module).
  static std::optional<ObjectJoiner> find();
};

/// `module` (optimised here) and the GEMM `kernels` split from it (null if
/// none) compiled in at most `maxPieces` + 1 parts on all cores and joined
/// into one relocatable object, for the host. `prefix`: the module's symbol
/// prefix, which names the symbols the pieces share. `module` may be
/// compiled in its own context, which nothing else uses until this returns.
bool emitJoinedObject(const ObjectJoiner &joiner, std::unique_ptr<llvm::Module> module,
                      std::unique_ptr<llvm::Module> kernels, const TargetOptions &target,
                      const std::string &prefix, unsigned maxPieces, std::string &object,
                      std::string &error);

} // namespace nnc
