//===- ModuleSplit.cpp ----------------------------------------------------===//
#include "codegen/ModuleSplit.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassInstrumentation.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Transforms/IPO/MergeFunctions.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

namespace nnc {

void collectGlobals(const llvm::Value *value, std::set<const llvm::GlobalValue *> &out,
                    std::set<const llvm::Constant *> &seen) {
  if (auto *gv = llvm::dyn_cast<llvm::GlobalValue>(value)) {
    out.insert(gv);
    return;
  }
  auto *c = llvm::dyn_cast<llvm::Constant>(value);
  if (!c || !seen.insert(c).second)
    return;
  for (const llvm::Use &op : c->operands())
    collectGlobals(op.get(), out, seen);
}

namespace {

using PieceSet = std::set<unsigned>;

/// What each defined function and variable refers to.
std::map<const llvm::GlobalValue *, std::set<const llvm::GlobalValue *>>
referencesOf(const llvm::Module &module) {
  std::map<const llvm::GlobalValue *, std::set<const llvm::GlobalValue *>> refs;
  for (const llvm::Function &f : module) {
    if (f.isDeclaration())
      continue;
    std::set<const llvm::Constant *> seen;
    auto &out = refs[&f];
    for (const llvm::Instruction &inst : llvm::instructions(f))
      for (const llvm::Use &op : inst.operands())
        collectGlobals(op.get(), out, seen);
  }
  for (const llvm::GlobalVariable &gv : module.globals())
    if (gv.hasInitializer()) {
      std::set<const llvm::Constant *> seen;
      collectGlobals(gv.getInitializer(), refs[&gv], seen);
    }
  return refs;
}

} // namespace

std::unique_ptr<llvm::Module> moveToNewContext(const llvm::Module &module,
                                               std::unique_ptr<llvm::LLVMContext> &context) {
  llvm::SmallVector<char, 0> bitcode;
  llvm::raw_svector_ostream out(bitcode);
  llvm::WriteBitcodeToFile(module, out);
  context = std::make_unique<llvm::LLVMContext>();
  auto parsed = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(llvm::StringRef(bitcode.data(), bitcode.size()), module.getName()),
      *context);
  if (!parsed)
    throw std::logic_error("splitModule: cannot read back its own bitcode: " +
                           llvm::toString(parsed.takeError()));
  return std::move(*parsed);
}

std::vector<std::unique_ptr<llvm::Module>>
splitModule(llvm::Module &module, unsigned pieces, const std::string &unique,
            std::vector<std::unique_ptr<llvm::LLVMContext>> &contexts) {
  std::vector<std::unique_ptr<llvm::Module>> result;
  auto single = [&] {
    contexts.emplace_back();
    result.push_back(moveToNewContext(module, contexts.back()));
    return std::move(result);
  };
  if (pieces <= 1 || !module.alias_empty() || !module.ifunc_empty())
    return single();
  // Kernels emitted twice (a layer that repeats) become one function first,
  // as they would in one module (optimizeModule), so no piece compiles a
  // copy of another's.
  {
    llvm::ModuleAnalysisManager analyses;
    llvm::PassInstrumentationCallbacks callbacks;
    analyses.registerPass([&] { return llvm::PassInstrumentationAnalysis(&callbacks); });
    llvm::MergeFunctionsPass().run(module, analyses);
  }

  // A local function only ever called by name, and open to inlining (a
  // task's loop), is copied into every piece that calls it. The others (the
  // entry points, the tasks) go to one piece each: the largest first, each
  // to the lightest piece so far.
  auto onlyCalled = [](const llvm::GlobalValue *gv) {
    auto *f = llvm::dyn_cast<llvm::Function>(gv);
    if (!f || !f->hasLocalLinkage() || f->hasFnAttribute(llvm::Attribute::NoInline))
      return false;
    for (const llvm::Use &use : f->uses()) {
      auto *call = llvm::dyn_cast<llvm::CallBase>(use.getUser());
      if (!call || !call->isCallee(&use))
        return false;
    }
    return true;
  };
  // A function's size includes the helpers it calls (a task's loop).
  std::map<const llvm::Function *, size_t> sizes;
  std::function<size_t(const llvm::Function &)> sizeOf = [&](const llvm::Function &f) {
    auto [at, fresh] = sizes.insert({&f, f.getInstructionCount()});
    if (!fresh)
      return at->second;
    size_t size = f.getInstructionCount();
    for (const llvm::Instruction &inst : llvm::instructions(f))
      if (auto *call = llvm::dyn_cast<llvm::CallBase>(&inst))
        if (const llvm::Function *callee = call->getCalledFunction())
          if (!callee->isDeclaration() && onlyCalled(callee))
            size += sizeOf(*callee);
    return sizes[&f] = size;
  };
  std::vector<std::pair<size_t, const llvm::Function *>> bySize;
  for (const llvm::Function &f : module)
    if (!f.isDeclaration() && !onlyCalled(&f))
      bySize.push_back({sizeOf(f), &f});
  if (bySize.size() < 2)
    return single();
  // Deterministic: by size, then by name.
  std::sort(bySize.begin(), bySize.end(), [](const auto &a, const auto &b) {
    return a.first != b.first ? a.first > b.first : a.second->getName() < b.second->getName();
  });
  pieces = std::min<unsigned>(pieces, bySize.size());
  std::vector<size_t> load(pieces, 0);
  std::map<const llvm::GlobalValue *, PieceSet> defined;
  for (const auto &[size, f] : bySize) {
    unsigned lightest = std::min_element(load.begin(), load.end()) - load.begin();
    load[lightest] += size;
    defined[f] = {lightest};
  }

  // Variables: a local constant is defined wherever it is read; any other
  // variable once, in piece 0. Helpers and constants are copied until
  // nothing changes, since a copy takes what it names along.
  auto refs = referencesOf(module);
  auto copied = [&](const llvm::GlobalValue *gv) {
    auto *var = llvm::dyn_cast<llvm::GlobalVariable>(gv);
    return (var && var->hasLocalLinkage() && var->isConstant()) || onlyCalled(gv);
  };
  std::vector<const llvm::GlobalValue *> placedByUse;
  for (const llvm::GlobalVariable &gv : module.globals())
    if (gv.hasInitializer())
      placedByUse.push_back(&gv);
  for (const llvm::Function &f : module)
    if (!f.isDeclaration() && onlyCalled(&f))
      placedByUse.push_back(&f);
  for (const llvm::GlobalValue *gv : placedByUse)
    defined[gv] = {};
  std::map<const llvm::GlobalValue *, PieceSet> usedIn;
  for (bool changed = true; changed;) {
    changed = false;
    usedIn.clear();
    for (const auto &[user, targets] : refs)
      for (const llvm::GlobalValue *target : targets)
        usedIn[target].insert(defined[user].begin(), defined[user].end());
    for (const llvm::GlobalValue *gv : placedByUse) {
      PieceSet want = copied(gv) ? usedIn[gv] : PieceSet{0};
      if (want.empty())
        want = {0};
      if (want != defined[gv]) {
        defined[gv] = want;
        changed = true;
      }
    }
  }

  // A local that another piece uses becomes external under a unique name
  // (in the module's order, so the names are the same every run).
  std::vector<llvm::GlobalValue *> locals;
  for (llvm::Function &f : module)
    locals.push_back(&f);
  for (llvm::GlobalVariable &gv : module.globals())
    locals.push_back(&gv);
  for (llvm::GlobalValue *gv : locals) {
    auto where = defined.find(gv);
    if (where == defined.end() || !gv->hasLocalLinkage() || copied(gv))
      continue;
    const PieceSet &users = usedIn[gv];
    if (std::includes(where->second.begin(), where->second.end(), users.begin(), users.end()))
      continue;
    if (!gv->getName().starts_with(unique + "_")) // not already the module's own
      gv->setName(unique + "." + (gv->hasName() ? gv->getName().str() : "unnamed"));
    gv->setLinkage(llvm::GlobalValue::ExternalLinkage);
    gv->setVisibility(llvm::GlobalValue::DefaultVisibility);
  }

  for (unsigned k = 0; k < pieces; ++k) {
    llvm::ValueToValueMapTy map;
    std::unique_ptr<llvm::Module> piece =
        llvm::CloneModule(module, map, [&](const llvm::GlobalValue *gv) {
          auto it = defined.find(gv);
          return it != defined.end() && it->second.count(k);
        });
    piece->setModuleIdentifier(module.getModuleIdentifier() + "." + std::to_string(k));
    contexts.emplace_back();
    result.push_back(moveToNewContext(*piece, contexts.back()));
  }
  return result;
}

} // namespace nnc
