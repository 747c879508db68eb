//===- LLVMGen.h - lowering the tensor IR to LLVM IR ------------*- C++ -*-===//
//
// Each entry point becomes one LLVM function
//   i32 @PREFIX_entry_NAME(ptr state, ptr workspace, i64 batch, ptr args)
// made of one loop nest per IR node, plus a constant `nnrt_model_desc`
// (@PREFIX_desc) that the runtime reads, plus, for object files, the C ABI
// wrappers declared in the generated header (PREFIX_create, ...).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/MemoryPlan.h"
#include "ir/Program.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace nnc {

struct CodegenOptions {
  std::string prefix;       // symbol prefix, e.g. "mazur"
  int64_t maxBatch = 256;   // default batch limit stored in the descriptor
  bool withCApi = false;    // emit PREFIX_create/... wrappers (object files)
  /// Entry points to compile; empty = all. The JIT compiles only what the
  /// command calls, which halves compile time for `nnc train`.
  std::vector<std::string> entries;
  /// Vector register width of the target (gemmVectorBits(machine)); 0 keeps
  /// every matmul a plain loop nest.
  int gemmVectorBits = 0;
  /// Time every node through nnrt_profile_enter/exit (NNC_PROFILE=1),
  /// keyed by node id + profileIdBase: a scan body's nodes get a range of
  /// their own (ScanBody::profileBase), handed out from *profileIds.
  bool profile = false;
  int profileIdBase = 0;
  std::shared_ptr<int> profileIds;
  /// Compute single-use elementwise nodes inside their consumer's loop
  /// (Fusion.h); off only to compare against (NNC_FUSION=0).
  bool fusion = true;
  /// JIT only: where compiled parts are kept between runs (ObjectCache.h);
  /// empty: none. cacheLog prints each hit, miss and store.
  std::string objectCacheDir;
  bool objectCacheLog = false;
  /// JIT only: name the linked functions in /tmp/perf-PID.map for `perf`
  /// (NNC_PERF_MAP=1, PerfMap.h).
  bool perfMap = false;
  /// JIT only: an entry point is compiled in at most this many pieces
  /// (ModuleSplit.h); NNC_JIT_PIECES=1 compiles each whole, to compare.
  unsigned maxPieces = 4;
  /// JIT only: compiling this entry point fails (NNC_FAULT_COMPILE, a test).
  std::string faultCompile;
};

/// Byte offsets of the state tensors (64-byte aligned) and the total.
struct StateLayout {
  std::vector<int64_t> offsets;
  int64_t bytes = 0;
};
StateLayout layoutState(const Program &p);
int64_t dtypeBytes(DType t);

/// snake_case of a model name: MnistCnn -> mnist_cnn.
std::string defaultPrefix(const std::string &modelName);

std::unique_ptr<llvm::Module> generateModule(const Program &p,
                                             llvm::LLVMContext &context,
                                             const CodegenOptions &options);

/// What an entry compiles to: loop nests ("kernels") after fusion, and
/// its workspace.
struct EntryPlan {
  int kernels = 0;
  int epilogues = 0, reluEpilogues = 0; // matmuls that store bias (+ ReLU) themselves
  WorkspaceSize workspace;
};
EntryPlan planEntry(const Program &p, const Entry &e, const CodegenOptions &options);

/// Adds the constant @PREFIX_desc listing every entry whose function
/// @PREFIX_entry_NAME exists in `module`.
void emitDescriptor(const Program &p, llvm::Module &module,
                    const CodegenOptions &options,
                    const std::vector<WorkspaceSize> &workspace);

/// Adds the C ABI wrappers (PREFIX_create, PREFIX_predict, ...).
void emitCApi(const Program &p, llvm::Module &module, const CodegenOptions &options);

/// Makes PREFIX_create return NULL (reason in nnrt_last_error) on a CPU
/// without every feature in `features` (comma-separated; nothing when empty).
void emitCpuCheck(const Program &p, llvm::Module &module, const std::string &prefix,
                  const std::string &features);

} // namespace nnc
