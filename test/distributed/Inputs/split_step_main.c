/* Two instances of the lecture's model from the same seed: one trained with
 * mazur_train_step, the other with mazur_grads then mazur_apply. After every
 * step the losses and all parameters must be equal bit for bit. */
#include "mazur.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  mazur *a = mazur_create(7), *b = mazur_create(7);
  if (!a || !b) {
    printf("create failed: %s\n", nnrt_last_error());
    return 1;
  }
  const double x[2] = {0.05, 0.10}, t[2] = {0.01, 0.99};
  double grads[MAZUR_GRADS_COUNT];
  const char *names[] = {"W_h", "W_o"};
  for (int step = 1; step <= 50; ++step) {
    double la = 0, lb = 0;
    if (mazur_train_step(a, 1, x, t, &la) != 0 || mazur_grads(b, 1, x, t, &lb, grads) != 0 ||
        mazur_apply(b, grads) != 0) {
      printf("step %d failed: %s / %s\n", step, mazur_error(a), mazur_error(b));
      return 1;
    }
    if (memcmp(&la, &lb, sizeof la) != 0) {
      printf("step %d: loss %.17g != %.17g\n", step, la, lb);
      return 1;
    }
    for (int k = 0; k < 2; ++k) {
      int64_t n = 0;
      double *pa = mazur_param(a, names[k], &n, NULL), *pb = mazur_param(b, names[k], NULL, NULL);
      if (memcmp(pa, pb, sizeof(double) * (size_t)n) != 0) {
        printf("step %d: %s differs\n", step, names[k]);
        return 1;
      }
    }
    if (step == 1) /* the lecture's dE/dw5 is 0.082167041 (grads after W_h's 4) */
      printf("step 1 loss %.9f dW_o[0] %.9f\n", lb, grads[4]);
  }
  printf("50 steps: grads + apply == train_step, bit for bit\n");
  mazur_destroy(a);
  mazur_destroy(b);
  return 0;
}
