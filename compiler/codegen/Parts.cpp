//===- Parts.cpp ----------------------------------------------------------===//
#include "codegen/Parts.h"

#include "codegen/ModuleSplit.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace nnc {

/// Entry points larger than this many LLVM instructions are cut.
constexpr size_t kInstructionsPerPiece = 1500;

bool splitLargeParts(std::vector<Part> &parts, size_t maxPieces, const TargetOptions &target,
                     std::string &error) {
  std::vector<Part> split;
  for (Part &part : parts) {
    size_t size = part.module->getInstructionCount();
    size_t pieces = std::min(maxPieces, (size + kInstructionsPerPiece - 1) / kInstructionsPerPiece);
    if (part.kernelsOnly || pieces <= 1) {
      split.push_back(std::move(part));
      continue;
    }
    std::vector<std::unique_ptr<llvm::LLVMContext>> contexts;
    auto modules = splitModule(*part.module, pieces, part.prefix, contexts);
    for (size_t k = 0; k < modules.size(); ++k) {
      Part piece;
      piece.entry = part.entry + (k ? " (piece " + std::to_string(k + 1) + ")" : "");
      piece.prefix = part.prefix;
      piece.fault = part.fault;
      piece.machine = k ? createTargetMachine(target, error) : std::move(part.machine);
      if (!piece.machine)
        return false;
      piece.context = std::move(contexts[k]);
      piece.module = std::move(modules[k]);
      // The descriptor has external linkage: it is piece 0's.
      piece.compiled.descSymbol = k ? "" : part.compiled.descSymbol;
      split.push_back(std::move(piece));
    }
  }
  parts = std::move(split);
  return true;
}

static void compilePart(Part &part, const std::optional<ObjectCache> &cache) {
  if (part.fault) {
    part.error = "a fault injected by NNC_FAULT_COMPILE";
    return;
  }
  std::string key;
  if (cache) {
    key = cache->keyOf(*part.module, *part.machine);
    if (cache->load(key, part.entry, part.compiled.object)) {
      part.module.reset();
      return;
    }
  }
  optimizeModule(*part.module, *part.machine, part.kernelsOnly);
  // Loop strength reduction only for the GEMM kernels (emitObject).
  if (emitObject(*part.module, *part.machine, part.compiled.object, part.error,
                 /*strengthReduction=*/part.kernelsOnly) &&
      cache)
    cache->store(key, part.entry, part.compiled.object);
  part.module.reset();
}

bool compileParts(std::vector<Part> &parts, const std::optional<ObjectCache> &cache,
                  std::vector<CompiledPart> &compiled, std::string &error) {
  std::vector<Part *> queue;
  for (Part &part : parts)
    queue.push_back(&part);
  std::stable_sort(queue.begin(), queue.end(), [](const Part *a, const Part *b) {
    return a->module->getInstructionCount() > b->module->getInstructionCount();
  });
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k; (k = next++) < queue.size();)
      compilePart(*queue[k], cache);
  };
  size_t workers = std::min<size_t>(queue.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (size_t w = 1; w < workers; ++w)
    threads.emplace_back(worker);
  worker();
  for (std::thread &t : threads)
    t.join();
  for (Part &part : parts) {
    if (!part.error.empty()) {
      error = part.error;
      return false;
    }
    compiled.push_back(std::move(part.compiled));
  }
  return true;
}

} // namespace nnc
