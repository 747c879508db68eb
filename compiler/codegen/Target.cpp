//===- Target.cpp ---------------------------------------------------------===//
#include "codegen/Target.h"

#include "support/Diagnostics.h"

#include "llvm/Linker/Linker.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Transforms/IPO/MergeFunctions.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <mutex>

namespace nnc {

void initializeLLVM() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const TargetOptions &options,
                                                         std::string &error) {
  initializeLLVM();
  bool host = options.triple.empty();
  std::string triple = host ? llvm::sys::getDefaultTargetTriple() : options.triple;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    error = "unknown target '" + triple + "': " + error;
    return nullptr;
  }
  std::string cpu = options.cpu;
  std::string features;
  if (cpu.empty() || cpu == "native") {
    if (host) {
      cpu = llvm::sys::getHostCPUName().str();
      llvm::SubtargetFeatures f;
      for (auto &feature : llvm::sys::getHostCPUFeatures())
        f.AddFeature(feature.first(), feature.second);
      features = f.getString();
    } else {
      cpu = "generic";
    }
  }
  llvm::MCSubtargetInfo *info = target->createMCSubtargetInfo(triple, cpu, features);
  bool known = info && info->isCPUStringValid(cpu);
  delete info;
  if (!known) {
    error = "unknown cpu '" + cpu + "' for target '" + triple + "'";
    return nullptr;
  }
  llvm::TargetOptions to;
  auto reloc = options.pic ? llvm::Reloc::PIC_ : llvm::Reloc::Static;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, to, reloc, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    error = "cannot create a target machine for '" + triple + "'";
  return machine;
}

std::string requiredCpuFeatures(const llvm::TargetMachine &machine) {
  if (!machine.getTargetTriple().isX86())
    return "";
  // The list runtime/src/cpu.c can test, in LLVM's (and GCC's) spelling.
  static const char *const checkable[] = {
      "sse3",     "ssse3",      "sse4.1",     "sse4.2",      "popcnt",       "avx",
      "avx2",     "fma",        "f16c",       "bmi",         "bmi2",         "lzcnt",
      "movbe",    "avxvnni",    "avx512f",    "avx512dq",    "avx512cd",     "avx512bw",
      "avx512vl", "avx512vbmi", "avx512ifma", "avx512vnni",  "avx512bf16",   "avx512vbmi2",
      "avx512bitalg", "avx512vpopcntdq", "avx512fp16"};
  const llvm::MCSubtargetInfo *info = machine.getMCSubtargetInfo();
  std::string list;
  for (const char *f : checkable)
    if (info->checkFeatures(std::string("+") + f))
      list += (list.empty() ? "" : ",") + std::string(f);
  return list;
}

void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine, bool kernelsOnly) {
  module.setTargetTriple(machine.getTargetTriple().str());
  module.setDataLayout(machine.createDataLayout());
  for (llvm::Function &f : module) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", machine.getTargetCPU());
    if (!machine.getTargetFeatureString().empty())
      f.addFnAttr("target-features", machine.getTargetFeatureString());
  }
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  // No loop unrolling pass (full or partial): it made a fifth of the compile
  // time (nnc compile examples/mnist_cnn.nn 1.91 -> 1.49 s) for no speed.
  // The GEMM kernel is unrolled by hand (Gemm.cpp) and the vectorizer still
  // interleaves; a training step of the lecture CNN executes the same
  // number of instructions (callgrind, 0.6% fewer), docs/kernels.md section 6.
  tuning.LoopUnrolling = false;
  llvm::PassBuilder pb(&machine, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm;
  // Kernels emitted twice (the same layer repeated) are compiled once:
  // the tasks read their buffers' offsets from tables (Outline.cpp).
  mpm.addPass(llvm::MergeFunctionsPass());
  mpm.addPass(pb.buildPerModuleDefaultPipeline(kernelsOnly ? llvm::OptimizationLevel::O1
                                                            : llvm::OptimizationLevel::O3));
  mpm.run(module, mam);
}

bool linkGemmKernels(llvm::Module &module, std::unique_ptr<llvm::Module> kernels,
                     std::string &error) {
  std::vector<std::string> names;
  for (llvm::Function &f : *kernels)
    if (!f.isDeclaration() && f.hasExternalLinkage())
      names.push_back(f.getName().str());
  if (llvm::Linker::linkModules(module, std::move(kernels))) {
    error = "cannot link the GEMM kernels into the model's module";
    return false;
  }
  for (const std::string &name : names)
    if (llvm::Function *f = module.getFunction(name))
      f->setLinkage(llvm::Function::InternalLinkage);
  return true;
}

int gemmVectorBits(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *info = machine.getMCSubtargetInfo();
  if (machine.getTargetTriple().isX86()) {
    if (info->checkFeatures("+avx512f"))
      return 512;
    if (info->checkFeatures("+avx"))
      return 256;
  }
  return 128; // SSE2, NEON and other 128-bit vector units
}

/// Builds the code generation pipeline, with or without loop strength
/// reduction. LLVM chooses that with a process-wide option read while the
/// pipeline is built, so building is serialised; running is not.
static bool addCodegenPasses(llvm::legacy::PassManager &pm, llvm::TargetMachine &machine,
                             llvm::raw_pwrite_stream &out, llvm::CodeGenFileType type,
                             bool strengthReduction) {
  static std::mutex building;
  std::lock_guard<std::mutex> lock(building);
  auto &options = llvm::cl::getRegisteredOptions();
  auto found = options.find("disable-lsr");
  auto *disable = found != options.end() ? static_cast<llvm::cl::opt<bool> *>(found->second) : nullptr;
  bool was = disable && *disable;
  if (disable)
    disable->setValue(!strengthReduction);
  bool failed = machine.addPassesToEmitFile(pm, out, nullptr, type);
  if (disable)
    disable->setValue(was);
  return !failed;
}

static bool emitTo(llvm::Module &module, llvm::TargetMachine &machine,
                   llvm::raw_pwrite_stream &out, bool assembly, std::string &error,
                   bool strengthReduction = true) {
  llvm::legacy::PassManager pm;
  auto type = assembly ? llvm::CodeGenFileType::AssemblyFile : llvm::CodeGenFileType::ObjectFile;
  if (!addCodegenPasses(pm, machine, out, type, strengthReduction)) {
    error = "the target cannot emit this file type";
    return false;
  }
  pm.run(module);
  return true;
}

bool emitObjectFile(llvm::Module &module, llvm::TargetMachine &machine,
                    const std::string &path, bool assembly, std::string &error) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream out(buffer);
  if (!emitTo(module, machine, out, assembly, error))
    return false;
  return writeFileAtomic(path, std::string(buffer.begin(), buffer.end()), error);
}

bool emitObject(llvm::Module &module, llvm::TargetMachine &machine, std::string &object,
                std::string &error, bool strengthReduction) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream out(buffer);
  if (!emitTo(module, machine, out, false, error, strengthReduction))
    return false;
  object.assign(buffer.begin(), buffer.end());
  return true;
}

std::string emitAssembly(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream out(buffer);
  std::string error;
  emitTo(module, machine, out, true, error);
  return std::string(buffer.begin(), buffer.end());
}

} // namespace nnc
