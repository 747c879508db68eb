//===- frontend_fuzzer.cpp - libFuzzer target for the front end -----------===//
//
// Feeds arbitrary bytes through everything before code generation: parse,
// sema (lowering to IR), autodiff with the optimizer update, the IR
// simplification passes and each entry's fusion plan (compiler/opt), and
// the IR and Graphviz printers. Any input must end in a diagnostic or a program, never
// a crash, hang or sanitizer report. Build: see docs/robustness.md.
//===----------------------------------------------------------------------===//
#include "autodiff/Entries.h"
#include "frontend/AST.h"
#include "ir/Program.h"
#include "opt/Fusion.h"
#include "opt/Passes.h"
#include "sema/ModelLowering.h"

#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024)
    return 0; // the interesting structure is small; keeps runs fast
  nnc::SourceFile file("fuzz.nn", std::string(reinterpret_cast<const char *>(data), size));
  nnc::DiagnosticEngine diag(&file);
  std::ostringstream sink;
  diag.setOutput(&sink);
  try {
    nnc::ModuleAST ast = nnc::parseModule(file, diag);
    std::unique_ptr<nnc::Program> program = nnc::lowerModule(ast, diag);
    nnc::buildEntries(*program);
    nnc::simplifyProgram(*program);
    for (const nnc::Entry &e : program->entries) {
      nnc::EntryFusion plan = nnc::planEntryFusion(*program, e, true);
      sink << plan.nodes.size() << plan.fused.size() << plan.epilogues.size();
    }
    nnc::printProgram(*program, sink);
    nnc::printDot(*program, sink);
  } catch (const nnc::CompileError &) {
  }
  return 0;
}
