/* The split step on examples/mnist_mlp.nn (f32, SGD with momentum, an
 * accuracy metric): train_step on one instance, grads then apply on another
 * from the same seed, 5 steps on made-up images; every parameter and
 * momentum buffer must stay equal bit for bit. */
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B 16

int main(void) {
  mnist_mlp *a = mnist_mlp_create(3), *b = mnist_mlp_create(3);
  static float image[B * 784], grads[MNIST_MLP_GRADS_COUNT];
  int32_t label[B];
  unsigned s = 12345;
  for (int i = 0; i < B * 784; ++i) {
    s = s * 1103515245u + 12345u;
    image[i] = (float)((s >> 16) & 0xff) / 255.0f;
  }
  for (int i = 0; i < B; ++i)
    label[i] = i % 10;
  const char *names[] = {"hidden.weight", "hidden.bias", "logits.weight", "logits.bias",
                         "hidden.weight.momentum", "logits.bias.momentum"};
  for (int step = 1; step <= 5; ++step) {
    float la = 0, lb = 0;
    /* class labels are int32 buffers (nnrt_arg_desc dtype NNRT_I32) */
    if (mnist_mlp_train_step(a, B, image, (const double *)label, &la) != 0 ||
        mnist_mlp_grads(b, B, image, (const double *)label, &lb, grads) != 0 ||
        mnist_mlp_apply(b, grads) != 0) {
      printf("step %d failed: %s / %s\n", step, mnist_mlp_error(a), mnist_mlp_error(b));
      return 1;
    }
    if (memcmp(&la, &lb, sizeof la) != 0) {
      printf("step %d: loss %.9g != %.9g\n", step, la, lb);
      return 1;
    }
    for (int k = 0; k < 6; ++k) {
      int64_t n = 0;
      float *pa = mnist_mlp_param(a, names[k], &n, NULL), *pb = mnist_mlp_param(b, names[k], NULL, NULL);
      if (!pa || memcmp(pa, pb, sizeof(float) * (size_t)n) != 0) {
        printf("step %d: %s differs\n", step, names[k]);
        return 1;
      }
    }
  }
  printf("mnist_mlp: 5 steps, grads + apply == train_step, bit for bit\n");
  return 0;
}
