//===- JIT.cpp ------------------------------------------------------------===//
//
// The generated code calls libm (exp, tanh, ...), libc (memset) and the
// runtime's dropout-mask generator and thread pool; all resolve from the nnc process itself.
// JITModel::compile compiles a model's entry points in parallel, one
// module each, to object files that the JIT links.
//===----------------------------------------------------------------------===//
#include "codegen/JIT.h"

#include "codegen/Gemm.h"
#include "codegen/ObjectCache.h"
#include "codegen/PerfMap.h"
#include "codegen/Target.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

namespace nnc {

JITModel::~JITModel() = default;

std::unique_ptr<JITModel> JITModel::create(const std::vector<CompiledPart> &parts,
                                           std::string &error, bool perfMap) {
  initializeLLVM();
  auto fail = [&](llvm::Error e) {
    error = llvm::toString(std::move(e));
    return nullptr;
  };
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return fail(jtmb.takeError());
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*jtmb).create();
  if (!jit)
    return fail(jit.takeError());
  if (perfMap && !writePerfMap(**jit))
    llvm::errs() << "nnc: NNC_PERF_MAP=1: this JIT does not link with JITLink; no perf map\n";
  auto generator = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!generator)
    return fail(generator.takeError());
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  // Runtime functions generated code calls: linked statically into nnc, so
  // not in its dynamic symbol table; define them by address.
  llvm::orc::SymbolMap runtime;
  runtime[(*jit)->mangleAndIntern("nnrt_dropout_mask")] = {
      llvm::orc::ExecutorAddr::fromPtr(&nnrt_dropout_mask), llvm::JITSymbolFlags::Exported};
  runtime[(*jit)->mangleAndIntern("nnrt_dropout_mask_with")] = {
      llvm::orc::ExecutorAddr::fromPtr(&nnrt_dropout_mask_with), llvm::JITSymbolFlags::Exported};
  runtime[(*jit)->mangleAndIntern("nnrt_parallel_for")] = {
      llvm::orc::ExecutorAddr::fromPtr(&nnrt_parallel_for), llvm::JITSymbolFlags::Exported};
  runtime[(*jit)->mangleAndIntern("nnrt_serial_for")] = {
      llvm::orc::ExecutorAddr::fromPtr(&nnrt_serial_for), llvm::JITSymbolFlags::Exported};
  runtime[(*jit)->mangleAndIntern("nnrt_profile_enter")] = {
      llvm::orc::ExecutorAddr::fromPtr(&nnrt_profile_enter), llvm::JITSymbolFlags::Exported};
  runtime[(*jit)->mangleAndIntern("nnrt_profile_exit")] = {
      llvm::orc::ExecutorAddr::fromPtr(&nnrt_profile_exit), llvm::JITSymbolFlags::Exported};
  if (auto e = (*jit)->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(runtime))))
    return fail(std::move(e));
  for (const CompiledPart &part : parts)
    if (auto e = (*jit)->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(part.object, part.descSymbol)))
      return fail(std::move(e));
  std::unique_ptr<JITModel> model(new JITModel());
  bool first = true;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].descSymbol.empty()) // the GEMM kernels: code only
      continue;
    auto symbol = (*jit)->lookup(parts[i].descSymbol);
    if (!symbol)
      return fail(symbol.takeError());
    const nnrt_model_desc *d = symbol->toPtr<const nnrt_model_desc *>();
    if (first)
      model->desc_ = *d;
    first = false;
    model->entries_.insert(model->entries_.end(), d->entries, d->entries + d->num_entries);
  }
  model->desc_.entries = model->entries_.data();
  model->desc_.num_entries = static_cast<int32_t>(model->entries_.size());
  model->jit_ = std::move(*jit);
  return model;
}

namespace {

/// One entry point on its way to machine code.
struct Part {
  std::string entry;
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::TargetMachine> machine;
  std::unique_ptr<llvm::Module> module;
  bool kernelsOnly = false; // the GEMM kernels' module (splitGemmKernels)
  CompiledPart compiled;
  std::string error;
};

void compilePart(Part &part, const std::optional<ObjectCache> &cache) {
  std::string key;
  if (cache) {
    key = cache->keyOf(*part.module, *part.machine);
    if (cache->load(key, part.entry, part.compiled.object)) {
      part.module.reset();
      return;
    }
  }
  optimizeModule(*part.module, *part.machine, part.kernelsOnly);
  if (emitObject(*part.module, *part.machine, part.compiled.object, part.error) && cache)
    cache->store(key, part.entry, part.compiled.object);
  part.module.reset();
}

} // namespace

std::unique_ptr<JITModel> JITModel::compile(const Program &program, const CodegenOptions &codegen,
                                            const TargetOptions &target, std::string &error) {
  initializeLLVM();
  std::vector<std::string> names = codegen.entries;
  if (names.empty())
    for (const Entry &e : program.entries)
      names.push_back(e.name);
  CodegenOptions shared = codegen;
  if (shared.profile && !shared.profileIds) // scan bodies' timer ids, unique across the parts
    shared.profileIds = std::make_shared<int>(program.graph.idBound());
  std::vector<Part> parts(names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    Part &part = parts[k];
    part.entry = names[k];
    part.machine = createTargetMachine(target, error);
    if (!part.machine)
      return nullptr;
    CodegenOptions one = shared;
    one.entries = {names[k]};
    one.prefix = codegen.prefix + (k ? "_" + std::to_string(k) : "");
    one.gemmVectorBits = gemmVectorBits(*part.machine);
    part.context = std::make_unique<llvm::LLVMContext>();
    part.module = generateModule(program, *part.context, one);
    part.compiled.descSymbol = one.prefix + "_desc";
  }
  // The GEMM kernels: one part of their own, compiled once (and cached
  // once for every model of this CPU), at O1.
  std::vector<llvm::Module *> modules;
  for (Part &part : parts)
    modules.push_back(part.module.get());
  auto kernelContext = std::make_unique<llvm::LLVMContext>();
  if (auto kernels = splitGemmKernels(modules, *kernelContext)) {
    Part part;
    part.entry = "gemm kernels";
    part.machine = createTargetMachine(target, error);
    if (!part.machine)
      return nullptr;
    part.context = std::move(kernelContext);
    part.module = std::move(kernels);
    part.kernelsOnly = true;
    parts.push_back(std::move(part));
  }
  // At most one thread per core, each taking the next part, the largest
  // first (more threads than cores would only add memory).
  std::vector<Part *> queue;
  for (Part &part : parts)
    queue.push_back(&part);
  std::stable_sort(queue.begin(), queue.end(), [](const Part *a, const Part *b) {
    return a->module->getInstructionCount() > b->module->getInstructionCount();
  });
  std::optional<ObjectCache> cache = ObjectCache::open(codegen.objectCacheDir, codegen.objectCacheLog);
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
  std::vector<CompiledPart> compiled;
  for (Part &part : parts) {
    if (!part.error.empty()) {
      error = part.error;
      return nullptr;
    }
    compiled.push_back(std::move(part.compiled));
  }
  return create(compiled, error, codegen.perfMap);
}

} // namespace nnc
