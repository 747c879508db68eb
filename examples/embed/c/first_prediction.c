/* Start-up time of an embedded model: create (allocation and random
 * initialisation) or open a checkpoint, then the first prediction on a blank
 * image, each timed. Built against the MNIST CNN by scripts/embed_numbers.sh for
 * docs/embedding.md. */
#include "mnist_cnn.h"

#include <stdio.h>
#include <time.h>

static double ms_since(struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double ms = (now.tv_sec - t->tv_sec) * 1e3 + (now.tv_nsec - t->tv_nsec) / 1e6;
  *t = now;
  return ms;
}

int main(int argc, char **argv) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  /* With a checkpoint: open (no random initialisation); without: create. */
  mnist_cnn *m = argc > 1 ? mnist_cnn_open(argv[1]) : mnist_cnn_create(1);
  if (!m) {
    fprintf(stderr, "%s\n", nnrt_last_error());
    return 1;
  }
  double start = ms_since(&t);
  static float image[28 * 28];
  float probs[10];
  if (mnist_cnn_predict(m, 1, image, probs) != 0) {
    fprintf(stderr, "predict: %s\n", mnist_cnn_error(m));
    return 1;
  }
  double predict = ms_since(&t);
  printf("%s %.1f ms, first predict %.1f ms, total %.1f ms\n", argc > 1 ? "open" : "create",
         start, predict, start + predict);
  mnist_cnn_destroy(m);
  return 0;
}
