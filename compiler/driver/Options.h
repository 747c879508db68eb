//===- Options.h - the nnc command line -------------------------*- C++ -*-===//
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nnc {

struct Options {
  std::string command; // check, info, train, eval, predict, compile, gradcheck, export-params, generate
  std::string file;
  std::string emit;    // ast, ir, ir-grad, llvm, asm, dot
  std::optional<long long> steps, epochs, batch, seed, printEvery, evalEvery, maxBatch, opset;
  std::optional<double> lr;
  std::optional<long long> threads; // kernel threads; 0 = one per CPU
  std::optional<long long> length, topK; // generate: characters, top-k
  std::optional<double> temperature;     // generate
  std::optional<std::string> prompt;     // generate
  std::string text;                      // train: a UTF-8 text file (character windows)
  std::optional<double> valSplit;   // fraction of --data held out for validation
  std::vector<std::string> data, test; // NAME=PATH or PATH
  std::vector<std::string> scale;      // NAME=FACTOR
  std::vector<std::string> standardize; // NAME or NAME:AXIS (Standardize.h)
  std::string paramsOut, initParams, params, input, output, header, prefix, resume;
  std::string log, plot;
  /// train: what is evaluated after the last step: "train", "test", both
  /// ("train,test"), "none", or "" for the default (Trainer.cpp).
  std::string finalEval;
  /// train: early stopping and checkpoints of the best evaluation and every
  /// N steps (docs/training.md).
  std::optional<long long> earlyStop, saveEvery;
  std::string monitor, monitorMode, saveBest;
  std::string importLoss, importLabel, importOptimizer; // import: fine-tuning
  std::vector<std::string> freeze; // import: NAME=FILE, graph inputs fixed (FreezeInputs.h)
  std::string cpu, target;
  std::string staticLib;      // compile --emit-static-lib
  std::string sharedLib;      // compile --emit-shared
  bool inferenceOnly = false; // compile --inference-only
  bool trace = false, quiet = false, pic = false;
  bool checkNumerics = false; // train: find the first op that made a NaN/Inf
  bool json = false;          // export-params: JSON output
  bool splitStep = false;     // compile: grads + apply entries (docs/distributed.md)
  bool distributed = false;   // train: data-parallel over MPI (also under mpirun)
  bool stateful = false;      // train: recurrent layers carry state between batches
  bool recompute = false;     // generate: windows even for recurrent models
  bool perSample = false;     // import: each sample through the graph as a batch of one

  // Settings from the environment, read once with the command line: nothing
  // below the driver calls getenv.
  bool fusion = true;     // NNC_FUSION=0: every node its own loop (to compare against)
  bool simplify = true;   // NNC_SIMPLIFY=0: no IR simplification after autodiff
  bool profile = false;   // NNC_PROFILE=1: per-node timers, slowest listed at the end
  bool underMpirun = false; // OMPI_COMM_WORLD_SIZE is set: train data-parallel
  /// The JIT's object cache (codegen/ObjectCache.h): its directory, empty
  /// when NNC_CACHE=0 or no directory is known; NNC_CACHE_LOG=1 logs it.
  std::string objectCacheDir;
  bool objectCacheLog = false;
  bool perfMap = false;   // NNC_PERF_MAP=1: JIT functions named for perf (codegen/PerfMap.h)
  unsigned jitPieces = 4; // NNC_JIT_PIECES=N: pieces per JIT entry point and per nnc compile module, at most (codegen/ModuleSplit.h; 1: compiled whole)
  /// NNC_FAULT_COMPILE=ENTRY: the JIT's compilation of that entry point
  /// fails (the test of the messages of a deferred entry's failure).
  std::string faultCompile;
  /// NNC_FAULT_KILL=RANK:STEP: that rank kills itself before that step (the
  /// distributed fault test); rank -1 when unset or malformed.
  long faultKillRank = -1;
  long long faultKillStep = 0;
  /// NNC_FAULT_SAVE=BYTES|renamed: checkpoint saves die (SIGKILL) after
  /// writing BYTES bytes of the temporary file, or after the rename (the
  /// save-fault test); -1 / false when unset.
  long long faultSaveBytes = -1;
  bool faultSaveRenamed = false;
  /// NNC_FAULT_SAVE=enospc:BYTES: saves fail as on a full disk after BYTES
  /// bytes of the temporary file (the full-disk test); -1 when unset.
  long long faultSaveFullAfter = -1;
  /// NNC_FAULT_SIGNAL=INT:STEP or TERM:STEP: train sends itself that signal
  /// as step STEP begins (the signal tests, deterministic); 0 when unset.
  int faultSignal = 0;
  long long faultSignalStep = 0;
  /// NNC_TEST_INTERNAL_ERROR=exception|crash: the test suite's way into the
  /// internal-error paths.
  std::string testInternalError;
};

/// Parses argv; on a usage error prints it and returns false with `exitCode`
/// set (2), or 0 for --help / --version (already printed).
bool parseOptions(int argc, char **argv, Options &options, int &exitCode);

} // namespace nnc
