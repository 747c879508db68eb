//===- Session.cpp --------------------------------------------------------===//
#include "driver/Session.h"
#include "support/Limits.h"
#include "opt/Passes.h"

#include "nnrt.h"

#include <algorithm>
#include <functional>
#include <map>
#include <cstdio>
#include <cstdlib>

#include "autodiff/Entries.h"
#include "driver/Distributed.h"
#include "driver/Standardize.h"
#include "codegen/Gemm.h"
#include "codegen/LLVMGen.h"
#include "codegen/Target.h"
#include "ir/Scan.h"
#include "sema/ModelLowering.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <iostream>
#include <sys/stat.h>

namespace nnc {

Stage runFrontEnd(Session &s, bool forceF64) {
  std::string text, error;
  // A model is source text; anything this large is not one (data belongs in
  // --data files), and reading it whole would cost its size in memory.
  const long long kMaxSource = static_cast<long long>(kMaxModelBytes);
  struct stat st;
  if (stat(s.opts.file.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::cerr << s.opts.file << ": error: is a directory, not a model file\n";
    return Stage::Failed;
  }
  if (stat(s.opts.file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > kMaxSource) {
    std::cerr << s.opts.file << ": error: the file has " << st.st_size
              << " bytes; model files may have at most 64 MiB (put data in --data files)\n";
    return Stage::Failed;
  }
  if (!readFile(s.opts.file, text, error, kMaxModelBytes)) {
    std::cerr << "nnc: error: " << error << '\n';
    return Stage::Failed;
  }
  s.source = std::make_unique<SourceFile>(s.opts.file, std::move(text));
  s.diag = std::make_unique<DiagnosticEngine>(s.source.get());
  try {
    s.ast = parseModule(*s.source, *s.diag);
    if (s.opts.emit == "ast") {
      printAST(s.ast, std::cout);
      return Stage::Done;
    }
    LoweringOptions lowering;
    lowering.forceF64 = forceF64;
    if (!s.vocab.empty())
      lowering.constants["vocab"] = double(s.vocab.size());
    lowering.stateful = s.opts.stateful;
    lowering.tokenSteps = s.tokenSteps;
    lowering.standardize = s.standardize;
    s.program = lowerModule(s.ast, *s.diag, lowering);
    if (!checkStandardization(s))
      return Stage::Failed;
    if (s.opts.emit == "ir") {
      printProgram(*s.program, std::cout);
      return Stage::Done;
    }
    if (s.opts.lr)
      s.program->optimizer.args["lr"] = *s.opts.lr;
    // The split step is what data-parallel training calls.
    buildEntries(*s.program, s.opts.splitStep || (s.opts.command == "train" && distributedRequested(s.opts)));
    if (s.opts.emit == "ir-grad") {
      printProgram(*s.program, std::cout);
      return Stage::Done;
    }
    if (s.opts.simplify)
      s.simplified = simplifyProgram(*s.program);
    if (s.opts.emit == "ir-opt") {
      printProgram(*s.program, std::cout);
      return Stage::Done;
    }
    if (s.opts.emit == "memory-plan") {
      printMemoryPlan(*s.program, s.opts.fusion, std::cout);
      return Stage::Done;
    }
    if (s.opts.emit == "dot") {
      printDot(*s.program, std::cout);
      return Stage::Done;
    }
  } catch (const CompileError &) {
    return Stage::Failed;
  }
  return Stage::Continue;
}

bool loadVocabulary(Session &s) {
  if (!s.opts.text.empty()) {
    s.text = std::make_unique<TextCorpus>();
    if (!readTextCorpus(s.opts.text, *s.text))
      return false;
    s.vocab = s.text->vocab;
    return true;
  }
  for (const std::string *path : {&s.opts.params, &s.opts.resume, &s.opts.initParams}) {
    if (path->empty() || !nnrt_is_checkpoint(path->c_str()))
      continue;
    uint32_t *points = nullptr;
    int64_t count = 0;
    if (nnrt_checkpoint_vocab(path->c_str(), &points, &count) != NNRT_OK) {
      std::cerr << "nnc: error: " << nnrt_last_error() << '\n';
      return false;
    }
    s.vocab.assign(points, points + count);
    std::free(points);
    if (count)
      return true;
  }
  return true;
}

Session::~Session() {
  if (!profiling || !program)
    return;
  struct Row { int64_t ns, calls; const Node *node; bool inScan; };
  std::vector<Row> rows;
  int64_t total = 0;
  // Scan bodies' nodes have ids of their own (ScanBody::profileBase).
  std::function<void(const Graph &, int)> read = [&](const Graph &g, int base) {
    for (auto &n : g.nodes()) {
      int64_t calls = 0, ns = nnrt_profile_read(n->id + base, &calls);
      if (calls > 0) {
        rows.push_back({ns, calls, n.get(), base > 0});
        total += ns;
      }
      if (n->op == OpKind::Scan && n->scan->profileBase >= 0)
        read(n->scan->program.graph, n->scan->profileBase);
    }
  };
  read(program->graph, 0);
  std::sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) { return a.ns > b.ns; });
  std::fprintf(stderr, "profile: %.3f s in %zu nodes (slowest first)\n", total * 1e-9, rows.size());
  for (size_t i = 0; i < rows.size() && i < 25; ++i) {
    const Node &n = *rows[i].node;
    std::fprintf(stderr, "  %5.1f%%  %9.3f ms/call  %-12s %%%d %s  line %d%s\n",
                 100.0 * rows[i].ns / std::max<int64_t>(total, 1),
                 rows[i].ns * 1e-6 / rows[i].calls, opName(n.op), n.id,
                 n.type.str().c_str(), n.loc.line, rows[i].inScan ? " (in a scan)" : "");
  }
  // The same time by op: which kind of kernel to make faster.
  std::map<std::string, int64_t> byOp;
  for (const Row &r : rows)
    byOp[opName(r.node->op)] += r.ns;
  std::vector<std::pair<int64_t, std::string>> ops;
  for (auto &[name, ns] : byOp)
    ops.push_back({ns, name});
  std::sort(ops.rbegin(), ops.rend());
  std::fprintf(stderr, "profile by op:");
  for (size_t i = 0; i < ops.size() && i < 12; ++i)
    std::fprintf(stderr, "%s %s %.1f%%", i ? "," : "", ops[i].second.c_str(),
                 100.0 * ops[i].first / std::max<int64_t>(total, 1));
  std::fprintf(stderr, "\n");
}

Stage buildModule(Session &s, const TargetOptions &target, CodegenOptions &codegen,
                  llvm::LLVMContext &context, BuiltModule &out, bool inParts) {
  std::string error;
  out.machine = createTargetMachine(target, error);
  if (!out.machine) {
    std::cerr << "nnc: error: " << error << '\n';
    return Stage::Failed;
  }
  codegen.gemmVectorBits = gemmVectorBits(*out.machine);
  codegen.fusion = s.opts.fusion;
  out.module = generateModule(*s.program, context, codegen);
  if (codegen.withCApi) // an object may run on another CPU: it checks at create time
    emitCpuCheck(*s.program, *out.module, codegen.prefix, requiredCpuFeatures(*out.machine));
  std::unique_ptr<llvm::Module> kernels = splitGemmKernels({out.module.get()}, context);
  if (inParts && s.opts.emit.empty()) {
    out.kernels = std::move(kernels);
    return Stage::Continue;
  }
  optimizeModule(*out.module, *out.machine);
  if (kernels) {
    optimizeModule(*kernels, *out.machine, /*kernelsOnly=*/true);
    if (!linkGemmKernels(*out.module, std::move(kernels), error)) {
      std::cerr << "nnc: error: " << error << '\n';
      return Stage::Failed;
    }
  }
  if (s.opts.emit == "llvm") {
    llvm::outs() << *out.module;
    llvm::outs().flush();
    return Stage::Done;
  }
  if (s.opts.emit == "asm") {
    std::cout << emitAssembly(*out.module, *out.machine);
    return Stage::Done;
  }
  return Stage::Continue;
}

Stage jitCompile(Session &s, const std::vector<std::string> &entries,
                 const std::vector<std::string> &deferred, bool background) {
  CodegenOptions codegen;
  codegen.prefix = defaultPrefix(s.program->modelName);
  codegen.maxBatch = 1 << 20;
  codegen.entries = entries;
  s.profiling = codegen.profile = s.opts.profile;
  TargetOptions target;
  target.cpu = s.opts.cpu;
  if (s.opts.emit == "llvm" || s.opts.emit == "asm") {
    llvm::LLVMContext context;
    BuiltModule built;
    return buildModule(s, target, codegen, context, built);
  }
  codegen.fusion = s.opts.fusion;
  codegen.objectCacheDir = s.opts.objectCacheDir;
  codegen.objectCacheLog = s.opts.objectCacheLog;
  codegen.perfMap = s.opts.perfMap;
  codegen.maxPieces = s.opts.jitPieces;
  codegen.faultCompile = s.opts.faultCompile;
  std::string error;
  s.jit = JITModel::compile(*s.program, codegen, target, error, deferred, background);
  if (!s.jit) {
    std::cerr << "nnc: error: JIT compilation failed: " << error << '\n';
    return Stage::Failed;
  }
  return Stage::Continue;
}

int64_t optionOr(const std::optional<long long> &flag, const Program &p,
                 const std::string &trainKey, int64_t fallback) {
  if (flag)
    return *flag;
  auto it = p.trainOptions.find(trainKey);
  return it != p.trainOptions.end() ? static_cast<int64_t>(it->second) : fallback;
}

} // namespace nnc
