/* The full object (prefix mazur) trains 100 steps and saves a checkpoint; the
 * --inference-only object (prefix mazur_inf) loads it and must predict the
 * same numbers, bit for bit. */
#include "mazur.h"
#include "mazur_inf.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  mazur *full = mazur_create(1);
  mazur_inf *inf = mazur_inf_create(1);
  if (!full || !inf) {
    printf("create failed: %s\n", nnrt_last_error());
    return 1;
  }
  const double x[2] = {0.05, 0.10}, t[2] = {0.01, 0.99};
  double loss = 0, a[2], b[2];
  for (int step = 0; step < 100; ++step)
    if (mazur_train_step(full, 1, x, t, &loss) != 0)
      return 1;
  if (mazur_save(full, argv[1]) != 0 || mazur_inf_load(inf, argv[1]) != 0) {
    printf("checkpoint failed: %s / %s\n", mazur_error(full), mazur_inf_error(inf));
    return 1;
  }
  if (mazur_predict(full, 1, x, a) != 0 || mazur_inf_predict(inf, 1, x, b) != 0)
    return 1;
  printf("full %.10f %.10f\n", a[0], a[1]);
  printf("inference-only %.10f %.10f\n", b[0], b[1]);
  printf("%s\n", memcmp(a, b, sizeof a) == 0 ? "identical" : "DIFFERENT");
  mazur_destroy(full);
  mazur_inf_destroy(inf);
  return 0;
}
