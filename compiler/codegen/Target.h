//===- Target.h - target machines, optimisation, object emission -*- C++ -*-===//
#pragma once

#include <memory>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace nnc {

struct TargetOptions {
  std::string triple; // empty: the host
  std::string cpu;    // empty or "native": the host CPU and its features
  /// Position-independent code: links into PIE executables (Debian's
  /// default) and shared libraries without text relocations.
  bool pic = true;
};

/// The instruction-set extensions `machine` may use that the runtime can
/// check at create time (nnrt_cpu_check), comma-separated; empty for
/// baseline CPUs and non-x86 targets.
std::string requiredCpuFeatures(const llvm::TargetMachine &machine);

/// Registers LLVM's targets once.
void initializeLLVM();

/// nullptr and `error` set when the triple or CPU is unknown.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(const TargetOptions &options,
                                                         std::string &error);

/// Sets the module's triple, data layout and per-function target attributes
/// so the vectorisers see the real CPU, then runs LLVM's O3 pipeline (O1
/// for a module of GEMM kernels only: splitGemmKernels, Gemm.h).
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine, bool kernelsOnly = false);

/// Links the GEMM kernels' module (splitGemmKernels), optimised on its own,
/// into `module`, which declares them, and makes them internal again: one
/// object file exports only the model's own symbols. False and `error` on
/// failure.
bool linkGemmKernels(llvm::Module &module, std::unique_ptr<llvm::Module> kernels,
                     std::string &error);

/// Width in bits of the vector registers the matrix kernel uses on this
/// machine's CPU: 512 with AVX-512, 256 with AVX/AVX2, otherwise 128.
int gemmVectorBits(const llvm::TargetMachine &machine);

/// Writes an object file (or assembly text) atomically.
bool emitObjectFile(llvm::Module &module, llvm::TargetMachine &machine,
                    const std::string &path, bool assembly, std::string &error);
/// The object file's bytes, in memory. strengthReduction=false leaves out
/// LLVM's loop strength reduction: a quarter of the JIT's code generation
/// time, for loop nests whose addressing it barely changes (the GEMM
/// kernels keep it: docs/kernels.md section 6).
bool emitObject(llvm::Module &module, llvm::TargetMachine &machine, std::string &object,
                std::string &error, bool strengthReduction = true);
/// Assembly as text (`--emit=asm`).
std::string emitAssembly(llvm::Module &module, llvm::TargetMachine &machine);

} // namespace nnc
