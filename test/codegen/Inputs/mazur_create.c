/* Creates the Mazur model and predicts once, or prints why create failed. */
#include "mazur.h"

#include <stdio.h>

int main(void) {
  mazur *m = mazur_create(1);
  if (!m) {
    printf("create failed: %s\n", nnrt_last_error());
    return 0;
  }
  const double x[2] = {0.05, 0.10};
  double o[2];
  int rc = mazur_predict(m, 1, x, o);
  printf("created; predict %d %.9f %.9f\n", rc, o[0], o[1]);
  mazur_destroy(m);
  return 0;
}
