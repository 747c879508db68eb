//===- JIT.cpp ------------------------------------------------------------===//
//
// The generated code calls libm (exp, tanh, ...), libc (memset) and the
// runtime's dropout-mask generator and thread pool; all resolve from the nnc process itself.
// The code arrives as object files, already compiled (Session.cpp compiles
// a model's entry points in parallel, one module each).
//===----------------------------------------------------------------------===//
#include "codegen/JIT.h"

#include "codegen/Target.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/Support/MemoryBuffer.h"

namespace nnc {

JITModel::~JITModel() = default;

std::unique_ptr<JITModel> JITModel::create(const std::vector<CompiledPart> &parts,
                                           std::string &error) {
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
  for (size_t i = 0; i < parts.size(); ++i) {
    auto symbol = (*jit)->lookup(parts[i].descSymbol);
    if (!symbol)
      return fail(symbol.takeError());
    const nnrt_model_desc *d = symbol->toPtr<const nnrt_model_desc *>();
    if (i == 0)
      model->desc_ = *d;
    model->entries_.insert(model->entries_.end(), d->entries, d->entries + d->num_entries);
  }
  model->desc_.entries = model->entries_.data();
  model->desc_.num_entries = static_cast<int32_t>(model->entries_.size());
  model->jit_ = std::move(*jit);
  return model;
}

} // namespace nnc
