//===- Generate.cpp - nnc generate: sampling text from a trained model ----===//
//
// The model reads a window of T characters and gives logits [T, vocab]; the
// next character is drawn from the logits at the last real position. A
// prompt shorter than T fills the window's head and the rest is padding
// (token 0) after it, which a causal model never sees from earlier
// positions; a longer text keeps its last T characters (nanoGPT's crop).
//
//===----------------------------------------------------------------------===//
#include "driver/ModelInstance.h"
#include "driver/Session.h"

#include <iostream>

namespace nnc {

/// The predict result with one row of logits per window position.
static int logitsResult(const Program &p, const Entry &predict, int64_t T, int64_t V) {
  for (size_t r = 0; r < predict.results.size(); ++r) {
    const TensorType &t = predict.results[r]->type;
    if (t.batched && t.dtype != DType::I32 && t.dims == std::vector<int64_t>{T, V})
      return static_cast<int>(r);
  }
  std::cerr << "nnc: error: model '" << p.modelName << "' has no output of shape [" << T << ", "
            << V << "] (logits for every position of its window) to sample from\n";
  return -1;
}

int generateCommand(Session &s) {
  const Program &p = *s.program;
  if (s.opts.params.empty() || s.vocab.empty()) {
    std::cerr << "nnc: error: generate needs --params CKPT, a checkpoint of the model trained "
                 "with --text (it holds the vocabulary)\n";
    return 1;
  }
  TextCorpus vocabulary;
  vocabulary.path = s.opts.params;
  vocabulary.vocab = s.vocab;
  const Interface *input = nullptr, *target = nullptr;
  if (!textInterface(p, vocabulary, input, target))
    return 1;
  int64_t T = input->node->type.dims[0], V = static_cast<int64_t>(s.vocab.size());
  if (input->classes != V) {
    std::cerr << "nnc: error: '" << input->name << "' is class(" << input->classes
              << ") but the checkpoint's vocabulary has " << V << " characters\n";
    return 1;
  }
  if (jitCompile(s, {"predict"}) == Stage::Failed)
    return 1;
  const Entry &predict = *p.entry("predict");
  int logits = logitsResult(p, predict, T, V);
  if (logits < 0)
    return 1;
  auto m = ModelInstance::create(p, s.jit->descriptor(), s.opts.seed.value_or(1), 1);
  if (!m || !m->setThreads(s.opts.threads.value_or(0)) || !m->loadParams(s.opts.params))
    return 1;
  std::string prompt = s.opts.prompt.value_or("\n"), error;
  std::vector<int32_t> tokens;
  if (prompt.empty() || !encodeText(s.vocab, prompt, tokens, error)) {
    std::cerr << "nnc: error: the prompt " << (prompt.empty() ? "is empty" : error) << '\n';
    return 1;
  }
  int64_t length = s.opts.length.value_or(200);
  double temperature = s.opts.temperature.value_or(1.0);
  int64_t topK = s.opts.topK.value_or(0);
  uint64_t seed = static_cast<uint64_t>(s.opts.seed.value_or(1));
  std::cout << prompt << std::flush;
  Dataset window;
  window.samples = 1;
  std::vector<std::vector<double>> r;
  for (int64_t step = 0; step < length; ++step) {
    size_t used = std::min<size_t>(tokens.size(), static_cast<size_t>(T));
    std::vector<double> &x = window.columns[input->name];
    x.assign(static_cast<size_t>(T), 0.0);
    std::copy(tokens.end() - used, tokens.end(), x.begin());
    if (!m->run("predict", window, {0}, r))
      return 1;
    const double *row = r[logits].data() + (used - 1) * V;
    int64_t next = nnrt_sample_logits(row, NNRT_F64, V, temperature, topK, seed,
                                      static_cast<uint64_t>(step));
    if (next < 0) {
      std::cerr << "\nnnc: error: " << nnrt_last_error() << '\n';
      return 1;
    }
    tokens.push_back(static_cast<int32_t>(next));
    std::cout << utf8(s.vocab[next]) << std::flush;
  }
  std::cout << '\n';
  return 0;
}

} // namespace nnc
