/* Times PREFIX_predict of an AOT-compiled model (nnc compile), the embedding
 * path of docs/embedding.md. Built once per model by bench/bench.py with
 *   -DHEADER='"model.h"' -DPREFIX=model -DIN_ELEMS=n -DOUT_ELEMS=n
 * (one f32 input and one f32 output per sample), and run as
 *   aot_bench BATCH THREADS REPS SECONDS
 * Each repetition calls predict until SECONDS have passed and prints a line
 * "us_per_call WALL cpu_us_per_call CPU": mean microseconds per call by the
 * wall clock and in process CPU time (all threads; a loaded machine makes
 * the first grow, not the second). THREADS is passed to
 * nnrt_model_set_threads when the runtime has it (-DHAVE_SET_THREADS). */
#include HEADER
#include "nnrt.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(PREFIX, name)

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: aot_bench BATCH THREADS REPS SECONDS\n");
    return 2;
  }
  long batch = atol(argv[1]);
  int threads = atoi(argv[2]), reps = atoi(argv[3]);
  double seconds = atof(argv[4]);
  PREFIX *m = FN(_create)(1);
  if (!m) {
    fprintf(stderr, "aot_bench: create failed: %s\n", nnrt_last_error());
    return 1;
  }
#ifdef HAVE_SET_THREADS
  /* The generated struct is the runtime's model (PREFIX_create returns
     nnrt_model_create's result). */
  if (nnrt_model_set_threads((nnrt_model *)m, threads) != 0) {
    fprintf(stderr, "aot_bench: cannot use %d threads\n", threads);
    return 1;
  }
  printf("threads %d\n", nnrt_model_threads((nnrt_model *)m));
#else
  (void)threads;
  printf("threads default\n");
#endif
  float *in = malloc(sizeof(float) * IN_ELEMS * batch);
  float *out = malloc(sizeof(float) * OUT_ELEMS * batch);
  if (!in || !out)
    return 1;
  srand(1);
  for (long i = 0; i < IN_ELEMS * batch; ++i)
    in[i] = (float)rand() / (float)RAND_MAX;
  for (int i = 0; i < 3; ++i) /* warm-up: page in the workspace and code */
    if (FN(_predict)(m, batch, in, out) != 0) {
      fprintf(stderr, "aot_bench: predict failed: %s\n", FN(_error)(m));
      return 1;
    }
  for (int r = 0; r < reps; ++r) {
    long calls = 0;
    double start = clock_s(CLOCK_MONOTONIC), cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID), elapsed;
    do {
      FN(_predict)(m, batch, in, out);
      ++calls;
      elapsed = clock_s(CLOCK_MONOTONIC) - start;
    } while (elapsed < seconds || calls < 3);
    cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
    printf("us_per_call %.3f cpu_us_per_call %.3f\n", elapsed / calls * 1e6, cpu / calls * 1e6);
  }
  fprintf(stderr, "checksum %g\n", (double)out[0]);
  FN(_destroy)(m);
  free(in);
  free(out);
  return 0;
}
