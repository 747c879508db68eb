/* One generation step and one training step of a compiled character model
 * through the C ABI: the vocabulary comes from the checkpoint, the logits
 * from char_model_predict, the next character from nnrt_sample_logits, as
 * nnc generate draws it. Usage: generate_abi CKPT PROMPT SEED */
#include "char_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T = 16 };

/* The token of ASCII character c, or -1 (the test's prompts are ASCII). */
static int token_of(const uint32_t *vocab, int64_t n, char c) {
  for (int64_t i = 0; i < n; ++i)
    if (vocab[i] == (uint32_t)(unsigned char)c)
      return (int)i;
  return -1;
}

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  char_model *m = char_model_open(argv[1]);
  if (!m) {
    fprintf(stderr, "open: %s\n", nnrt_last_error());
    return 1;
  }
  int64_t V = 0;
  const uint32_t *vocab = char_model_vocab(m, &V);
  printf("vocab %lld\n", (long long)V);
  const char *prompt = argv[2];
  int len = (int)strlen(prompt);
  int32_t x[T] = {0};
  for (int i = 0; i < len && i < T; ++i)
    x[i] = token_of(vocab, V, prompt[i]);
  float *logits = malloc(sizeof(float) * T * (size_t)V);
  if (char_model_predict(m, 1, x, logits) != 0) {
    fprintf(stderr, "predict: %s\n", char_model_error(m));
    return 1;
  }
  const float *row = logits + (size_t)(len - 1) * (size_t)V;
  int64_t greedy = nnrt_sample_logits(row, 0, V, 0.0, 0, 1, 0);
  int64_t drawn = nnrt_sample_logits(row, 0, V, 1.0, 0, strtoull(argv[3], NULL, 10), 0);
  printf("greedy U+%04X\nsampled U+%04X\n", (unsigned)vocab[greedy], (unsigned)vocab[drawn]);
  /* Bad arguments are refused, not read past. */
  printf("bad %lld\n", (long long)nnrt_sample_logits(row, 0, 0, 1.0, 0, 1, 0));
  /* One training step on two windows of the prompt's tokens. */
  int32_t xs[2 * T], ys[2 * T];
  for (int i = 0; i < 2 * T; ++i) {
    xs[i] = x[i % T];
    ys[i] = x[(i + 1) % T];
  }
  float loss = -1;
  if (char_model_train_step(m, 2, xs, ys, &loss) != 0) {
    fprintf(stderr, "train_step: %s\n", char_model_error(m));
    return 1;
  }
  printf("loss positive %d\n", loss > 0 && loss < 100);
  free(logits);
  char_model_destroy(m);
  return 0;
}
