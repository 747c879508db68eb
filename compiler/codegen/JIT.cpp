//===- JIT.cpp ------------------------------------------------------------===//
//
// The generated code calls libm (exp, tanh, ...), libc (memset) and the
// runtime's dropout-mask generator and thread pool; all resolve from the nnc process itself.
// JITModel::compile compiles a model's entry points in parallel (one module
// each, a large one in pieces) to object files that the JIT links; a
// deferred entry's code is compiled and linked at its first call.
//===----------------------------------------------------------------------===//
#include "codegen/JIT.h"

#include "codegen/DeferredEntry.h"
#include "codegen/Gemm.h"
#include "codegen/ObjectCache.h"
#include "codegen/PerfMap.h"
#include "codegen/Target.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/MapperJITLinkMemoryManager.h"
#include "llvm/ExecutionEngine/Orc/MemoryMapper.h"
#include "llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

namespace nnc {

JITModel::~JITModel() = default;

namespace {

/// Called by a deferred entry's stub (DeferredEntry.h): the real function.
struct DeferredHandle {
  JITModel *model;
  JITModel::Deferred *deferred;
  std::string bodyName;
  std::atomic<void *> address{nullptr};
};

extern "C" void *nnc_jit_resolve(void *opaque) {
  auto *handle = static_cast<DeferredHandle *>(opaque);
  void *address = handle->address.load();
  if (!address)
    handle->address = address = handle->model->resolve(*handle->deferred, handle->bodyName);
  return address;
}

constexpr const char *kResolver = "nnc_jit_resolve";

} // namespace

bool JITModel::link(const std::vector<CompiledPart> &parts, std::string &error) {
  auto fail = [&](llvm::Error e) {
    error = llvm::toString(std::move(e));
    return false;
  };
  for (const CompiledPart &part : parts)
    if (auto e = jit_->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(part.object, part.descSymbol)))
      return fail(std::move(e));
  for (const CompiledPart &part : parts) {
    if (part.descSymbol.empty()) // code only: the GEMM kernels, pieces of an entry
      continue;
    auto symbol = jit_->lookup(part.descSymbol);
    if (!symbol)
      return fail(symbol.takeError());
    const nnrt_model_desc *d = symbol->toPtr<const nnrt_model_desc *>();
    if (entries_.empty())
      desc_ = *d;
    entries_.insert(entries_.end(), d->entries, d->entries + d->num_entries);
  }
  desc_.entries = entries_.data();
  desc_.num_entries = static_cast<int32_t>(entries_.size());
  return true;
}

namespace {

/// Address space the JIT's code and data are placed in, reserved at the
/// first link. The code is compiled for the small code model: a piece
/// linked later (an entry compiled at its first call) reaches the GEMM
/// kernels and tasks of earlier ones with 32-bit displacements. With one
/// mapping per link, Linux placed a deferred eval 15 GB away from the
/// kernels once a 700 MB workload had filled the space between
/// (bench/run.sh W8-1024: "relocation target ... is out of range of Delta32
/// fixup"). Only the pages used are backed by memory.
constexpr size_t kJitReservationBytes = size_t(256) << 20;

/// An LLJIT for the host that resolves the C library, libm and the runtime
/// functions generated code calls, from the nnc process itself.
llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>> makeJit(bool perfMap) {
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return jtmb.takeError();
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(*jtmb)
                 .setObjectLinkingLayerCreator(
                     [](llvm::orc::ExecutionSession &session, const llvm::Triple &)
                         -> llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>> {
                       auto memory = llvm::orc::MapperJITLinkMemoryManager::CreateWithMapper<
                           llvm::orc::InProcessMemoryMapper>(kJitReservationBytes);
                       if (!memory)
                         return memory.takeError();
                       return std::make_unique<llvm::orc::ObjectLinkingLayer>(session, std::move(*memory));
                     })
                 .create();
  if (!jit)
    return jit.takeError();
  if (perfMap && !writePerfMap(**jit))
    llvm::errs() << "nnc: NNC_PERF_MAP=1: this JIT does not link with JITLink; no perf map\n";
  auto generator = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!generator)
    return generator.takeError();
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  // Linked statically into nnc, so not in its dynamic symbol table: by address.
  llvm::orc::SymbolMap runtime;
  auto define = [&](const char *name, auto *address) {
    runtime[(*jit)->mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                                              llvm::JITSymbolFlags::Exported};
  };
  define("nnrt_dropout_mask", &nnrt_dropout_mask);
  define("nnrt_dropout_mask_with", &nnrt_dropout_mask_with);
  define("nnrt_parallel_for", &nnrt_parallel_for);
  define("nnrt_serial_for", &nnrt_serial_for);
  define("nnrt_profile_enter", &nnrt_profile_enter);
  define("nnrt_profile_exit", &nnrt_profile_exit);
  define(kResolver, &nnc_jit_resolve);
  if (auto e = (*jit)->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(runtime))))
    return e;
  return jit;
}

} // namespace

/// Parts whose code is compiled after JITModel::compile returns: from the
/// start on a thread of their own (`background`), or at the first call of
/// one of their entries' stubs.
struct JITModel::Deferred {
  std::string what; // for messages: the entries
  std::vector<Part> parts; // cut into pieces when compiled
  TargetOptions target;
  size_t maxPieces = 1;
  std::string cacheDir;
  bool cacheLog = false;
  std::vector<std::unique_ptr<DeferredHandle>> handles;
  std::once_flag once;
  std::thread background;
  bool startedInBackground = false;
  bool linked = false;
  std::string error;
  ~Deferred() {
    if (background.joinable())
      background.join();
  }
};

void JITModel::compileDeferred(Deferred &group) {
  std::vector<CompiledPart> compiled;
  std::optional<ObjectCache> cache = ObjectCache::open(group.cacheDir, group.cacheLog);
  if (!splitLargeParts(group.parts, group.maxPieces, group.target, group.error) ||
      !compileParts(group.parts, cache, compiled, group.error))
    return;
  group.parts.clear();
  for (const CompiledPart &part : compiled)
    if (auto e = jit_->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(part.object, "deferred"))) {
      group.error = llvm::toString(std::move(e));
      return;
    }
  group.linked = true;
}

/// Compiles (or waits for) a group's code, once.
static void finish(JITModel::Deferred &group, const std::function<void()> &compile) {
  std::call_once(group.once, [&] {
    if (group.background.joinable())
      group.background.join();
    else
      compile();
  });
}

static void reportFailure(const JITModel::Deferred &group, const std::string &error) {
  std::cerr << "nnc: error: JIT compilation of " << group.what << " failed"
            << (error.empty() ? std::string(" earlier") : ": " + error) << '\n';
}

bool JITModel::finishBackground() {
  for (auto &group : deferred_)
    if (group->startedInBackground) {
      finish(*group, [] {});
      if (!group->linked) {
        reportFailure(*group, group->error);
        return false;
      }
    }
  return true;
}

void *JITModel::resolve(Deferred &group, const std::string &bodyName) {
  // The background group holds the GEMM kernels the others call: first.
  if (!finishBackground())
    return nullptr;
  finish(group, [&] { compileDeferred(group); });
  std::string error = group.error;
  if (group.linked) {
    auto symbol = jit_->lookup(bodyName);
    if (symbol)
      return symbol->toPtr<void *>();
    error = llvm::toString(symbol.takeError());
  }
  reportFailure(group, error);
  return nullptr;
}

std::unique_ptr<JITModel> JITModel::compile(const Program &program, const CodegenOptions &codegen,
                                            const TargetOptions &target, std::string &error,
                                            const std::vector<std::string> &deferred,
                                            bool background) {
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
    part.prefix = one.prefix;
    part.fault = names[k] == codegen.faultCompile;
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
  std::unique_ptr<JITModel> model(new JITModel());
  auto jit = makeJit(codegen.perfMap);
  if (!jit) {
    error = llvm::toString(jit.takeError());
    return nullptr;
  }
  model->jit_ = std::move(*jit);
  // Two groups whose code waits: the entries compiled in the background
  // (with the GEMM kernels), and those compiled at their first call. Each
  // entry of a group leaves its descriptor and stubs here.
  auto newGroup = [&] {
    auto group = std::make_unique<Deferred>();
    group->target = target;
    group->maxPieces = codegen.maxPieces;
    group->cacheDir = codegen.objectCacheDir;
    group->cacheLog = codegen.objectCacheLog;
    return group;
  };
  std::unique_ptr<Deferred> early = background ? newGroup() : nullptr;
  std::unique_ptr<Deferred> late = newGroup();
  llvm::orc::SymbolMap handles;
  for (Part &part : parts) {
    bool atFirstCall = std::find(deferred.begin(), deferred.end(), part.entry) != deferred.end();
    Deferred *group = atFirstCall ? late.get() : early.get();
    if (!group)
      continue;
    if (part.kernelsOnly) {
      group->parts.push_back(std::move(part));
      continue;
    }
    group->what += (group->what.empty() ? "" : ", ") + part.entry;
    Part stubs;
    std::vector<DeferredFunction> functions;
    stubs.module = splitOffStubs(*part.module, part.compiled.descSymbol, kResolver, stubs.context, functions);
    stubs.entry = part.entry + " (stubs)";
    stubs.prefix = part.prefix;
    stubs.machine = createTargetMachine(target, error);
    if (!stubs.machine)
      return nullptr;
    stubs.compiled.descSymbol = part.compiled.descSymbol;
    part.compiled.descSymbol.clear();
    for (const DeferredFunction &f : functions) {
      group->handles.push_back(std::unique_ptr<DeferredHandle>(
          new DeferredHandle{model.get(), group, f.bodyName, {nullptr}}));
      handles[model->jit_->mangleAndIntern(f.handleSymbol)] = {
          llvm::orc::ExecutorAddr::fromPtr(group->handles.back().get()), llvm::JITSymbolFlags::Exported};
    }
    group->parts.push_back(std::move(part));
    part = std::move(stubs);
  }
  if (!handles.empty())
    if (auto e = model->jit_->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(handles)))) {
      error = llvm::toString(std::move(e));
      return nullptr;
    }
  parts.erase(std::remove_if(parts.begin(), parts.end(), [](const Part &p) { return !p.module; }),
              parts.end());
  std::optional<ObjectCache> cache = ObjectCache::open(codegen.objectCacheDir, codegen.objectCacheLog);
  std::vector<CompiledPart> compiled;
  if (!splitLargeParts(parts, codegen.maxPieces, target, error) ||
      !compileParts(parts, cache, compiled, error) || !model->link(compiled, error))
    return nullptr;
  if (early && !early->parts.empty()) {
    Deferred *group = early.get();
    JITModel *self = model.get();
    group->startedInBackground = true;
    group->background = std::thread([self, group] { self->compileDeferred(*group); });
  }
  for (auto *group : {&early, &late})
    if (*group && !(*group)->parts.empty())
      model->deferred_.push_back(std::move(*group));
  return model;
}

} // namespace nnc
