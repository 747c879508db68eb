#include "mazur.h"
#include <stdio.h>

int main(void) {
  mazur *m = mazur_create(1), *copy = mazur_create(7);
  const double x[2] = {0.05, 0.10}, t[2] = {0.01, 0.99};
  double loss, o[2];
  for (int i = 0; i < 10000; ++i)
    mazur_train_step(m, 1, x, t, &loss);
  if (mazur_save(m, "m.ckpt") || mazur_load(copy, "m.ckpt")) {
    printf("failed: %s\n", mazur_error(m));
    return 1;
  }
  mazur_predict(copy, 1, x, o);
  printf("reloaded %.10f %.10f\n", o[0], o[1]);
  printf("missing file: %d\n", mazur_load(copy, "does-not-exist.ckpt"));
  FILE *f = fopen("junk.ckpt", "w");
  fputs("not a checkpoint", f);
  fclose(f);
  printf("not a checkpoint: %d\n", mazur_load(copy, "junk.ckpt"));
  mazur_destroy(m);
  mazur_destroy(copy);
  return 0;
}
