//===- Options.cpp --------------------------------------------------------===//
#include "driver/Options.h"

#include "support/Limits.h"
#include "support/Suggest.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>

namespace nnc {
namespace {

const char *kUsage =
    "usage: nnc <command> MODEL.nn [options]\n"
    "\n"
    "commands:\n"
    "  check      parse and type-check the model; report errors\n"
    "  info       inputs, outputs, parameters and their count\n"
    "  train      JIT-compile and train the model\n"
    "  eval       loss (and outputs) of trained parameters on a data set\n"
    "  predict    outputs for inputs given as JSON or .npy\n"
    "  compile    write an object file and a C header (AOT)\n"
    "  gradcheck  compare symbolic gradients with finite differences (f64)\n"
    "  generate   sample text from a character-level model trained with --text\n"
    "  export     M.nn [--params CKPT] -o M.onnx: the predict graph as ONNX, for\n"
    "             onnxruntime and other runtimes (docs/onnx-export.md)\n"
    "  import     MODEL.onnx -o OUT/M.nn: the ONNX model as .nn source and its\n"
    "             weights as the checkpoint OUT/M.ckpt (docs/onnx-import.md);\n"
    "             --loss cross_entropy|mse|... --label NAME --optimizer \"sgd(lr: 0.05)\"\n"
    "             add a target, a loss and an optimizer to fine-tune it;\n"
    "             --freeze NAME=FILE fixes graph input NAME to FILE's tensor (a\n"
    "             .npy or an ONNX TensorProto .pb): a shape, scales or axes that\n"
    "             nnc must know when compiling (repeatable); --per-sample runs\n"
    "             each sample through a graph that mixes samples along axis 0\n"
    "             (a transformer's attention) as a batch of one\n"
    "  export-params CKPT --json  every tensor of a checkpoint as JSON (name,\n"
    "             dtype, shape, values); no model file needed\n"
    "\n"
    "options:\n"
    "  --emit=ast|ir|ir-grad|ir-opt|memory-plan|llvm|asm|dot   print that stage and stop\n"
    "  --data NAME=PATH | --data FILE.csv  training data (repeatable)\n"
    "  --test NAME=PATH | --test FILE.csv  held-out data for evaluation\n"
    "                   (PATH: CSV, IDX as MNIST ships, or NumPy .npy)\n"
    "  --scale NAME=F   multiply NAME's values from files by F (e.g. image=1/255)\n"
    "  --standardize NAME[:AXIS]  train: fit NAME's mean and standard deviation\n"
    "                   on the training data (per channel: the last axis, or AXIS),\n"
    "                   store them in the checkpoint as NAME.mean and NAME.std,\n"
    "                   and compute with (NAME - mean) / std; eval, predict and\n"
    "                   export take them from --params; compile: the object\n"
    "                   standardises NAME with the statistics a checkpoint loads\n"
    "  --steps N        train until global step N\n"
    "  --epochs N       train for N passes over the data\n"
    "  --batch N        samples per step (default: the train block, else 32)\n"
    "  --lr X           override the optimizer's learning rate\n"
    "  --seed N         seed for initialisation and shuffling (default 1)\n"
    "  --print-every N  progress line every N steps\n"
    "  --eval-every N   evaluate on the test data every N steps\n"
    "  --text FILE      train: a UTF-8 text as character windows for the model's\n"
    "                   class(vocab)[T] input and target (the target one character\n"
    "                   ahead); the vocabulary is the file's characters and is saved\n"
    "                   in checkpoints; the last 10% (--val-split) is validation\n"
    "  --stateful       train: every rnn/lstm/gru carries its final state into the\n"
    "                   next batch (truncated backpropagation through time); the\n"
    "                   data is read in order as `batch` contiguous streams\n"
    "  --prompt TEXT    generate: the text to continue (default: a newline)\n"
    "  --length N       generate: characters to sample (default 200)\n"
    "  --temperature X  generate: softmax temperature (default 1; 0 = greedy)\n"
    "  --top-k K        generate: sample among the K likeliest (default: all)\n"
    "  --recompute      generate: run the whole window for every character, also\n"
    "                   for recurrent models (which otherwise step one character\n"
    "                   at a time, carrying their state)\n"
    "  --final-eval test|train|train,test|none  train: what is evaluated after\n"
    "                   the last step (default: the test data when given, else the\n"
    "                   training data when small: a data { } block or <= 10000 samples)\n"
    "  --early-stop N   train: stop when --monitor has not improved for N evaluations\n"
    "  --monitor NAME   train: the value --early-stop and --save-best watch, a name\n"
    "                   of the metrics log: val_loss, val_<metric>, test_loss,\n"
    "                   test_<metric> (default val_loss with --val-split, else\n"
    "                   test_loss); evaluated at every epoch's end and --eval-every\n"
    "  --monitor-mode min|max  train: whether lower or higher is better (default:\n"
    "                   min for losses and errors, max for other metrics)\n"
    "  --save-best FILE train: the checkpoint of the best evaluation of --monitor\n"
    "  --save-every N   train: write the -o checkpoint every N steps\n"
    "  --val-split F    hold out the last fraction F of the (once shuffled) training\n"
    "                   data; evaluated at --eval-every and at the end\n"
    "  --threads N      kernel threads for train/eval/predict (0 = one per CPU)\n"
    "  --check-numerics on a NaN/Inf loss, name the first op that produced one\n"
    "  --trace          print every named value and its gradient (first batch)\n"
    "  -o FILE          train: write a checkpoint (docs/checkpoint.md)\n"
    "  --resume FILE    train: continue from a checkpoint until --steps in total\n"
    "  --distributed    train: data-parallel over MPI ranks (implied under mpirun;\n"
    "                   docs/distributed.md)\n"
    "  --split-step     compile: also export PREFIX_grads and PREFIX_apply\n"
    "  --log FILE       metrics log: CSV, or JSON lines when FILE ends in .jsonl\n"
    "  --plot FILE.svg  training curves (loss, metrics, learning rate) as an SVG\n"
    "  --params-out F   write trained parameters as JSON\n"
    "  --init-params F  start from parameters in a JSON file, a checkpoint, or a\n"
    "                   directory of NAME.npy files (one per parameter)\n"
    "  --params F       parameters for eval / predict (checkpoint or JSON)\n"
    "  --input F        predict: {\"<input>\": [batch...]} JSON file, or NAME=F.npy\n"
    "  -o FILE          predict: write outputs as .npy (one output) or JSON\n"
    "  -o FILE          compile: the object file\n"
    "  --header FILE    compile: the C header (default: beside the object)\n"
    "  --prefix NAME    compile: symbol prefix (default: snake_case model name)\n"
    "  --cpu NAME       target CPU (default: this machine's)\n"
    "  --target TRIPLE  target triple (default: this machine's)\n"
    "  --max-batch N    compile: largest batch the object accepts (default 256)\n"
    "  -fPIC            compile: position-independent code (the default)\n"
    "  --inference-only compile: predict only, no gradient or optimizer code\n"
    "  --emit-static-lib F.a  compile: one archive with the object and libnnrt\n"
    "  --emit-shared F.so     compile: a shared library with the object and libnnrt\n"
    "                   (linked by cc; loadable from Python, docs/python.md)\n"
    "  --opset N        export: the ONNX opset, 13..17 (default 17)\n"
    "  --quiet          only results, no progress\n"
    "  --version        print the version and the LLVM used\n";

bool parseInt(const std::string &flag, const std::string &text, long long &out) {
  errno = 0;
  char *end = nullptr;
  out = std::strtoll(text.c_str(), &end, 10);
  int64_t most = flag == "--threads" ? kMaxThreads : kMaxCount;
  if (text.empty() || *end || errno || out < 0 || out > most) {
    std::cerr << "nnc: error: " << flag << " expects a whole number in 0.."
              << (flag == "--threads" ? "1024" : "2^53 (9007199254740992)") << ", got '" << text
              << "'\n";
    return false;
  }
  return true;
}

} // namespace

/// The NNC_* settings (and mpirun's marker) into the options.
static void readEnvironment(Options &o) {
  auto value = [](const char *name) {
    const char *v = std::getenv(name);
    return std::string(v ? v : "");
  };
  o.fusion = value("NNC_FUSION") != "0";
  o.simplify = value("NNC_SIMPLIFY") != "0";
  std::string profile = value("NNC_PROFILE");
  o.profile = !profile.empty() && profile != "0";
  o.underMpirun = std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr;
  if (value("NNC_CACHE") != "0") {
    // Beside the data nnc fetches (scripts/fetch_*.sh use the same base).
    std::string base = !value("XDG_CACHE_HOME").empty() ? value("XDG_CACHE_HOME")
                       : !value("HOME").empty()         ? value("HOME") + "/.cache"
                                                         : "";
    o.objectCacheDir = !value("NNC_CACHE_DIR").empty() ? value("NNC_CACHE_DIR")
                       : !base.empty()                  ? base + "/nnc/objects"
                                                        : "";
  }
  o.objectCacheLog = value("NNC_CACHE_LOG") == "1";
  o.perfMap = value("NNC_PERF_MAP") == "1";
  o.faultCompile = value("NNC_FAULT_COMPILE");
  std::string pieces = value("NNC_JIT_PIECES");
  if (!pieces.empty() && pieces.find_first_not_of("0123456789") == std::string::npos)
    o.jitPieces = static_cast<unsigned>(std::clamp(std::stoll(pieces.substr(0, 6)), 1LL, 64LL));
  std::string kill = value("NNC_FAULT_KILL");
  char *end = nullptr;
  long rank = std::strtol(kill.c_str(), &end, 10);
  if (!kill.empty() && *end == ':') {
    o.faultKillRank = rank;
    o.faultKillStep = std::strtoll(end + 1, nullptr, 10);
  }
  o.testInternalError = value("NNC_TEST_INTERNAL_ERROR");
  std::string signal = value("NNC_FAULT_SIGNAL"); // INT:STEP or TERM:STEP
  size_t colon = signal.find(':');
  if (colon != std::string::npos) {
    std::string name = signal.substr(0, colon);
    o.faultSignal = name == "INT" ? SIGINT : name == "TERM" ? SIGTERM : 0;
    o.faultSignalStep = std::strtoll(signal.c_str() + colon + 1, nullptr, 10);
  }
  std::string save = value("NNC_FAULT_SAVE");
  if (save == "renamed")
    o.faultSaveRenamed = true;
  else if (save.rfind("enospc:", 0) == 0)
    o.faultSaveFullAfter = std::strtoll(save.c_str() + 7, nullptr, 10);
  else if (!save.empty())
    o.faultSaveBytes = std::strtoll(save.c_str(), nullptr, 10);
}

bool parseOptions(int argc, char **argv, Options &o, int &exitCode) {
  exitCode = 2;
  readEnvironment(o);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto usageError = [&](const std::string &message) {
    std::cerr << "nnc: error: " << message << "\n(run 'nnc --help' for usage)\n";
    return false;
  };
  static const std::set<std::string> commands = {"check",   "info",    "train",    "eval",
                                                 "predict", "compile", "gradcheck", "export-params",
                                                 "generate", "import", "export"};
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      exitCode = 0;
      return false;
    }
    if (a == "--version") {
      std::cout << "nnc " << NNC_VERSION << " (LLVM " << NNC_LLVM_VERSION << ")\n";
      exitCode = 0;
      return false;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (o.command.empty()) {
        if (!commands.count(a))
          return usageError("unknown command '" + a + "'" +
                            nnc::didYouMean(a, {commands.begin(), commands.end()}));
        o.command = a;
      } else if (o.file.empty()) {
        o.file = a;
      } else {
        return usageError("unexpected argument '" + a + "'");
      }
      continue;
    }
    std::string value;
    bool inlineValue = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      value = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      inlineValue = true;
    }
    static const std::set<std::string> flags = {"--trace", "--quiet", "-fPIC", "--check-numerics",
                                                "--json", "--inference-only", "--split-step",
                                                "--distributed", "--stateful", "--recompute",
                                                "--per-sample"};
    if (flags.count(a)) {
      if (inlineValue)
        return usageError("option '" + a + "' takes no value");
      if (a == "--trace")
        o.trace = true;
      else if (a == "--quiet")
        o.quiet = true;
      else if (a == "--check-numerics")
        o.checkNumerics = true;
      else if (a == "--json")
        o.json = true;
      else if (a == "--inference-only")
        o.inferenceOnly = true;
      else if (a == "--split-step")
        o.splitStep = true;
      else if (a == "--stateful")
        o.stateful = true;
      else if (a == "--recompute")
        o.recompute = true;
      else if (a == "--per-sample")
        o.perSample = true;
      else if (a == "--distributed")
        o.distributed = true;
      else
        o.pic = true;
      continue;
    }
    long long n = 0;
    std::map<std::string, std::optional<long long> *> ints = {
        {"--steps", &o.steps},   {"--epochs", &o.epochs},           {"--batch", &o.batch},
        {"--seed", &o.seed},     {"--print-every", &o.printEvery}, {"--max-batch", &o.maxBatch},
        {"--eval-every", &o.evalEvery}, {"--threads", &o.threads}, {"--length", &o.length},
        {"--top-k", &o.topK},   {"--opset", &o.opset},           {"--early-stop", &o.earlyStop},
        {"--save-every", &o.saveEvery}};
    std::map<std::string, std::string *> strings = {
        {"--emit", &o.emit},         {"--params-out", &o.paramsOut}, {"--init-params", &o.initParams},
        {"--params", &o.params},     {"--input", &o.input},          {"-o", &o.output},
        {"--header", &o.header},     {"--prefix", &o.prefix},        {"--cpu", &o.cpu},
        {"--target", &o.target},     {"--resume", &o.resume},        {"--log", &o.log},
        {"--plot", &o.plot},         {"--emit-static-lib", &o.staticLib},
        {"--final-eval", &o.finalEval}, {"--monitor", &o.monitor},
        {"--monitor-mode", &o.monitorMode}, {"--save-best", &o.saveBest},
        {"--emit-shared", &o.sharedLib},
        {"--text", &o.text},         {"--loss", &o.importLoss},      {"--label", &o.importLabel},
        {"--optimizer", &o.importOptimizer}};
    if (!ints.count(a) && !strings.count(a) && a != "--lr" && a != "--data" && a != "--test" &&
        a != "--scale" && a != "--standardize" && a != "--freeze" && a != "--val-split" && a != "--prompt" && a != "--temperature") {
      std::vector<std::string> known = {"--lr", "--data", "--test", "--scale", "--standardize", "--freeze", "--val-split",
                                        "--prompt", "--temperature",
                                        "--help", "--version", "--trace", "--quiet", "-fPIC",
                                        "--check-numerics", "--json", "--inference-only",
                                        "--split-step", "--distributed", "--stateful",
                                        "--recompute"};
      for (const auto &kv : ints)
        known.push_back(kv.first);
      for (const auto &kv : strings)
        known.push_back(kv.first);
      return usageError("unknown option '" + a + "'" + nnc::didYouMean(a, known));
    }
    if (!inlineValue) {
      if (i + 1 >= args.size())
        return usageError("option '" + a + "' needs a value");
      value = args[++i];
    }
    if (ints.count(a)) {
      if (!parseInt(a, value, n))
        return false;
      if (n == 0 && a != "--seed" && a != "--threads")
        return usageError(a + " must be at least 1");
      *ints[a] = n;
    } else if (strings.count(a)) {
      *strings[a] = value;
    } else if (a == "--lr" || a == "--temperature") {
      char *end = nullptr;
      double x = std::strtod(value.c_str(), &end);
      if (value.empty() || *end || !(x >= 0) || !std::isfinite(x))
        return usageError(a + " expects a non-negative number, got '" + value + "'");
      (a == "--lr" ? o.lr : o.temperature) = x;
    } else if (a == "--val-split") {
      char *end = nullptr;
      double f = std::strtod(value.c_str(), &end);
      if (value.empty() || *end || !(f > 0 && f < 1))
        return usageError("--val-split expects a fraction between 0 and 1 (e.g. 0.1), got '" +
                          value + "'");
      o.valSplit = f;
    } else if (a == "--prompt") {
      o.prompt = value;
    } else if (a == "--data") {
      o.data.push_back(value);
    } else if (a == "--test") {
      o.test.push_back(value);
    } else if (a == "--scale") {
      o.scale.push_back(value);
    } else if (a == "--standardize") {
      o.standardize.push_back(value);
    } else if (a == "--freeze") {
      o.freeze.push_back(value);
    } else {
      return usageError("unknown option '" + a + "'");
    }
  }
  static const std::set<std::string> finalEvals = {"", "train", "test", "train,test", "test,train",
                                                   "none"};
  if (!finalEvals.count(o.finalEval))
    return usageError("--final-eval expects test, train, train,test or none, got '" + o.finalEval +
                      "'");
  if (o.saveEvery && o.output.empty())
    return usageError("--save-every writes the -o checkpoint; give -o FILE");
  if (!o.monitorMode.empty() && o.monitorMode != "min" && o.monitorMode != "max")
    return usageError("--monitor-mode expects min or max, got '" + o.monitorMode + "'");
  if (o.command.empty())
    return usageError("no command given");
  if (o.file.empty())
    return usageError("no model file given");
  // Flags only nnc import reads: refused elsewhere rather than ignored.
  if (o.command != "import")
    for (const auto &[flag, given] :
         {std::pair<const char *, bool>{"--freeze", !o.freeze.empty()},
          {"--loss", !o.importLoss.empty()},
          {"--label", !o.importLabel.empty()},
          {"--optimizer", !o.importOptimizer.empty()},
          {"--per-sample", o.perSample}})
      if (given)
        return usageError(std::string(flag) + " is an option of nnc import, not of nnc " +
                          o.command);
  static const std::set<std::string> stages = {"", "ast", "ir", "ir-grad", "ir-opt", "memory-plan", "llvm", "asm", "dot"};
  if (!stages.count(o.emit))
    return usageError("unknown --emit stage '" + o.emit +
                      "'; expected ast, ir, ir-grad, ir-opt, memory-plan, llvm, asm or dot");
  return true;
}

} // namespace nnc
