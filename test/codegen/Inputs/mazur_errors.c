/* The C ABI's error paths: a bad batch or a null pointer is refused with a
 * message (and the model still works afterwards), an unknown parameter name gives NULL, and a
 * known one gives its count and dtype. */
#include "mazur.h"

#include <stdio.h>

int main(void) {
  mazur *m = mazur_create(1);
  if (!m)
    return 1;
  /* Room for the largest batch any test tries, so that a batch the model
     accepts never reads or writes past the buffers. */
  static double x[300 * 2], o[300 * 2];
  x[0] = 0.05;
  x[1] = 0.10;
  int rc = mazur_predict(m, 0, x, o);
  printf("batch 0: rc %d: %s\n", rc, mazur_error(m));
  rc = mazur_predict(m, 257, x, o);
  printf("batch 257: rc %d: %s\n", rc, mazur_error(m));
  rc = mazur_predict(m, 1, NULL, o);
  printf("null input: rc %d: %s\n", rc, mazur_error(m));
  rc = mazur_predict(m, 1, x, NULL);
  printf("null output: rc %d: %s\n", rc, mazur_error(m));
  rc = mazur_predict(NULL, 1, x, o);
  printf("null model: rc %d: %s\n", rc, nnrt_last_error());
  rc = mazur_predict(m, 1, x, o);
  printf("batch 1: rc %d: %.9f %.9f\n", rc, o[0], o[1]);
  int64_t count = -1;
  int dtype = -1;
  void *p = mazur_param(m, "no_such_param", &count, &dtype);
  printf("unknown param: %s\n", p ? "non-null" : "NULL");
  double *w = (double *)mazur_param(m, "W_o", &count, &dtype);
  printf("W_o: count %lld dtype %d first %.2f\n", (long long)count, dtype, w ? w[0] : -1.0);
  mazur_destroy(m);
  return 0;
}
