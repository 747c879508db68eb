/* A training step allocates nothing: the workspace, the thread pool and its
 * packing space come with cnn_create / cnn_set_threads. The program is linked
 * with -Wl,--wrap for the allocation functions, so every call from the model
 * object and the runtime is counted; steps after the first must add none. */
#include "cnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long calls;
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
int __real_posix_memalign(void **, size_t, size_t);
void *__real_aligned_alloc(size_t, size_t);
void *__wrap_malloc(size_t n) { ++calls; return __real_malloc(n); }
void *__wrap_calloc(size_t k, size_t n) { ++calls; return __real_calloc(k, n); }
void *__wrap_realloc(void *p, size_t n) { ++calls; return __real_realloc(p, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { ++calls; return __real_posix_memalign(p, a, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { ++calls; return __real_aligned_alloc(a, n); }

enum { BATCH = 16 };
static float image[BATCH * 28 * 28];
static int32_t label[BATCH];

int main(void) {
  cnn *m = cnn_create(1);
  if (!m || cnn_set_threads(m, 2) != 0)
    return 1;
  for (int i = 0; i < BATCH * 28 * 28; ++i)
    image[i] = (float)((i * 37) % 101) / 101.0f;
  for (int i = 0; i < BATCH; ++i)
    label[i] = i % 10;
  float loss, probs[BATCH * 10];
  long atCreate = calls;
  if (cnn_train_step(m, BATCH, image, label, &loss) != 0)
    return 1;
  long afterFirst = calls;
  for (int step = 0; step < 5; ++step)
    if (cnn_train_step(m, BATCH, image, label, &loss) != 0)
      return 1;
  if (cnn_predict(m, BATCH, image, probs) != 0)
    return 1;
  printf("allocations by create: %s\n", atCreate > 0 ? "some" : "none");
  printf("allocations by the first step: %ld\n", afterFirst - atCreate);
  printf("allocations by 5 more steps and a prediction: %ld\n", calls - afterFirst);
  printf("loss finite: %s\n", loss == loss && loss < 1e30f ? "yes" : "no");
  cnn_destroy(m);
  return 0;
}
