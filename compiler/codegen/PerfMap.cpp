//===- PerfMap.cpp --------------------------------------------------------===//
#include "codegen/PerfMap.h"

#include "llvm/ExecutionEngine/JITLink/JITLink.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h"

#include <cstdio>
#include <mutex>
#include <unistd.h>

namespace nnc {
namespace {

/// After each graph is fixed up (its addresses final), one line per
/// callable symbol: local ones too, the task functions are internal.
class PerfMapPlugin : public llvm::orc::ObjectLinkingLayer::Plugin {
public:
  void modifyPassConfig(llvm::orc::MaterializationResponsibility &, llvm::jitlink::LinkGraph &,
                        llvm::jitlink::PassConfiguration &config) override {
    // Relocations name a function by its section and offset, so JITLink
    // would prune the functions' own (unreferenced) symbols: keep them.
    config.PrePrunePasses.push_back([](llvm::jitlink::LinkGraph &graph) {
      for (llvm::jitlink::Symbol *s : graph.defined_symbols())
        if (s->isCallable() && s->hasName())
          s->setLive(true);
      return llvm::Error::success();
    });
    config.PostFixupPasses.push_back([this](llvm::jitlink::LinkGraph &graph) {
      std::lock_guard<std::mutex> lock(mutex_);
      std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
      FILE *f = std::fopen(path.c_str(), "a");
      if (!f)
        return llvm::Error::success(); // a profiling aid: never fail the link
      for (llvm::jitlink::Symbol *s : graph.defined_symbols())
        if (s->isCallable() && s->hasName() && s->getSize() > 0)
          std::fprintf(f, "%llx %llx %s\n", (unsigned long long)s->getAddress().getValue(),
                       (unsigned long long)s->getSize(), s->getName().str().c_str());
      std::fclose(f);
      return llvm::Error::success();
    });
  }
  llvm::Error notifyFailed(llvm::orc::MaterializationResponsibility &) override {
    return llvm::Error::success();
  }
  llvm::Error notifyRemovingResources(llvm::orc::JITDylib &, llvm::orc::ResourceKey) override {
    return llvm::Error::success();
  }
  void notifyTransferringResources(llvm::orc::JITDylib &, llvm::orc::ResourceKey,
                                   llvm::orc::ResourceKey) override {}

private:
  std::mutex mutex_;
};

} // namespace

bool writePerfMap(llvm::orc::LLJIT &jit) {
  auto *layer = llvm::dyn_cast<llvm::orc::ObjectLinkingLayer>(&jit.getObjLinkingLayer());
  if (!layer)
    return false;
  layer->addPlugin(std::make_unique<PerfMapPlugin>());
  return true;
}

} // namespace nnc
