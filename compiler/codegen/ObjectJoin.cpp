//===- ObjectJoin.cpp -----------------------------------------------------===//
#include "codegen/ObjectJoin.h"

#include "codegen/ModuleSplit.h"
#include "codegen/Parts.h"
#include "codegen/TempFile.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <set>

namespace nnc {

std::optional<ObjectJoiner> ObjectJoiner::find() {
  auto ld = llvm::sys::findProgramByName("ld");
  auto objcopy = llvm::sys::findProgramByName("objcopy");
  if (!ld || !objcopy)
    return std::nullopt;
  return ObjectJoiner{*ld, *objcopy};
}

/// Runs `args` (args[0] the program); false with its message on failure.
static bool run(const std::vector<llvm::StringRef> &args, std::string &error) {
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(args[0], args, std::nullopt, {}, 0, 0, &message);
  if (rc == 0)
    return true;
  error = "joining the object's pieces: " + args[0].str() + " failed" +
          (message.empty() ? " (exit status " + std::to_string(rc) + ")" : ": " + message);
  return false;
}

/// Hides the symbols the parts define that the whole module did not export
/// (the names the pieces share, the GEMM kernels), where they are defined
/// and where they are used: local after the join, reached PC-relative.
static void hideShared(std::vector<Part> &parts, const std::set<std::string> &exported) {
  std::set<std::string> shared;
  for (Part &part : parts)
    for (const llvm::GlobalValue &gv : part.module->global_values())
      if (!gv.isDeclaration() && gv.hasExternalLinkage() && !exported.count(gv.getName().str()))
        shared.insert(gv.getName().str());
  for (Part &part : parts)
    for (llvm::GlobalValue &gv : part.module->global_values())
      if (shared.count(gv.getName().str()))
        gv.setVisibility(llvm::GlobalValue::HiddenVisibility);
}

bool emitJoinedObject(const ObjectJoiner &joiner, std::unique_ptr<llvm::Module> module,
                      std::unique_ptr<llvm::Module> kernels, const TargetOptions &target,
                      const std::string &prefix, unsigned maxPieces, std::string &object,
                      std::string &error) {
  std::set<std::string> exported;
  for (const llvm::GlobalValue &gv : module->global_values())
    if (!gv.isDeclaration() && gv.hasExternalLinkage())
      exported.insert(gv.getName().str());
  // A context per part: LLVM's contexts are not shared between threads.
  // The model's module keeps the caller's (a split gives each piece its
  // own); the kernels, split from it into the same context, move out.
  std::vector<Part> parts(kernels ? 2 : 1);
  parts[0].entry = prefix;
  parts[0].module = std::move(module);
  if (kernels) {
    parts[1].entry = "gemm kernels";
    parts[1].kernelsOnly = true;
    parts[1].module = moveToNewContext(*kernels, parts[1].context);
    kernels.reset();
  }
  for (Part &part : parts) {
    part.prefix = prefix;
    part.machine = createTargetMachine(target, error);
    if (!part.machine)
      return false;
  }
  if (!splitLargeParts(parts, maxPieces, target, error))
    return false;
  hideShared(parts, exported);
  std::vector<CompiledPart> compiled;
  if (!compileParts(parts, std::nullopt, compiled, error))
    return false;
  if (compiled.size() == 1) {
    object = std::move(compiled[0].object);
    return true;
  }
  std::vector<TempFile> inputs(compiled.size());
  TempFile joined;
  if (!joined.write("nnc-" + prefix, "o", "", error))
    return false;
  std::vector<llvm::StringRef> ld = {joiner.ld, "-r", "-o", joined.path};
  for (size_t k = 0; k < compiled.size(); ++k) {
    if (!inputs[k].write("nnc-" + prefix + "-" + std::to_string(k), "o", compiled[k].object, error))
      return false;
    ld.push_back(inputs[k].path);
  }
  if (!run(ld, error) || !run({joiner.objcopy, "--localize-hidden", joined.path}, error))
    return false;
  auto buffer = llvm::MemoryBuffer::getFile(joined.path);
  if (!buffer) {
    error = std::string(joined.path) + ": " + buffer.getError().message();
    return false;
  }
  object = (*buffer)->getBuffer().str();
  return true;
}

} // namespace nnc
