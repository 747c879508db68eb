/* Class labels through the C ABI: train_step with a label outside 0..9 for
 * a class(10) target is refused with an error naming the sample (it used to
 * return 0 with a NaN loss), the model is unchanged and still trains; and a
 * failed load leaves its reason in PREFIX_error, not only nnrt_last_error. */
#include "labels.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  labels *m = labels_create(1);
  if (!m || argc < 2)
    return 1;
  double x[3 * 4] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2};
  double loss = 0;
  int32_t bad[][3] = {{1, 10, 2}, {1, 2, -7}, {1000000000, 2, 3}};
  for (int k = 0; k < 3; ++k) {
    int rc = labels_train_step(m, 3, x, bad[k], &loss);
    printf("labels %d %d %d: rc %d: %s\n", bad[k][0], bad[k][1], bad[k][2], rc, labels_error(m));
  }
  int32_t good[3] = {1, 2, 9};
  int rc = labels_train_step(m, 3, x, good, &loss);
  printf("labels 1 2 9: rc %d, loss finite: %s\n", rc, loss == loss ? "yes" : "no");
  rc = labels_load(m, argv[1]);
  printf("load of a non-checkpoint: rc %d: %s\n", rc,
         strlen(labels_error(m)) ? labels_error(m) : "(no message)");
  labels_destroy(m);
  return 0;
}
