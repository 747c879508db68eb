//===- LLVMGen.cpp - a Program's LLVM module: one function per entry -----===//
#include "codegen/LLVMGen.h"

#include "codegen/FunctionEmitter.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace nnc {

int64_t dtypeBytes(DType t) { return t == DType::F64 ? 8 : 4; }


StateLayout layoutState(const Program &p) {
  StateLayout layout;
  for (const StateTensor &s : p.state) {
    layout.offsets.push_back(layout.bytes);
    layout.bytes = alignTo(layout.bytes + s.type.elementsPerSample() * dtypeBytes(s.type.dtype), 64);
  }
  return layout;
}

std::string defaultPrefix(const std::string &modelName) {
  std::string out;
  for (size_t i = 0; i < modelName.size(); ++i) {
    char c = modelName[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      bool prevLower = i > 0 && (std::islower(static_cast<unsigned char>(modelName[i - 1])) ||
                                 std::isdigit(static_cast<unsigned char>(modelName[i - 1])));
      bool nextLower = i + 1 < modelName.size() &&
                       std::islower(static_cast<unsigned char>(modelName[i + 1]));
      if (i > 0 && out.back() != '_' && (prevLower || nextLower))
        out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
  }
  return out;
}

EntryPlan planEntry(const Program &p, const Entry &e, const CodegenOptions &options) {
  llvm::LLVMContext context;
  llvm::Module module("plan", context);
  StateLayout layout = layoutState(p);
  return FunctionEmitter(p, e, module, layout, options).plan();
}

std::unique_ptr<llvm::Module> generateModule(const Program &p, llvm::LLVMContext &context,
                                             const CodegenOptions &givenOptions) {
  CodegenOptions options = givenOptions;
  if (options.profile && !options.profileIds)
    options.profileIds = std::make_shared<int>(p.graph.idBound());
  auto module = std::make_unique<llvm::Module>(options.prefix, context);
  StateLayout layout = layoutState(p);
  std::vector<WorkspaceSize> workspace;
  for (const Entry &e : p.entries) {
    bool wanted = options.entries.empty() ||
                  std::find(options.entries.begin(), options.entries.end(), e.name) !=
                      options.entries.end();
    workspace.push_back(wanted ? FunctionEmitter(p, e, *module, layout, options).emit()
                               : WorkspaceSize{});
  }
  emitDescriptor(p, *module, options, workspace);
  if (options.withCApi)
    emitCApi(p, *module, options);
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (llvm::verifyModule(*module, &os))
    throw std::logic_error("generated LLVM IR is invalid: " + os.str());
  return module;
}

} // namespace nnc
