//===- JIT.cpp ------------------------------------------------------------===//
//
// The generated code calls libm (exp, tanh, ...), libc (memset) and the
// runtime's dropout-mask generator and thread pool; all resolve from the nnc process itself.
//===----------------------------------------------------------------------===//
#include "codegen/JIT.h"

#include "codegen/Target.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/Module.h"

namespace nnc {

JITModel::~JITModel() = default;

std::unique_ptr<JITModel> JITModel::create(std::unique_ptr<llvm::Module> module,
                                           std::unique_ptr<llvm::LLVMContext> context,
                                           const std::string &prefix, std::string &error) {
  initializeLLVM();
  auto fail = [&](llvm::Error e) {
    error = llvm::toString(std::move(e));
    return nullptr;
  };
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return fail(jtmb.takeError());
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
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
  if (auto e = (*jit)->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(module), std::move(context))))
    return fail(std::move(e));
  auto symbol = (*jit)->lookup(prefix + "_desc");
  if (!symbol)
    return fail(symbol.takeError());
  std::unique_ptr<JITModel> model(new JITModel());
  model->desc_ = symbol->toPtr<const nnrt_model_desc *>();
  model->jit_ = std::move(*jit);
  return model;
}

} // namespace nnc
