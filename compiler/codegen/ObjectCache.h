//===- ObjectCache.h - compiled JIT parts kept between runs -----*- C++ -*-===//
//
// LLVM's optimisation and code generation are most of `nnc train`'s start-up
// (docs/kernels.md section 6). A run of the same model on the same machine
// with the same nnc produces the same object, so the JIT keeps each part's
// object in a directory and reuses it, as Triton and JAX keep theirs.
//
// The key is a hash of everything the object depends on: the module before
// optimisation (as bitcode), the target (triple, CPU, features), the LLVM
// version and the nnc executable (its size and modification time, so a
// rebuilt compiler never reuses an older compiler's objects). Each file holds
// a hash of its object, checked on every read: a truncated or damaged entry
// is a miss, recompiled and rewritten, never loaded.
//
// Environment (read by driver/Options.cpp): NNC_CACHE=0 turns it off;
// NNC_CACHE_DIR chooses the directory (default $XDG_CACHE_HOME/nnc/objects,
// else $HOME/.cache/nnc/objects); NNC_CACHE_LOG=1 prints each hit, miss and
// store on stderr (what the tests check).
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/Target.h" // llvm::Module, llvm::TargetMachine

#include <optional>
#include <string>

namespace nnc {

class ObjectCache {
public:
  /// The cache in `dir` (made if missing); none when `dir` is empty or
  /// cannot be made (the JIT then compiles every time).
  static std::optional<ObjectCache> open(const std::string &dir, bool log);

  /// The key of `module` (not yet optimised) compiled for `machine`.
  std::string keyOf(const llvm::Module &module, const llvm::TargetMachine &machine) const;
  /// The object stored under `key`, if there is an intact one.
  bool load(const std::string &key, const std::string &name, std::string &object) const;
  /// Keeps `object` under `key` (temporary file, then rename: concurrent
  /// runs storing the same key leave one whole file). Failures only cost the
  /// next run a compilation, so they are not errors.
  void store(const std::string &key, const std::string &name, const std::string &object) const;

private:
  std::string dir_;
  std::string compilerId_; // the nnc executable and LLVM version
  bool log_ = false;
  std::string pathOf(const std::string &key) const { return dir_ + "/" + key + ".o"; }
  void evictOldest() const;
};

} // namespace nnc
