//===- Import.cpp - `nnc import MODEL.onnx -o OUT/M.nn` --------------------===//
//
// Translates the ONNX file (onnx/Importer.h), writes the .nn source, then
// compiles that source as `predict` would and saves the ONNX weights into
// a checkpoint of it (OUT/M.ckpt): the checkpoint is made by the runtime
// that will load it, so the two always agree. Nothing is written when the
// ONNX file is refused.
//
//===----------------------------------------------------------------------===//
#include "driver/Dataset.h"
#include "driver/ModelInstance.h"
#include "driver/Session.h"
#include "import/FreezeInputs.h"
#include "import/Importer.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <iostream>
#include <map>
#include <set>
#include <sys/stat.h>

namespace nnc {

namespace {

std::string stemOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// --freeze NAME=FILE: FILE is a .npy (or IDX) array, converted to the
/// input's element type, or an ONNX TensorProto (.pb), taken as it is.
/// False (the message printed) when a spec or file is unusable.
bool freezeInputs(const std::vector<std::string> &specs, onnx::ModelProto &model) {
  std::vector<std::string> items;
  for (const std::string &spec : specs) {
    std::stringstream list(spec);
    for (std::string item; std::getline(list, item, ',');)
      items.push_back(item);
  }
  for (const std::string &item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      std::cerr << "nnc: error: --freeze expects NAME=FILE, got '" << item << "'\n";
      return false;
    }
    std::string name = item.substr(0, eq), path = item.substr(eq + 1);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << path << ": error: cannot open the --freeze file\n";
      return false;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bool array = bytes.compare(0, 6, "\x93NUMPY") == 0 || endsWith(path, ".npy");
    onnx::TensorProto value;
    if (array) {
      std::vector<int64_t> dims;
      std::vector<double> values;
      if (!readArrayFile(path, dims, values))
        return false;
      value = onnx_import::tensorForInput(model, name, dims, values);
    } else if (!value.ParseFromString(bytes) || value.data_type() == 0) {
      std::cerr << path << ": error: not a .npy file nor an ONNX TensorProto\n";
      return false;
    }
    onnx_import::freezeInput(model, name, std::move(value));
  }
  return true;
}

/// --loss/--label/--optimizer: a target, a loss (and for classification an
/// accuracy metric) and an optimizer appended to the imported source.
bool addTraining(const Options &o, onnx_import::ImportedModel &m, const std::string &onnxPath) {
  static const std::set<std::string> classification = {"cross_entropy", "nll_loss"};
  static const std::set<std::string> regression = {"mse", "l1", "huber", "smooth_l1"};
  const std::string &loss = o.importLoss;
  if (!classification.count(loss) && !regression.count(loss)) {
    std::cerr << "nnc: error: --loss " << loss << ": expected cross_entropy, nll_loss, mse, l1, "
                 "huber or smooth_l1\n";
    return false;
  }
  if (m.outputs.empty())
    return false;
  const onnx_import::ImportedOutput &out = m.outputs[0];
  if (out.storage != Storage::Float) {
    std::cerr << onnxPath << ": error: --loss " << loss << " needs a float output; '" << out.id
              << "' (the first output) is " << storageName(out.storage) << "\n";
    return false;
  }
  std::string label = onnx_import::identifierFor(o.importLabel.empty() ? "label" : o.importLabel);
  std::string text = "\n# Fine-tuning (nnc import --loss " + loss + "): the first output's loss.\n";
  if (classification.count(loss)) {
    // The class count is the output's last axis; [T, V] outputs take [T] labels.
    if (out.sampleDims.empty()) {
      std::cerr << onnxPath << ": error: --loss " << loss << " needs an output with a class axis; '"
                << out.id << "' is one number per sample\n";
      return false;
    }
    std::vector<int64_t> rest(out.sampleDims.begin(), out.sampleDims.end() - 1);
    text += "target " + label + ": class(" + std::to_string(out.sampleDims.back()) + ")";
    if (!rest.empty()) {
      text += "[";
      for (size_t k = 0; k < rest.size(); ++k)
        text += (k ? ", " : "") + std::to_string(rest[k]);
      text += "]";
    }
    // Cross-entropy of a softmax output is taken from its logits (the same
    // number, computed stably, as Keras' categorical cross-entropy of probs).
    text += "\nloss " + loss + "(" + (loss == "cross_entropy" ? out.logits : out.id) + ", " + label +
            ")\n";
    if (rest.empty()) // accuracy takes one vector of scores per sample
      text += "metric accuracy(" + out.id + ", " + label + ")\n";
  } else {
    text += "target " + label + ": f32";
    if (!out.sampleDims.empty()) {
      text += "[";
      for (size_t k = 0; k < out.sampleDims.size(); ++k)
        text += (k ? ", " : "") + std::to_string(out.sampleDims[k]);
      text += "]";
    }
    text += "\nloss " + loss + "(" + out.id + ", " + label + ")\n";
  }
  text += "optimizer " + (o.importOptimizer.empty() ? std::string("sgd(lr: 0.01)") : o.importOptimizer) + "\n";
  m.source += text;
  return true;
}

} // namespace

int importCommand(Session &s) {
  const std::string &onnxPath = s.opts.file;
  const std::string &out = s.opts.output;
  if (out.empty() || !endsWith(out, ".nn") || out.size() == 3) {
    std::cerr << "nnc: error: import needs -o OUT/NAME.nn (the weights go to OUT/NAME.ckpt)\n";
    return 2;
  }
  const std::string ckpt = out.substr(0, out.size() - 3) + ".ckpt";
  onnx_import::ImportedModel imported;
  try {
    int64_t opset = 0;
    onnx::ModelProto model = onnx_import::readOnnxModel(onnxPath, opset);
    if (!freezeInputs(s.opts.freeze, model))
      return 1;
    std::string name = onnx_import::identifierFor(stemOf(out));
    imported = onnx_import::importOnnx(model, opset, name, stemOf(onnxPath) + ".onnx",
                                       s.opts.batch.value_or(0), s.opts.perSample);
  } catch (const onnx_import::ImportError &e) {
    // Names in the message come from the file: control bytes are shown as '?'.
    std::string message = e.message;
    for (char &c : message)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        c = '?';
    std::cerr << onnxPath << ": error: " << message << '\n';
    return 1;
  }

  if (!imported.uncheckedPerSample.empty())
    std::cerr << onnxPath << ": warning: --per-sample: nnc could not check that the graph "
              << "computes every sample on its own (" << imported.uncheckedPerSample
              << "); if it mixes them, each sample is computed alone instead of with the others\n";
  if (!s.opts.importLoss.empty() && !imported.repeatedWeights.empty()) {
    std::cerr << onnxPath << ": error: --loss: " << imported.repeatedWeights
              << "; the copies would train apart, so nnc does not fine-tune this model (import "
                 "it without --loss to predict with it)\n";
    return 1;
  }
  if (!s.opts.importLoss.empty() && !addTraining(s.opts, imported, onnxPath))
    return 2;
  std::string error;
  // OUT is created if missing, as `mkdir -p` would.
  for (size_t slash = out.find('/', 1); slash != std::string::npos; slash = out.find('/', slash + 1))
    mkdir(out.substr(0, slash).c_str(), 0777);
  if (!writeFileAtomic(out, imported.source, error)) {
    std::cerr << "nnc: error: " << error << '\n';
    return 1;
  }
  // Compile what was written, as predict will, and fill its parameters.
  Session model;
  model.opts = s.opts;
  model.opts.command = "predict";
  model.opts.file = out;
  model.opts.output.clear();
  auto undo = [&] {
    std::remove(out.c_str());
    if (!s.opts.importOptimizer.empty()) { // the user's text is in the model
      std::cerr << "nnc: error: the model with --optimizer \"" << s.opts.importOptimizer
                << "\" does not compile (see above); nothing was written\n";
      return 1;
    }
    std::cerr << "nnc: internal error: the imported model does not compile; please report this "
                 "with the ONNX file\n";
    return 3;
  };
  if (runFrontEnd(model) != Stage::Continue || jitCompile(model, {"predict"}) != Stage::Continue)
    return undo();
  auto instance = ModelInstance::create(*model.program, model.jit->descriptor(), 1, 1);
  if (!instance)
    return undo();
  std::map<std::string, const onnx_import::ImportedWeight *> byName;
  for (const auto &w : imported.weights)
    byName[w.name] = &w;
  int64_t count = 0;
  for (size_t i = 0; i < model.program->state.size(); ++i) {
    const StateTensor &t = model.program->state[i];
    auto it = byName.find(t.name);
    if (it == byName.end() || int64_t(it->second->values.size()) != t.type.elementsPerSample()) {
      std::cerr << "nnc: internal error: no imported values for '" << t.name << "'\n";
      std::remove(out.c_str());
      return 3;
    }
    instance->setStateValues(static_cast<int>(i), it->second->values);
    count += t.type.elementsPerSample();
  }
  if (!instance->saveCheckpoint(ckpt, nnrt_train_state{0, 0, 0, 0, 0, 0}))
    return 1;
  if (!s.opts.quiet)
    std::cout << "wrote " << out << " (" << model.program->state.size() << " tensors, " << count
              << " values) and " << ckpt << '\n';
  return 0;
}

} // namespace nnc
