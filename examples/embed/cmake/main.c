/* The lecture's model, compiled by nnc_add_model() at build time: lists its
 * tensors from the generated header, trains 10000 steps and predicts. */
#include "mazur.h"

#include <stdio.h>

int main(void) {
  int count = 0;
  const mazur_tensor_info *info = mazur_info(&count);
  for (int i = 0; i < count; ++i)
    printf("%s %s\n", info[i].kind, info[i].name);
  mazur *m = mazur_create(1);
  if (!m) {
    fprintf(stderr, "mazur_create: %s\n", nnrt_last_error());
    return 1;
  }
  const double x[2] = {0.05, 0.10}, t[2] = {0.01, 0.99};
  double loss = 0, o[2];
  for (int step = 0; step < 10000; ++step)
    if (mazur_train_step(m, 1, x, t, &loss) != 0)
      break;
  if (mazur_predict(m, 1, x, o) != 0) {
    fprintf(stderr, "mazur_predict: %s\n", mazur_error(m));
    mazur_destroy(m);
    return 1;
  }
  printf("%.10f %.10f\n", o[0], o[1]);
  mazur_destroy(m);
  return 0;
}
