//===- Commands.cpp - check, info, eval, predict, compile, gradcheck ------===//
#include "driver/CheckNumerics.h"
#include "support/Limits.h"
#include "driver/Dataset.h"
#include "driver/Distributed.h"
#include "driver/ModelInstance.h"
#include "driver/Npy.h"
#include "driver/Session.h"
#include "driver/Standardize.h"
#include "support/StoredValues.h"

#include "codegen/HeaderGen.h"
#include "codegen/LLVMGen.h"
#include "codegen/ObjectJoin.h"
#include "codegen/StaticLib.h"
#include "codegen/Target.h"
#include "support/Json.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cmath>
#include <iomanip>
#include <iostream>
#include <unistd.h>
#include <random>

namespace nnc {
namespace {

int infoCommand(Session &s) {
  const Program &p = *s.program;
  std::cout << "model " << p.modelName << '\n';
  for (const Interface &in : p.inputs)
    std::cout << (in.isTarget ? "  target " : "  input  ") << in.name << ": "
              << in.node->type.str() << storageNote(in.storage, true) << '\n';
  for (const Output &o : p.outputs)
    std::cout << "  output " << o.name << ": " << o.node->type.str()
              << storageNote(o.storage, false) << '\n';
  std::cout << "parameters:\n";
  for (const StateTensor &st : p.state)
    if (st.kind != StateTensor::Kind::OptState)
      std::cout << "  " << st.name << ": " << st.type.str() << "  ("
                << st.type.elementsPerSample() << ")\n";
  std::cout << "total parameters: " << p.parameterCount() << '\n';
  if (p.loss)
    std::cout << "loss: " << p.loss->type.str()
              << (p.lossBatchSum ? " (sum over the batch)\n" : " (mean over the batch)\n");
  std::cout << "optimizer: " << p.optimizer.kind << "(";
  bool first = true;
  for (auto &arg : p.optimizer.args) {
    std::cout << (first ? "" : ", ") << arg.first << ": " << formatNumber(arg.second);
    first = false;
  }
  std::cout << ")";
  if (!p.optimizer.schedule.empty()) {
    std::cout << " schedule " << p.optimizer.schedule << "(";
    first = true;
    for (auto &arg : p.optimizer.scheduleArgs) {
      std::cout << (first ? "" : ", ") << arg.first << ": " << formatNumber(arg.second);
      first = false;
    }
    if (!p.optimizer.monitor.empty())
      std::cout << (first ? "" : ", ") << "monitor: " << p.optimizer.monitor
                << (p.optimizer.monitorMax ? ", mode: max" : "");
    std::cout << ")" << (p.optimizer.schedule == "plateau" ? " at each epoch's end"
                         : p.optimizer.schedulePerEpoch  ? " per epoch"
                                                         : " per step");
  }
  std::cout << '\n';
  if (s.simplified.nodesBefore)
    std::cout << "simplification: " << s.simplified.str() << '\n';
  // Kernels with and without fusion, and the workspace at the train
  // block's batch (the memory plan: one arena, sized fixed + per sample).
  int64_t batch = optionOr(s.opts.batch, p, "batch", 32);
  for (const Entry &e : p.entries) {
    if (e.name != "train_step" && e.name != "predict")
      continue;
    CodegenOptions fused, unfused;
    unfused.fusion = false;
    EntryPlan plan = planEntry(p, e, fused), before = planEntry(p, e, unfused);
    int64_t bytes = plan.workspace.fixed + plan.workspace.perSample * batch;
    std::cout << e.name << ": " << plan.kernels << " kernels (" << before.kernels
              << " without fusion), workspace " << plan.workspace.fixed << " + "
              << plan.workspace.perSample << " bytes/sample = "
              << std::fixed << std::setprecision(2) << bytes / 1048576.0 << " MiB at batch " << batch << '\n'
              << std::defaultfloat;
    if (plan.epilogues)
      std::cout << e.name << ": " << plan.epilogues << " matmuls add their bias as they store ("
                << plan.reluEpilogues << " with ReLU)\n";
  }
  return 0;
}

/// The data set for eval: --test, else --data, else the inline test block,
/// else the inline training data.
bool evalData(Session &s, Dataset &d) {
  const Program &p = *s.program;
  if (!s.opts.test.empty())
    return loadDataset(p, s.opts.test, d, s.opts.scale);
  if (!s.opts.data.empty())
    return loadDataset(p, s.opts.data, d, s.opts.scale);
  if (inlineDataset(p, "test", d) || inlineDataset(p, "train", d))
    return true;
  std::cerr << "nnc: error: no data to evaluate on: give --test NAME=PATH or --data\n";
  return false;
}

bool loadParams(Session &s, ModelInstance &m) {
  if (s.opts.params.empty())
    return true;
  return m.loadParams(s.opts.params);
}

int evalCommand(Session &s) {
  const Program &p = *s.program;
  if (!p.loss) {
    s.diag->error(p.loc, "model '" + p.modelName + "' has no loss to evaluate");
    return 1;
  }
  Dataset d;
  if (!evalData(s, d))
    return 1;
  auto m = ModelInstance::create(p, s.jit->descriptor(), s.opts.seed.value_or(1),
                                 std::min<int64_t>(d.samples, 1024));
  if (!m || !m->setThreads(s.opts.threads.value_or(0)) || !loadParams(s, *m))
    return 1;
  // A class target and an output with one score per class give a
  // confusion matrix (rows: true class, columns: the output's argmax).
  const Interface *label = nullptr;
  int output = -1;
  for (const Interface &in : p.inputs)
    if (in.classes && !label)
      label = &in;
  for (size_t o = 0; label && o < p.outputs.size() && output < 0; ++o)
    if (p.outputs[o].node->type.dims == std::vector<int64_t>{label->classes})
      output = static_cast<int>(o);
  Evaluation e;
  if (!m->evaluate(d, e, /*keepOutputs=*/output >= 0))
    return 1;
  std::cout << e.describe(p) << " over " << d.samples << " samples (" << d.origin << ")\n";
  if (output >= 0 && label->classes <= 20) {
    int64_t C = label->classes;
    std::vector<int64_t> counts(C * C, 0);
    const std::vector<double> &scores = e.outputs[output];
    const std::vector<double> &truth = d.columns.at(label->name);
    for (int64_t i = 0; i < d.samples; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < C; ++k)
        if (scores[i * C + k] > scores[i * C + best])
          best = k;
      ++counts[int64_t(truth[i]) * C + best];
    }
    std::cout << "confusion matrix (rows: true " << label->name << ", columns: argmax of "
              << p.outputs[output].name << "):\n      ";
    for (int64_t k = 0; k < C; ++k)
      std::cout << std::setw(6) << k;
    std::cout << '\n';
    for (int64_t t = 0; t < C; ++t) {
      std::cout << std::setw(6) << t;
      for (int64_t k = 0; k < C; ++k)
        std::cout << std::setw(6) << counts[t * C + k];
      std::cout << '\n';
    }
  }
  return 0;
}

/// predict's --input as JSON: {"<input>": [batch...], ...}.
bool jsonInput(Session &s, const std::string &text, Dataset &d) {
  const Program &p = *s.program;
  std::string error;
  Json root;
  if (!parseJson(text, root, error)) {
    std::cerr << s.opts.input << ':' << error << '\n';
    return false;
  }
  auto fail = [&](const Json &at, const std::string &message) {
    std::cerr << s.opts.input << ':' << at.line << ':' << at.col << ": error: " << message << '\n';
    return false;
  };
  if (root.kind != Json::Kind::Object)
    return fail(root, "expected an object mapping input names to batches");
  d.origin = s.opts.input;
  for (const Interface &in : p.inputs) {
    if (in.isTarget)
      continue;
    const Json *value = root.get(in.name);
    if (!value)
      return fail(root, "missing input '" + in.name + "'");
    std::vector<double> data;
    std::vector<int64_t> dims;
    const TensorType &t = in.node->type;
    if (!flattenNumbers(*value, data, dims))
      return fail(*value, "'" + in.name + "' must be nested arrays of numbers");
    if (dims.empty()) // a bare number: not a batch
      return fail(*value, "'" + in.name + "' is a number; expected a batch, an array of " +
                              (t.dims.empty() ? "numbers" : t.shapeStr() + " samples"));
    std::vector<int64_t> sample(dims.begin() + 1, dims.end());
    bool scalars = t.elementsPerSample() == 1 && dims.size() == 1;
    if (dims.empty() || (!scalars && sample != t.dims))
      return fail(*value, "'" + in.name + "' has shape " +
                              TensorType{t.dtype, dims, false}.shapeStr() + "; expected [batch" +
                              (t.dims.empty() ? "]" : ", " + t.shapeStr().substr(1)));
    if (!d.columns.empty() && dims[0] != d.samples)
      return fail(*value, "inputs have different batch sizes");
    d.samples = dims[0];
    d.columns[in.name] = data;
  }
  return true;
}

/// predict's --input as files: `F.npy` for a model with one input, else
/// `NAME=F.npy,NAME2=G.npy` (IDX and CSV work too, as for --data).
bool fileInput(Session &s, Dataset &d) {
  const Program &p = *s.program;
  std::vector<std::string> specs;
  std::vector<const Interface *> inputs;
  for (const Interface &in : p.inputs)
    if (!in.isTarget)
      inputs.push_back(&in);
  if (s.opts.input.find('=') == std::string::npos) {
    if (inputs.size() != 1) {
      std::cerr << "nnc: error: model '" << p.modelName << "' has " << inputs.size()
                << " inputs; name each: --input NAME=FILE.npy,NAME2=FILE2.npy\n";
      return false;
    }
    specs.push_back(inputs[0]->name + "=" + s.opts.input);
  } else {
    std::string rest = s.opts.input;
    for (size_t comma; (comma = rest.find(',')) != std::string::npos; rest = rest.substr(comma + 1))
      specs.push_back(rest.substr(0, comma));
    specs.push_back(rest);
  }
  if (!loadDataset(p, specs, d, s.opts.scale, /*allowNonFinite=*/true))
    return false;
  std::vector<std::string> missing = missingColumns(p, d, false);
  if (!missing.empty()) {
    std::cerr << "nnc: error: " << d.origin << " has no data for input '" << missing[0] << "'\n";
    return false;
  }
  return true;
}

static Storage outputStorage(const Program &p, const std::string &name) {
  for (const Output &o : p.outputs)
    if (o.name == name)
      return o.storage;
  return Storage::Float;
}

/// The values of typed outputs as their type stores them (integers wrapped,
/// f16 rounded), for JSON; false (printed) where an integer output holds a
/// value that is not a whole number, or a stored value a double cannot show.
static bool storedOutputs(const Program &p, const Entry &entry,
                          std::vector<std::vector<double>> &r, bool json) {
  for (size_t o = 0; o < entry.results.size(); ++o) {
    Storage storage = outputStorage(p, entry.resultNames[o]);
    if (storage == Storage::Float)
      continue;
    int64_t perSample = std::max<int64_t>(entry.results[o]->type.elementsPerSample(), 1);
    for (size_t i = 0; i < r[o].size(); ++i) {
      double &v = r[o][i];
      auto where = [&] {
        return "output '" + entry.resultNames[o] + "', sample " + std::to_string(i / perSample) +
               ", element " + std::to_string(i % perSample);
      };
      if (storage == Storage::Bool) {
        v = v != 0;
      } else if (storage == Storage::F16) {
        v = halfValue(halfBits(v));
      } else {
        uint64_t bits;
        if (!integerBits(storage, v, bits)) {
          std::cerr << "nnc: error: " << where() << " is " << formatNumber(v) << ", not a whole "
                    << "number; an output of type " << storageName(storage) << " takes whole numbers\n";
          return false;
        }
        v = integerValue(storage, bits);
        if (json && !isSignedStorage(storage) && bits > (uint64_t(1) << 53)) {
          std::cerr << "nnc: error: " << where() << " is " << bits << ", beyond the 2^53 that "
                    << "JSON numbers hold exactly; write it to a .npy file (-o FILE.npy)\n";
          return false;
        }
      }
    }
  }
  return true;
}

/// Writes predict's results to -o: one .npy (or NAME.npy beside it per
/// result when there are several), or the JSON text for any other name.
bool writePredictions(Session &s, const Entry &entry, const std::vector<std::vector<double>> &r,
                      int64_t samples, bool single, const std::string &json) {
  const std::string &out = s.opts.output;
  std::string error;
  bool npy = out.size() > 4 && out.compare(out.size() - 4, 4, ".npy") == 0;
  if (!npy) {
    if (!writeFileAtomic(out, json, error)) {
      std::cerr << "nnc: error: " << error << '\n';
      return false;
    }
    if (!s.opts.quiet)
      std::cout << "wrote " << out << '\n';
    return true;
  }
  for (size_t o = 0; o < entry.results.size(); ++o) {
    const TensorType &t = entry.results[o]->type;
    std::vector<int64_t> dims = t.dims;
    if (!single)
      dims.insert(dims.begin(), t.batched ? samples : 1);
    std::string path = entry.results.size() == 1
                           ? out
                           : out.substr(0, out.size() - 4) + "." + entry.resultNames[o] + ".npy";
    // Class indices (argmax) are int64, as torch.argmax and ONNX's ArgMax give them.
    int dtype = t.dtype == DType::F32 ? NNRT_F32 : t.dtype == DType::F64 ? NNRT_F64 : kNpyInt64;
    // `output y: bool`, `: i64`, `: f16` (an imported ONNX output's type).
    Storage storage = outputStorage(*s.program, entry.resultNames[o]);
    if (!writeFileAtomic(path, npyBytes(dtype, dims, r[o], storage), error)) {
      std::cerr << "nnc: error: " << error << '\n';
      return false;
    }
    if (!s.opts.quiet)
      std::cout << "wrote " << entry.resultNames[o] << " " << TensorType{t.dtype, dims, false}.shapeStr()
                << (storage != Storage::Float ? std::string(" (") + storageName(storage) + ")" : "")
                << " to " << path << '\n';
  }
  return true;
}

int predictCommand(Session &s) {
  const Program &p = *s.program;
  // A model without inputs (an imported graph of constants) predicts one
  // sample from its parameters alone.
  bool noInputs = std::none_of(p.inputs.begin(), p.inputs.end(),
                               [](const Interface &in) { return !in.isTarget; });
  if (s.opts.input.empty() && !noInputs) {
    std::cerr << "nnc: error: predict needs --input FILE.json ({\"<input>\": [...]}) or "
                 "--input FILE.npy\n";
    return 2;
  }
  // JSON starts with '{'; anything else (and NAME=FILE) is read as data files.
  std::string text, error;
  bool json = false;
  if (s.opts.input.find('=') == std::string::npos) {
    std::string head = readHead(s.opts.input, 1 << 16);
    size_t bom = head.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0; // a UTF-8 byte-order mark
    size_t first = head.find_first_not_of(" \t\r\n", bom);
    if (head.empty() && access(s.opts.input.c_str(), R_OK) == 0) {
      std::cerr << s.opts.input << ": error: the file is empty; expected JSON ({\"<input>\": "
                                   "[...]}) or a data file\n";
      return 1;
    }
    // An array is JSON too (and gets JSON's message, not a CSV one).
    json = first != std::string::npos && (head[first] == '{' || head[first] == '[');
    if (json && !readFile(s.opts.input, text, error, kMaxJsonBytes)) {
      std::cerr << "nnc: error: " << error << '\n';
      return 1;
    }
    if (json && bom) // RFC 8259 lets a parser ignore it
      text.erase(0, 3);
  }
  Dataset d;
  if (s.opts.input.empty()) {
    d.origin = "(no inputs)";
    d.samples = 1;
    d.single = true;
  } else if (!(json ? jsonInput(s, text, d) && checkStored(p, d) : fileInput(s, d))) {
    return 1;
  }
  auto m = ModelInstance::create(p, s.jit->descriptor(), s.opts.seed.value_or(1), d.samples);
  if (!m || !m->setThreads(s.opts.threads.value_or(0)) || !loadParams(s, *m))
    return 1;
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < d.samples; ++i)
    idx.push_back(i);
  std::vector<std::vector<double>> r;
  if (!m->run("predict", d, idx, r))
    return 1;
  const Entry *entry = p.entry("predict");
  const std::string &outPath = s.opts.output;
  bool npy = outPath.size() > 4 && outPath.compare(outPath.size() - 4, 4, ".npy") == 0;
  std::vector<std::vector<double>> stored = r;
  if (!storedOutputs(p, *entry, stored, !npy))
    return 1;
  std::string out = "{";
  for (size_t o = 0; o < entry->results.size(); ++o) {
    const TensorType &t = entry->results[o]->type;
    std::vector<int64_t> dims = t.dims;
    dims.insert(dims.begin(), t.batched ? d.samples : 1);
    out += (o ? ", \"" : "\"") + entry->resultNames[o] +
           "\": " + formatTensor(stored[o], dims, t.dtype == DType::F32);
  }
  out += "}\n";
  if (!s.opts.output.empty())
    return writePredictions(s, *entry, r, d.samples, d.single, out) ? 0 : 1;
  std::cout << out;
  return 0;
}

int compileCommand(Session &s) {
  const Program &p = *s.program;
  std::string object = s.opts.output;
  const std::string &lib = s.opts.staticLib;
  const std::string &shared = s.opts.sharedLib;
  if (object.empty() && lib.empty() && shared.empty() && s.opts.emit.empty()) {
    std::cerr << "nnc: error: compile needs -o FILE.o, --emit-static-lib FILE.a or "
                 "--emit-shared FILE.so\n";
    return 2;
  }
  if (s.opts.inferenceOnly && !p.entry("predict")) {
    std::cerr << "nnc: error: --inference-only: model '" << p.modelName
              << "' has no predict entry\n";
    return 1;
  }
  CodegenOptions codegen;
  codegen.prefix = s.opts.prefix.empty() ? defaultPrefix(p.modelName) : s.opts.prefix;
  codegen.maxBatch = s.opts.maxBatch.value_or(256);
  codegen.withCApi = true;
  codegen.entries = {"predict"};
  if (!s.opts.inferenceOnly)
    codegen.entries.push_back("train_step");
  if (s.opts.splitStep && !s.opts.inferenceOnly)
    codegen.entries.insert(codegen.entries.end(), {"grads", "apply"});
  TargetOptions target;
  target.cpu = s.opts.cpu;
  target.triple = s.opts.target;
  std::string error;
  std::string runtime;
  for (const char *flag : {"--emit-static-lib", "--emit-shared"}) {
    bool wanted = std::string(flag) == "--emit-shared" ? !shared.empty() : !lib.empty();
    if (!wanted || !runtime.empty())
      continue;
    if (!target.triple.empty()) {
      std::cerr << "nnc: error: " << flag << " bundles this machine's libnnrt, so it "
                   "cannot be used with --target; link the object with a libnnrt built "
                   "for the target instead\n";
      return 2;
    }
    runtime = findRuntimeArchive();
    if (runtime.empty()) {
      std::cerr << "nnc: error: " << flag << ": libnnrt.a not found next to nnc "
                   "(looked in its ../lib and ../runtime directories)\n";
      return 1;
    }
  }
  // On all cores, joined by the system's linker, when it has one and the
  // object is for this machine (codegen/ObjectJoin.h).
  std::optional<ObjectJoiner> joiner;
  if (target.triple.empty() && s.opts.jitPieces > 1)
    joiner = ObjectJoiner::find();
  llvm::LLVMContext context;
  BuiltModule built;
  Stage stage = buildModule(s, target, codegen, context, built, joiner.has_value());
  if (stage != Stage::Continue)
    return stage == Stage::Done ? 0 : 2;
  std::string cpu = built.machine->getTargetCPU().str();
  std::string header = s.opts.header;
  if (header.empty()) {
    const std::string &base = !object.empty() ? object : !lib.empty() ? lib : shared;
    size_t dot = base.rfind('.');
    size_t slash = base.rfind('/');
    bool hasExt = dot != std::string::npos && (slash == std::string::npos || dot > slash);
    header = (hasExt ? base.substr(0, dot) : base) + ".h";
  }
  HeaderOptions h;
  h.prefix = codegen.prefix;
  h.sourceName = s.opts.file.substr(s.opts.file.rfind('/') + 1);
  h.maxBatch = codegen.maxBatch;
  h.inferenceOnly = s.opts.inferenceOnly;
  std::string bytes;
  bool compiled = joiner ? emitJoinedObject(*joiner, std::move(built.module), std::move(built.kernels),
                                            target, codegen.prefix, s.opts.jitPieces, bytes, error)
                         : emitObject(*built.module, *built.machine, bytes, error);
  if (!compiled ||
      (!object.empty() && !writeFileAtomic(object, bytes, error)) ||
      (!lib.empty() && !writeStaticLib(lib, bytes, codegen.prefix + ".o", runtime, error)) ||
      (!shared.empty() && !writeSharedLib(shared, bytes, codegen.prefix, runtime, error)) ||
      !writeFileAtomic(header, generateHeader(p, h), error)) {
    std::cerr << "nnc: error: " << error << '\n';
    return 1;
  }
  if (!s.opts.quiet) {
    std::string written;
    for (const std::string *file : {static_cast<const std::string *>(&object), &lib, &shared})
      if (!file->empty())
        written += (written.empty() ? "" : ", ") + *file;
    std::cout << "wrote " << written << " and " << header << " (prefix " << codegen.prefix
              << ", cpu " << cpu << ", batches up to "
              << codegen.maxBatch << (s.opts.inferenceOnly ? ", inference only" : "") << ")\n";
  }
  return 0;
}

/// Random inputs/targets when the model carries no data (seeded, f64).
Dataset syntheticData(const Program &p, int64_t samples, uint64_t seed) {
  Dataset d;
  d.origin = "random inputs";
  d.samples = samples;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.05, 0.95);
  for (const Interface &in : p.inputs) {
    std::vector<double> values(samples * in.node->type.elementsPerSample());
    std::uniform_int_distribution<int64_t> label(0, std::max<int64_t>(in.classes - 1, 0));
    for (double &v : values)
      v = in.classes ? double(label(rng)) : in.isTarget ? uniform(rng) : normal(rng);
    d.columns[in.name] = values;
  }
  return d;
}

int gradcheckCommand(Session &s) {
  const Program &p = *s.program;
  if (!p.loss) {
    s.diag->error(p.loc, "model '" + p.modelName + "' has no loss to differentiate");
    return 1;
  }
  Dataset d;
  if (!s.opts.data.empty()) {
    if (!loadDataset(p, s.opts.data, d, s.opts.scale))
      return 1;
  } else if (!inlineDataset(p, "train", d)) {
    d = syntheticData(p, 3, s.opts.seed.value_or(1));
  }
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < std::min<int64_t>(d.samples, 8); ++i)
    idx.push_back(i);
  auto m = ModelInstance::create(p, s.jit->descriptor(), s.opts.seed.value_or(1), idx.size());
  if (!m || !loadParams(s, *m))
    return 1;
  std::vector<std::vector<double>> r;
  if (!m->run("grad", d, idx, r))
    return 1;
  const double h = 1e-6, atol = 1e-7, rtol = 1e-5;
  std::mt19937_64 rng(7);
  int checked = 0, failures = 0;
  double worst = 0;
  bool anyNonZero = false;
  const Entry &grad = *p.entry("grad");
  for (size_t i = 0; i < p.state.size(); ++i) {
    const StateTensor &st = p.state[i];
    if (st.kind != StateTensor::Kind::Param)
      continue;
    const std::vector<double> &analytic = r[grad.result(ResultRole::Gradient, "d_" + st.name)];
    std::vector<double> values = m->stateValues(static_cast<int>(i));
    int64_t n = static_cast<int64_t>(values.size());
    // Every element of small tensors, a fixed random sample of large ones.
    std::vector<int64_t> elems;
    for (int64_t e = 0; e < n; ++e)
      elems.push_back(e);
    if (n > 64) {
      std::shuffle(elems.begin(), elems.end(), rng);
      elems.resize(64);
    }
    double paramWorst = 0;
    for (int64_t e : elems) {
      double saved = values[e];
      std::vector<std::vector<double>> lp, lm;
      values[e] = saved + h;
      m->setStateValues(static_cast<int>(i), values);
      if (!m->run("train_loss", d, idx, lp))
        return 1;
      values[e] = saved - h;
      m->setStateValues(static_cast<int>(i), values);
      if (!m->run("train_loss", d, idx, lm))
        return 1;
      values[e] = saved;
      m->setStateValues(static_cast<int>(i), values);
      double numeric = (lp[0][0] - lm[0][0]) / (2 * h);
      double err = std::fabs(numeric - analytic[e]);
      paramWorst = std::max(paramWorst, err);
      if (analytic[e] != 0)
        anyNonZero = true;
      ++checked;
      if (err > atol + rtol * std::fabs(numeric)) {
        ++failures;
        if (failures <= 10)
          std::cout << "MISMATCH " << st.name << "[" << e << "]: symbolic "
                    << formatNumber(analytic[e]) << ", numeric " << formatNumber(numeric) << '\n';
      }
    }
    worst = std::max(worst, paramWorst);
    std::cout << "  " << st.name << " " << st.type.shapeStr() << ": " << elems.size()
              << " checked, max abs error " << formatNumber(paramWorst) << '\n';
  }
  if (checked == 0) {
    std::cout << "gradcheck FAILED: the model has no trainable parameter the loss depends on\n";
    return 1;
  }
  if (!anyNonZero) {
    std::cout << "gradcheck FAILED: every gradient is zero, so the check proves nothing\n";
    return 1;
  }
  if (failures) {
    std::cout << "gradcheck FAILED: " << failures << " of " << checked << " elements differ\n";
    return 1;
  }
  std::cout << "gradcheck passed: " << checked << " elements, max abs error "
            << formatNumber(worst) << " (f64, central differences, h=1e-6)\n";
  return 0;
}

} // namespace

int runCommand(Session &s) {
  const std::string &cmd = s.opts.command;
  if (cmd == "export-params")
    return exportParamsCommand(s.opts);
  if (cmd == "import")
    return importCommand(s);
  bool wantsCode = cmd == "train" || cmd == "eval" || cmd == "predict" || cmd == "gradcheck";
  if (!loadVocabulary(s) || !loadStandardization(s))
    return 1;
  Stage stage = runFrontEnd(s, cmd == "gradcheck");
  if (stage != Stage::Continue)
    return stage == Stage::Done ? 0 : 1;
  if (cmd == "compile")
    return compileCommand(s);
  if (cmd == "export")
    return exportCommand(s);
  if (s.opts.emit == "llvm" || s.opts.emit == "asm")
    return jitCompile(s) == Stage::Failed ? 1 : 0;
  if (cmd == "check")
    return 0;
  if (cmd == "info")
    return infoCommand(s);
  if (cmd == "generate")
    return generateCommand(s);
  if (cmd == "train" && !s.program->loss) {
    s.diag->error(s.program->loc, "model '" + s.program->modelName +
                                      "' has no loss; add a 'loss' declaration to train it");
    return 1;
  }
  if (wantsCode) {
    std::vector<std::string> entries;
    if (cmd == "train")
      entries = s.opts.trace ? std::vector<std::string>{"train_step", "eval", "trace"}
                             : std::vector<std::string>{"train_step", "eval"};
    else if (cmd == "eval")
      entries = {"eval"};
    else if (cmd == "predict")
      entries = {"predict"};
    else
      entries = {"grad", "train_loss"};
    if (cmd == "train" && distributedRequested(s.opts)) {
      entries.push_back("grads"); // the split step (Distributed.h)
      entries.push_back("apply");
    }
    if (cmd == "train" && s.opts.checkNumerics) {
      addNumericsEntry(*s.program);
      entries.push_back("numerics");
    }
    // Training needs only its step to begin, and that is compiled while
    // the data loads and the parameters are initialised; evaluation (after
    // some steps, or never) and the numerics check (after a non-finite
    // loss) are compiled when first called (docs/kernels.md section 6).
    std::vector<std::string> deferred;
    if (cmd == "train")
      deferred = {"eval", "numerics"};
    stage = jitCompile(s, entries, deferred, /*background=*/cmd == "train");
    if (stage != Stage::Continue)
      return stage == Stage::Done ? 0 : 1;
  }
  if (cmd == "train")
    return trainCommand(s);
  if (cmd == "eval")
    return evalCommand(s);
  if (cmd == "predict")
    return predictCommand(s);
  return gradcheckCommand(s);
}

} // namespace nnc
