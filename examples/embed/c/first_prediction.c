/* Start-up time of an embedded model: create (allocation and initialisation),
 * optionally load a checkpoint, and the first prediction on a blank image,
 * each timed. Built against the MNIST CNN by scripts/embed_numbers.sh for
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
  mnist_cnn *m = mnist_cnn_create(1);
  if (!m) {
    fprintf(stderr, "create: %s\n", nnrt_last_error());
    return 1;
  }
  double create = ms_since(&t);
  if (argc > 1 && mnist_cnn_load(m, argv[1]) != 0) {
    fprintf(stderr, "load: %s\n", mnist_cnn_error(m));
    return 1;
  }
  double load = ms_since(&t);
  static float image[28 * 28];
  float probs[10];
  if (mnist_cnn_predict(m, 1, image, probs) != 0) {
    fprintf(stderr, "predict: %s\n", mnist_cnn_error(m));
    return 1;
  }
  double predict = ms_since(&t);
  printf("create %.1f ms, load %.1f ms, first predict %.1f ms, total %.1f ms\n", create,
         load, predict, create + load + predict);
  mnist_cnn_destroy(m);
  return 0;
}
