// splitModule (compiler/codegen/ModuleSplit.h): the pieces together define
// what the module defined, once each, except the helpers and constants that
// every piece using them gets a copy of; they link back into one module.
#include "codegen/ModuleSplit.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace {

// An entry that hands three tasks to a pool by address and calls a serial
// task; task1 and task3 call an inlinable loop helper that reads a constant
// table; task2 and the entry share a mutable variable.
const char *kModule = R"IR(
@m_table = private constant [2 x i64] [i64 3, i64 4]
@counter = internal global i64 0
@m_desc = constant ptr @m_entry

declare void @pool(ptr)

define internal i32 @m_entry() {
  call void @pool(ptr @m_task1)
  call void @pool(ptr @m_task2)
  call void @pool(ptr @m_task3)
  call void @m_serial()
  %v = load i64, ptr @counter
  %r = trunc i64 %v to i32
  ret i32 %r
}

define internal void @m_loop(ptr %p) alwaysinline {
  %t = load i64, ptr getelementptr ([2 x i64], ptr @m_table, i64 0, i64 1)
  store i64 %t, ptr %p
  store i64 %t, ptr %p
  store i64 %t, ptr %p
  ret void
}

define internal void @m_task1(ptr %p) {
  call void @m_loop(ptr %p)
  store i64 1, ptr %p
  store i64 1, ptr %p
  store i64 1, ptr %p
  store i64 1, ptr %p
  ret void
}

define internal void @m_task2(ptr %p) {
  store i64 2, ptr @counter
  ret void
}

define internal void @m_task3(ptr %p) {
  call void @m_loop(ptr %p)
  ret void
}

define internal void @m_serial() noinline {
  store i64 5, ptr @counter
  ret void
}
)IR";

std::unique_ptr<llvm::Module> parse(llvm::LLVMContext &context) {
  llvm::SMDiagnostic error;
  auto module = llvm::parseAssemblyString(kModule, error, context);
  if (!module)
    error.print("module_split_test", llvm::errs());
  return module;
}

/// `module` read into `context` (the pieces live in contexts of their own).
std::unique_ptr<llvm::Module> copyInto(const llvm::Module &module, llvm::LLVMContext &context) {
  llvm::SmallVector<char, 0> bitcode;
  llvm::raw_svector_ostream out(bitcode);
  llvm::WriteBitcodeToFile(module, out);
  auto parsed = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(llvm::StringRef(bitcode.data(), bitcode.size()), "piece"), context);
  EXPECT_TRUE(static_cast<bool>(parsed));
  return parsed ? std::move(*parsed) : nullptr;
}

/// kModule, parsed, and split into at most N pieces.
class ModuleSplit : public ::testing::Test {
protected:
  void split(unsigned n) {
    module = parse(context);
    ASSERT_TRUE(module);
    pieces = nnc::splitModule(*module, n, "m", contexts);
  }
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module;
  std::vector<std::unique_ptr<llvm::LLVMContext>> contexts;
  std::vector<std::unique_ptr<llvm::Module>> pieces;
};

TEST_F(ModuleSplit, EveryDefinitionOnceHelpersAndConstantsCopied) {
  split(3);
  ASSERT_EQ(pieces.size(), 3u);
  ASSERT_EQ(contexts.size(), 3u);

  // Where each function and variable is defined, and as what.
  std::map<std::string, int> defined;
  std::map<std::string, std::string> pieceOf;
  for (size_t k = 0; k < pieces.size(); ++k) {
    EXPECT_FALSE(llvm::verifyModule(*pieces[k], &llvm::errs())) << "piece " << k;
    for (const llvm::GlobalValue &gv : pieces[k]->global_values())
      if (!gv.isDeclaration()) {
        ++defined[gv.getName().str()];
        pieceOf[gv.getName().str()] += std::to_string(k);
      }
  }
  // The entry and the tasks once each, spread over the pieces.
  EXPECT_EQ(defined["m_entry"], 1);
  EXPECT_EQ(defined["m_task1"], 1);
  EXPECT_EQ(defined["m_task2"], 1);
  EXPECT_EQ(defined["m_task3"], 1);
  EXPECT_EQ(defined["m_serial"], 1);
  EXPECT_NE(pieceOf["m_task1"], pieceOf["m_task2"]);
  // The descriptor and the mutable variable once; the variable, used from
  // another piece, renamed with the prefix and made external.
  EXPECT_EQ(defined["m_desc"], 1);
  EXPECT_EQ(defined["counter"], 0);
  EXPECT_EQ(defined["m.counter"], 1);
  // The inlinable helper and its table go wherever a caller is.
  std::string loopCallers = pieceOf["m_task1"] + pieceOf["m_task3"];
  EXPECT_EQ(defined["m_loop"], pieceOf["m_task1"] == pieceOf["m_task3"] ? 1 : 2);
  for (char k : pieceOf["m_loop"])
    EXPECT_NE(loopCallers.find(k), std::string::npos);
  EXPECT_EQ(pieceOf["m_table"], pieceOf["m_loop"]);
  for (const auto &piece : pieces)
    if (const llvm::GlobalVariable *table = piece->getGlobalVariable("m_table", true);
        table && !table->isDeclaration())
      EXPECT_TRUE(table->hasLocalLinkage());

  // Linked back together: one module, nothing defined twice or missing.
  llvm::LLVMContext linkContext;
  auto whole = copyInto(*pieces[0], linkContext);
  ASSERT_TRUE(whole);
  for (size_t k = 1; k < pieces.size(); ++k)
    ASSERT_FALSE(llvm::Linker::linkModules(*whole, copyInto(*pieces[k], linkContext)));
  EXPECT_FALSE(llvm::verifyModule(*whole, &llvm::errs()));
  // Every function called or handed on is defined, but the pool's runtime.
  for (const llvm::Function &f : *whole)
    if (f.isDeclaration() && !f.use_empty())
      EXPECT_EQ(f.getName(), "pool");
  EXPECT_EQ(whole->getFunction("m_entry")->isDeclaration(), false);
}

TEST_F(ModuleSplit, OnePieceIsACopy) {
  split(1);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_NE(&pieces[0]->getContext(), &context);
  EXPECT_EQ(pieces[0]->getInstructionCount(), module->getInstructionCount());
  EXPECT_TRUE(pieces[0]->getFunction("m_task2")->hasLocalLinkage());
}

} // namespace
