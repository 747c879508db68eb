//===- Descriptor.cpp - the nnrt_model_desc constant and the C ABI --------===//
//
// The LLVM struct types below mirror runtime/include/nnrt.h field by field;
// natural alignment gives the same layout as the C compiler's.
//
//===----------------------------------------------------------------------===//
#include "codegen/LLVMGen.h"

#include "nnrt.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

namespace nnc {
namespace {

class DescriptorEmitter {
public:
  DescriptorEmitter(llvm::Module &m, const std::string &prefix)
      : m_(m), ctx_(m.getContext()), prefix_(prefix) {
    ptr_ = llvm::PointerType::getUnqual(ctx_);
    i32_ = llvm::Type::getInt32Ty(ctx_);
    i64_ = llvm::Type::getInt64Ty(ctx_);
    f64_ = llvm::Type::getDoubleTy(ctx_);
  }

  llvm::Constant *str(const std::string &s) {
    auto *init = llvm::ConstantDataArray::getString(ctx_, s);
    return new llvm::GlobalVariable(m_, init->getType(), true,
                                    llvm::GlobalValue::PrivateLinkage, init,
                                    prefix_ + ".str");
  }

  template <typename T>
  llvm::Constant *array(llvm::Type *elem, const std::vector<T> &values,
                        const std::string &name) {
    if (values.empty())
      return llvm::ConstantPointerNull::get(ptr_);
    std::vector<llvm::Constant *> elems;
    for (T v : values)
      elems.push_back(elem->isDoubleTy() || elem->isFloatTy()
                          ? llvm::ConstantFP::get(elem, static_cast<double>(v))
                          : llvm::ConstantInt::get(elem, static_cast<int64_t>(v)));
    return global(llvm::ConstantArray::get(llvm::ArrayType::get(elem, elems.size()), elems),
                  name);
  }

  llvm::Constant *global(llvm::Constant *init, const std::string &name,
                         bool external = false) {
    return new llvm::GlobalVariable(
        m_, init->getType(), true,
        external ? llvm::GlobalValue::ExternalLinkage : llvm::GlobalValue::PrivateLinkage,
        init, name);
  }

  llvm::Constant *i32(int64_t v) { return llvm::ConstantInt::get(i32_, v); }
  llvm::Constant *i64(int64_t v) { return llvm::ConstantInt::get(i64_, v); }
  llvm::Constant *f64(double v) { return llvm::ConstantFP::get(f64_, v); }

  llvm::Module &m_;
  llvm::LLVMContext &ctx_;
  std::string prefix_;
  llvm::PointerType *ptr_;
  llvm::Type *i32_, *i64_, *f64_;
};

int32_t nnrtDType(DType t) {
  return t == DType::F32 ? NNRT_F32 : t == DType::F64 ? NNRT_F64 : NNRT_I32;
}

int32_t nnrtInit(InitSpec::Kind k) {
  switch (k) {
  case InitSpec::Kind::Zeros: return NNRT_INIT_ZEROS;
  case InitSpec::Kind::Constant: return NNRT_INIT_CONSTANT;
  case InitSpec::Kind::Data: return NNRT_INIT_DATA;
  case InitSpec::Kind::Uniform: return NNRT_INIT_UNIFORM;
  case InitSpec::Kind::Normal: return NNRT_INIT_NORMAL;
  case InitSpec::Kind::TruncatedNormal: return NNRT_INIT_TRUNCATED_NORMAL;
  case InitSpec::Kind::Seed: return NNRT_INIT_SEED;
  }
  return NNRT_INIT_ZEROS;
}

int32_t nnrtKind(StateTensor::Kind k) {
  switch (k) {
  case StateTensor::Kind::Param: return NNRT_PARAM;
  case StateTensor::Kind::Frozen: return NNRT_FROZEN;
  case StateTensor::Kind::OptState: return NNRT_OPT_STATE;
  case StateTensor::Kind::Buffer: return NNRT_BUFFER;
  }
  return NNRT_PARAM;
}

} // namespace

void emitDescriptor(const Program &p, llvm::Module &module, const CodegenOptions &options,
                    const std::vector<WorkspaceSize> &workspace) {
  DescriptorEmitter E(module, options.prefix);
  llvm::LLVMContext &ctx = module.getContext();
  llvm::PointerType *ptr = E.ptr_;
  llvm::Type *i32 = E.i32_, *i64 = E.i64_, *f64 = E.f64_;
  auto *tensorTy = llvm::StructType::create(
      ctx, {ptr, i32, i32, i32, i32, ptr, i64, f64, f64, ptr}, "nnrt_tensor_desc");
  auto *argTy = llvm::StructType::create(ctx, {ptr, i32, i32, i32, i32, ptr, i64, i64}, "nnrt_arg_desc");
  auto *entryTy = llvm::StructType::create(ctx, {ptr, ptr, i32, ptr, i64, i64}, "nnrt_entry_desc");
  auto *modelTy = llvm::StructType::create(
      ctx, {i32, i32, i32, i32, ptr, ptr, ptr, i64, i64, i64}, "nnrt_model_desc");

  StateLayout layout = layoutState(p);
  std::vector<llvm::Constant *> tensors;
  for (size_t i = 0; i < p.state.size(); ++i) {
    const StateTensor &s = p.state[i];
    llvm::Type *elem = s.type.dtype == DType::F32 ? llvm::Type::getFloatTy(ctx) : f64;
    llvm::Constant *data = s.init.kind == InitSpec::Kind::Data
                               ? E.array(elem, s.init.data, options.prefix + ".init")
                           : s.init.zeroRow >= 0
                               ? E.array(i64, std::vector<int64_t>{s.init.zeroRow}, options.prefix + ".zero_row")
                               : llvm::ConstantPointerNull::get(ptr);
    tensors.push_back(llvm::ConstantStruct::get(
        tensorTy, {E.str(s.name), E.i32(nnrtDType(s.type.dtype)), E.i32(nnrtKind(s.kind)),
                   E.i32(s.type.dims.size()), E.i32(nnrtInit(s.init.kind)),
                   E.array(i64, s.type.dims, options.prefix + ".dims"),
                   E.i64(layout.offsets[i]), E.f64(s.init.a), E.f64(s.init.b), data}));
  }

  auto argDesc = [&](const std::string &name, const Node &n, int32_t role) {
    int64_t classes = 0, ignore = INT64_MIN; // class labels the runtime checks
    for (const Interface &in : p.inputs)
      if (in.node == &n && role != NNRT_ARG_OUTPUT) {
        classes = in.classes;
        ignore = in.hasIgnoreIndex ? in.ignoreIndex : INT64_MIN;
      }
    return llvm::ConstantStruct::get(
        argTy, {E.str(name), E.i32(nnrtDType(n.type.dtype)), E.i32(role),
                E.i32(n.type.dims.size()), E.i32(n.type.batched ? 1 : 0),
                E.array(i64, n.type.dims, options.prefix + ".dims"), E.i64(classes), E.i64(ignore)});
  };
  std::vector<llvm::Constant *> entries;
  for (size_t e = 0; e < p.entries.size(); ++e) {
    const Entry &entry = p.entries[e];
    llvm::Function *fn = module.getFunction(options.prefix + "_entry_" + entry.name);
    if (!fn)
      continue;
    std::vector<llvm::Constant *> args;
    for (const Node *a : entry.args) {
      bool target = false;
      for (const Interface &in : p.inputs)
        if (in.node == a)
          target = in.isTarget;
      args.push_back(argDesc(a->name, *a,
                             p.isCarried(a) ? NNRT_ARG_STATE_IN
                             : target       ? NNRT_ARG_TARGET
                                            : NNRT_ARG_INPUT));
    }
    for (size_t r = 0; r < entry.results.size(); ++r)
      args.push_back(argDesc(entry.resultNames[r], *entry.results[r],
                             entry.resultRoles[r] == ResultRole::Carried ? NNRT_ARG_STATE_OUT
                                                                         : NNRT_ARG_OUTPUT));
    llvm::Constant *argArray =
        args.empty() ? llvm::ConstantPointerNull::get(ptr)
                     : E.global(llvm::ConstantArray::get(llvm::ArrayType::get(argTy, args.size()), args),
                                options.prefix + ".args." + entry.name);
    entries.push_back(llvm::ConstantStruct::get(
        entryTy, {E.str(entry.name), fn, E.i32(args.size()), argArray,
                  E.i64(workspace[e].fixed), E.i64(workspace[e].perSample)}));
  }

  llvm::Constant *tensorArray =
      tensors.empty() ? llvm::ConstantPointerNull::get(ptr)
                      : E.global(llvm::ConstantArray::get(llvm::ArrayType::get(tensorTy, tensors.size()), tensors),
                                 options.prefix + ".tensors");
  llvm::Constant *entryArray = E.global(
      llvm::ConstantArray::get(llvm::ArrayType::get(entryTy, entries.size()), entries),
      options.prefix + ".entries");
  llvm::Constant *desc = llvm::ConstantStruct::get(
      modelTy, {E.i32(NNRT_ABI_VERSION), E.i32(tensors.size()), E.i32(entries.size()),
                E.i32(0), E.str(p.modelName), tensorArray, entryArray, E.i64(layout.bytes),
                E.i64(options.maxBatch), E.i64(p.parameterCount())});
  E.global(desc, options.prefix + "_desc", /*external=*/true);
}

/// Whether slot i of an entry's arguments-then-results is carried state.
static bool carriedSlot(const Program &p, const Entry &entry, size_t i) {
  if (i < entry.args.size())
    return p.isCarried(entry.args[i]);
  return entry.resultRoles[i - entry.args.size()] == ResultRole::Carried;
}

void emitCApi(const Program &p, llvm::Module &module, const CodegenOptions &options) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *i32 = b.getInt32Ty(), *i64 = b.getInt64Ty();
  const std::string &px = options.prefix;
  llvm::GlobalVariable *desc = module.getGlobalVariable(px + "_desc");

  auto define = [&](const std::string &name, llvm::Type *ret, std::vector<llvm::Type *> params) {
    auto *fn = llvm::Function::Create(llvm::FunctionType::get(ret, params, false),
                                      llvm::Function::ExternalLinkage, px + "_" + name, module);
    fn->addFnAttr(llvm::Attribute::NoUnwind);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", fn));
    return fn;
  };
  auto runtime = [&](const char *name, llvm::Type *ret, std::vector<llvm::Type *> params) {
    return module.getOrInsertFunction(name, llvm::FunctionType::get(ret, params, false));
  };

  // PREFIX_create(seed) -> nnrt_model_create(&desc, seed, 0)
  llvm::Function *fn = define("create", ptr, {i64});
  b.CreateRet(b.CreateCall(runtime("nnrt_model_create", ptr, {ptr, i64, i64}),
                           {desc, fn->getArg(0), b.getInt64(0)}));
  // PREFIX_open(path) -> nnrt_model_open(&desc, path, 0)
  fn = define("open", ptr, {ptr});
  b.CreateRet(b.CreateCall(runtime("nnrt_model_open", ptr, {ptr, ptr, i64}),
                           {desc, fn->getArg(0), b.getInt64(0)}));
  fn = define("destroy", b.getVoidTy(), {ptr});
  b.CreateCall(runtime("nnrt_model_destroy", b.getVoidTy(), {ptr}), {fn->getArg(0)});
  b.CreateRetVoid();
  fn = define("param", ptr, {ptr, ptr, ptr, ptr});
  b.CreateRet(b.CreateCall(runtime("nnrt_model_param", ptr, {ptr, ptr, ptr, ptr}),
                           {fn->getArg(0), fn->getArg(1), fn->getArg(2), fn->getArg(3)}));
  fn = define("error", ptr, {ptr});
  b.CreateRet(b.CreateCall(runtime("nnrt_model_error", ptr, {ptr}), {fn->getArg(0)}));
  // PREFIX_save(m, path) / PREFIX_load(m, path): checkpoints without a
  // training state.
  fn = define("save", i32, {ptr, ptr});
  b.CreateRet(b.CreateCall(runtime("nnrt_model_save", i32, {ptr, ptr, ptr}),
                           {fn->getArg(0), fn->getArg(1), llvm::ConstantPointerNull::get(ptr)}));
  fn = define("load", i32, {ptr, ptr});
  b.CreateRet(b.CreateCall(runtime("nnrt_model_load", i32, {ptr, ptr, ptr}),
                           {fn->getArg(0), fn->getArg(1), llvm::ConstantPointerNull::get(ptr)}));
  fn = define("vocab", ptr, {ptr, ptr});
  b.CreateRet(b.CreateCall(runtime("nnrt_model_vocab", ptr, {ptr, ptr}), {fn->getArg(0), fn->getArg(1)}));
  fn = define("num_params", i64, {});
  b.CreateRet(b.getInt64(p.parameterCount()));
  fn = define("reset_state", i32, {ptr});
  b.CreateRet(b.CreateCall(runtime("nnrt_model_reset_state", i32, {ptr}), {fn->getArg(0)}));
  fn = define("set_threads", i32, {ptr, i32});
  b.CreateRet(b.CreateCall(runtime("nnrt_model_set_threads", i32, {ptr, i32}),
                           {fn->getArg(0), fn->getArg(1)}));

  // PREFIX_<entry>(m, batch, buffers...) -> nnrt_model_run(m, index, batch, buffers)
  int index = -1; // position in the descriptor, which lists compiled entries only
  for (size_t e = 0; e < p.entries.size(); ++e) {
    const Entry &entry = p.entries[e];
    if (!module.getFunction(px + "_entry_" + entry.name))
      continue;
    ++index;
    if (entry.name == "grads" || entry.name == "apply") {
      // The split step (docs/distributed.md): grads(m, batch, inputs...,
      // loss, gradients) and apply(m, gradients); the d_P arguments are
      // consecutive slices of the one `gradients` buffer, in state order.
      bool grads = entry.name == "grads";
      size_t inputs = 0;
      for (size_t i = 0; grads && i < entry.args.size(); ++i)
        inputs += !p.isCarried(entry.args[i]);
      size_t firstGradient = grads ? entry.args.size() + 1 + p.metrics.size() : 0;
      std::vector<llvm::Type *> params = {ptr};
      if (grads)
        params.push_back(i64);
      params.insert(params.end(), grads ? inputs + 2 : 1, ptr);
      fn = define(entry.name, i32, params);
      llvm::Value *gradients = fn->getArg(params.size() - 1);
      size_t count = entry.args.size() + entry.results.size();
      auto *slotsTy = llvm::ArrayType::get(ptr, count);
      llvm::Value *slots = b.CreateAlloca(slotsTy);
      int64_t offset = 0;
      unsigned nextArg = 2;
      for (size_t i = 0; i < count; ++i) {
        const Node *n = i < entry.args.size() ? entry.args[i] : entry.results[i - entry.args.size()];
        llvm::Value *buffer;
        if (carriedSlot(p, entry, i)) {
          buffer = llvm::ConstantPointerNull::get(ptr); // the runtime's own
        } else if (i >= firstGradient && (grads || i < entry.args.size())) {
          buffer = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), gradients, offset);
          offset += n->type.elementsPerSample() * (n->type.dtype == DType::F32 ? 4 : 8);
        } else if (grads && i <= entry.args.size()) { // the inputs, then the loss
          buffer = fn->getArg(nextArg++);
        } else { // metrics and lr: scalars on this frame
          buffer = b.CreateAlloca(b.getDoubleTy());
        }
        b.CreateStore(buffer, b.CreateConstInBoundsGEP2_64(slotsTy, slots, 0, i));
      }
      b.CreateRet(b.CreateCall(runtime("nnrt_model_run", i32, {ptr, i32, i64, ptr}),
                               {fn->getArg(0), b.getInt32(index),
                                grads ? static_cast<llvm::Value *>(fn->getArg(1)) : b.getInt64(1),
                                slots}));
      continue;
    }
    if (entry.name != "predict" && entry.name != "train_step")
      continue;
    // train_step shows the caller the loss only; its other results (metrics,
    // the learning rate) are scalars that land in slots on this frame.
    // Carried state is the runtime's: its slots stay NULL and the caller
    // does not see them.
    size_t count = entry.args.size() + entry.results.size();
    size_t visible = entry.name == "train_step" ? entry.args.size() + 1 : count;
    size_t carried = 0;
    for (size_t i = 0; i < visible; ++i)
      carried += carriedSlot(p, entry, i);
    std::vector<llvm::Type *> params = {ptr, i64};
    params.insert(params.end(), visible - carried, ptr);
    fn = define(entry.name, i32, params);
    auto *slotsTy = llvm::ArrayType::get(ptr, count ? count : 1);
    llvm::Value *slots = b.CreateAlloca(slotsTy);
    unsigned next = 2;
    for (size_t i = 0; i < count; ++i) {
      llvm::Value *buffer = carriedSlot(p, entry, i) ? llvm::ConstantPointerNull::get(ptr)
                            : i < visible ? static_cast<llvm::Value *>(fn->getArg(next++))
                                          : b.CreateAlloca(b.getDoubleTy());
      b.CreateStore(buffer, b.CreateConstInBoundsGEP2_64(slotsTy, slots, 0, i));
    }
    b.CreateRet(b.CreateCall(runtime("nnrt_model_run", i32, {ptr, i32, i64, ptr}),
                             {fn->getArg(0), b.getInt32(index), fn->getArg(1), slots}));
  }
}

void emitCpuCheck(const Program &p, llvm::Module &module, const std::string &prefix,
                  const std::string &features) {
  if (features.empty())
    return;
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  llvm::IRBuilder<> b(ctx);
  auto check = module.getOrInsertFunction(
      "nnrt_cpu_check", llvm::FunctionType::get(b.getInt32Ty(), {ptr, ptr}, false));
  llvm::Constant *name = nullptr, *list = nullptr;
  for (const char *suffix : {"_create", "_open"}) {
    llvm::Function *fn = module.getFunction(prefix + suffix);
    if (!fn)
      continue;
    // A new first block: nnrt_cpu_check(name, features) != 0 -> return NULL.
    llvm::BasicBlock *body = &fn->getEntryBlock();
    auto *entry = llvm::BasicBlock::Create(ctx, "cpu_check", fn, body);
    auto *fail = llvm::BasicBlock::Create(ctx, "cpu_missing", fn, body);
    b.SetInsertPoint(entry);
    if (!name) {
      name = b.CreateGlobalStringPtr(p.modelName, prefix + ".name");
      list = b.CreateGlobalStringPtr(features, prefix + ".cpu");
    }
    llvm::Value *rc = b.CreateCall(check, {name, list});
    b.CreateCondBr(b.CreateICmpEQ(rc, b.getInt32(0)), body, fail);
    b.SetInsertPoint(fail);
    b.CreateRet(llvm::ConstantPointerNull::get(ptr));
  }
}

} // namespace nnc
