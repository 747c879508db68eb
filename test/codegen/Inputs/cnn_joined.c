/* The lecture CNN compiled twice: `joined` (in pieces on all cores, joined
 * by the system linker) and `whole` (one module, NNC_JIT_PIECES=1). Both
 * train 3 steps from the same seed on the same inputs, at 2 threads; the
 * losses, predictions and every parameter must be the same bits. */
#include "joined.h"
#include "whole.h"

#include <stdio.h>
#include <string.h>

enum { BATCH = 8, PIXELS = 28 * 28 };

int main(void) {
  static float image[BATCH * PIXELS];
  int32_t label[BATCH];
  unsigned state = 12345;
  for (int i = 0; i < BATCH * PIXELS; ++i) {
    state = state * 1103515245u + 12345u;
    image[i] = (float)((state >> 16) & 255) / 255.0f;
  }
  for (int i = 0; i < BATCH; ++i)
    label[i] = i % 10;
  joined *a = joined_create(7);
  whole *b = whole_create(7);
  if (!a || !b)
    return 1;
  joined_set_threads(a, 2);
  whole_set_threads(b, 2);
  float lossA, lossB;
  for (int step = 0; step < 3; ++step) {
    if (joined_train_step(a, BATCH, image, label, &lossA) || whole_train_step(b, BATCH, image, label, &lossB))
      return 1;
    printf("step %d: %.7g %s\n", step, lossA, memcmp(&lossA, &lossB, sizeof lossA) ? "DIFFERENT" : "same");
  }
  float pa[BATCH * 10], pb[BATCH * 10];
  joined_predict(a, BATCH, image, pa);
  whole_predict(b, BATCH, image, pb);
  printf("predictions %s\n", memcmp(pa, pb, sizeof pa) ? "DIFFERENT" : "same");
  int tensors, compared = 0, differ = 0;
  const joined_tensor_info *info = joined_info(&tensors);
  for (int k = 0; k < tensors; ++k) {
    if (strcmp(info[k].kind, "param") && strcmp(info[k].kind, "state"))
      continue;
    int64_t countA, countB;
    int dtype;
    const void *x = joined_param(a, info[k].name, &countA, &dtype);
    const void *y = whole_param(b, info[k].name, &countB, &dtype);
    size_t size = dtype == 1 ? sizeof(double) : sizeof(float);
    ++compared;
    if (!x || !y || countA != countB || memcmp(x, y, (size_t)countA * size))
      ++differ, printf("%s differs\n", info[k].name);
  }
  printf("parameters and optimizer state: %d compared, %d differ\n", compared, differ);
  joined_destroy(a);
  whole_destroy(b);
  return 0;
}
