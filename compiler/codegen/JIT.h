//===- JIT.h - running generated code in-process (ORC LLJIT) ----*- C++ -*-===//
#pragma once

#include "nnrt.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
namespace orc {
class LLJIT;
}
} // namespace llvm

namespace nnc {

/// Owns the JIT that holds a compiled model's code and its descriptor.
class JITModel {
public:
  ~JITModel();
  /// Compiles an already optimised module; nullptr and `error` on failure.
  static std::unique_ptr<JITModel> create(std::unique_ptr<llvm::Module> module,
                                          std::unique_ptr<llvm::LLVMContext> context,
                                          const std::string &prefix, std::string &error);
  const nnrt_model_desc *descriptor() const { return desc_; }

private:
  JITModel() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  const nnrt_model_desc *desc_ = nullptr;
};

} // namespace nnc
