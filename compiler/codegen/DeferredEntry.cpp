//===- DeferredEntry.cpp --------------------------------------------------===//
#include "codegen/DeferredEntry.h"

#include "codegen/ModuleSplit.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <set>
#include <stdexcept>

namespace nnc {

std::unique_ptr<llvm::Module> splitOffStubs(llvm::Module &module, const std::string &descSymbol,
                                            const std::string &resolver,
                                            std::unique_ptr<llvm::LLVMContext> &context,
                                            std::vector<DeferredFunction> &functions) {
  llvm::GlobalVariable *desc = module.getGlobalVariable(descSymbol);
  if (!desc || !desc->hasInitializer())
    throw std::logic_error("splitOffStubs: no descriptor " + descSymbol);
  // What the descriptor names, through the variables it names.
  std::set<const llvm::GlobalValue *> named{desc};
  std::set<const llvm::Constant *> seen;
  std::vector<const llvm::GlobalVariable *> walk{desc};
  while (!walk.empty()) {
    const llvm::GlobalVariable *var = walk.back();
    walk.pop_back();
    std::set<const llvm::GlobalValue *> found;
    collectGlobals(var->getInitializer(), found, seen);
    for (const llvm::GlobalValue *gv : found)
      if (named.insert(gv).second)
        if (auto *inner = llvm::dyn_cast<llvm::GlobalVariable>(gv); inner && inner->hasInitializer())
          walk.push_back(inner);
  }
  std::vector<llvm::Function *> entries;
  for (const llvm::GlobalValue *gv : named)
    if (auto *f = llvm::dyn_cast<llvm::Function>(gv); f && !f->isDeclaration())
      entries.push_back(const_cast<llvm::Function *>(f));
  // Only the descriptor and the variables it names; the functions become
  // declarations, given stub bodies below.
  llvm::ValueToValueMapTy map;
  std::unique_ptr<llvm::Module> stubs = llvm::CloneModule(module, map, [&](const llvm::GlobalValue *gv) {
    return llvm::isa<llvm::GlobalVariable>(gv) && named.count(gv);
  });
  stubs->setModuleIdentifier(module.getModuleIdentifier() + ".stubs");
  llvm::LLVMContext &ctx = stubs->getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::FunctionCallee resolve = stubs->getOrInsertFunction(
      resolver, llvm::FunctionType::get(b.getPtrTy(), {b.getPtrTy()}, false));
  for (llvm::Function *entry : entries) {
    std::string name = entry->getName().str();
    DeferredFunction deferred{name + ".handle", name + ".body"};
    auto *stub = llvm::cast<llvm::Function>(map[entry]);
    stub->setLinkage(llvm::GlobalValue::ExternalLinkage);
    auto *handle = new llvm::GlobalVariable(*stubs, b.getInt8Ty(), true,
                                            llvm::GlobalValue::ExternalLinkage, nullptr,
                                            deferred.handleSymbol);
    auto *start = llvm::BasicBlock::Create(ctx, "entry", stub);
    auto *jump = llvm::BasicBlock::Create(ctx, "jump", stub);
    auto *fail = llvm::BasicBlock::Create(ctx, "fail", stub);
    b.SetInsertPoint(start);
    llvm::Value *body = b.CreateCall(resolve, {handle});
    b.CreateCondBr(b.CreateIsNull(body), fail, jump);
    b.SetInsertPoint(jump);
    std::vector<llvm::Value *> args;
    for (llvm::Argument &arg : stub->args())
      args.push_back(&arg);
    llvm::CallInst *call = b.CreateCall(stub->getFunctionType(), body, args);
    call->setTailCallKind(llvm::CallInst::TCK_MustTail);
    if (stub->getReturnType()->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(call);
    b.SetInsertPoint(fail);
    if (stub->getReturnType()->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(llvm::ConstantInt::get(stub->getReturnType(), 1));
    entry->setName(deferred.bodyName);
    entry->setLinkage(llvm::GlobalValue::ExternalLinkage); // named by the resolver, not the descriptor
    functions.push_back(deferred);
  }
  // The real module keeps its functions; its descriptor is now the stubs'.
  desc->setLinkage(llvm::GlobalValue::InternalLinkage);
  return moveToNewContext(*stubs, context);
}

} // namespace nnc
