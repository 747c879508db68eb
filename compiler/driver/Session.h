//===- Session.h - one run of the compiler pipeline -------------*- C++ -*-===//
//
// The pipeline as one readable sequence: parse -> lower (sema) -> entries
// (autodiff, optimizer) -> simplification -> LLVM IR -> O3 -> JIT. Each stage can be printed
// with --emit, which stops the pipeline there.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/JIT.h"
#include "codegen/LLVMGen.h"
#include "codegen/Target.h"
#include "driver/Options.h"
#include "driver/Text.h"
#include "frontend/AST.h"
#include "ir/Program.h"
#include "opt/Passes.h"

#include <map>
#include <memory>
#include <set>

namespace nnc {

struct Session {
  Options opts;
  std::unique_ptr<SourceFile> source;
  std::unique_ptr<DiagnosticEngine> diag;
  ModuleAST ast;
  std::unique_ptr<Program> program;
  std::unique_ptr<JITModel> jit;
  /// nnc train --text: the text; and the vocabulary (the text's, or a
  /// checkpoint's), whose size the model calls `vocab`.
  std::unique_ptr<TextCorpus> text;
  std::vector<uint32_t> vocab;
  /// What the IR simplification passes did (all zero with NNC_SIMPLIFY=0).
  SimplifyStats simplified;
  /// NNC_PROFILE=1: entries are compiled with per-node timers, and the
  /// slowest nodes are listed on stderr when the session ends.
  bool profiling = false;
  /// > 0: class(N)[T] inputs and targets get T = tokenSteps (LoweringOptions).
  int64_t tokenSteps = 0;
  /// Standardised inputs and the axis of their statistics (Standardize.h):
  /// all of them, those named by --standardize, those whose statistics a
  /// --resume / --init-params checkpoint loads (not fitted again), and
  /// those any given checkpoint holds.
  std::map<std::string, int64_t> standardize;
  std::set<std::string> standardizeFlags, standardizeLoaded, standardizeInCheckpoint;
  ~Session();
};

/// What a stage tells the command: go on, stop with success (a stage was
/// printed), or stop with failure (errors reported).
enum class Stage { Continue, Done, Failed };

/// Reads, parses and lowers the model and builds its entry points.
Stage runFrontEnd(Session &s, bool forceF64 = false);
/// A module generated and optimised for its target machine.
struct BuiltModule {
  std::unique_ptr<llvm::TargetMachine> machine;
  std::unique_ptr<llvm::Module> module;
  /// With `inParts`: the GEMM kernels, not linked into `module`; neither
  /// is optimised then (codegen/ObjectJoin.h compiles them in parts).
  std::unique_ptr<llvm::Module> kernels;
};
/// The one way from the session's Program to an optimised LLVM module, for
/// the JIT and for object files alike: the target machine, code generation
/// with the session's settings (fusion), the CPU check an object carries
/// (codegen.withCApi), LLVM's O3. Prints the module and returns Done for
/// --emit=llvm|asm.
Stage buildModule(Session &s, const TargetOptions &target, CodegenOptions &codegen,
                  llvm::LLVMContext &context, BuiltModule &out, bool inParts = false);
/// Generates LLVM IR for `entries` (all when empty), optimises it for the
/// host and JIT-compiles it; those also in `deferred` at their first call,
/// the others, with `background`, while the caller goes on (JITModel::compile).
Stage jitCompile(Session &s, const std::vector<std::string> &entries = {},
                 const std::vector<std::string> &deferred = {}, bool background = false);

int runCommand(Session &s);
/// The text of --text, else the vocabulary of a --params / --resume /
/// --init-params checkpoint, into the session; false (printed) on errors.
bool loadVocabulary(Session &s);
/// `nnc generate`: sampled text from a model trained with --text.
int generateCommand(Session &s);
int trainCommand(Session &s);
/// `nnc export-params CKPT --json`: needs no model, so no front end.
int exportParamsCommand(const Options &o);
/// `nnc import MODEL.onnx -o OUT/M.nn`: the .nn source and OUT/M.ckpt.
int importCommand(Session &s);
/// `nnc export M.nn -o M.onnx`: the predict graph as an ONNX model.
int exportCommand(Session &s);

/// Total steps implied by the options and the train block, etc.
int64_t optionOr(const std::optional<long long> &flag, const Program &p,
                 const std::string &trainKey, int64_t fallback);

} // namespace nnc
