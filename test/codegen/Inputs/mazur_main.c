/* Trains the compiled Mazur model through its C API exactly as the lecture
 * does (10000 SGD steps on one sample, lr 0.5), then predicts. Prints the
 * output pair with 10 decimals, the last loss, and the parameter count. */
#include "mazur.h"

#include <stdio.h>

int main(void) {
  mazur *m = mazur_create(1);
  if (!m) {
    printf("create failed: %s\n", nnrt_last_error());
    return 1;
  }
  const double x[2] = {0.05, 0.10}, t[2] = {0.01, 0.99};
  double loss = 0, first = 0, o[2] = {0, 0};
  for (int step = 0; step < 10000; ++step) {
    if (mazur_train_step(m, 1, x, t, &loss) != 0) {
      printf("train_step failed: %s\n", mazur_error(m));
      return 1;
    }
    if (step == 0)
      first = loss;
  }
  if (mazur_predict(m, 1, x, o) != 0) {
    printf("predict failed: %s\n", mazur_error(m));
    return 1;
  }
  printf("first loss %.9f\n", first);
  printf("%.10f %.10f\n", o[0], o[1]);
  printf("last loss %.6e\n", loss);
  printf("params %lld\n", (long long)mazur_num_params());
  mazur_destroy(m);
  return 0;
}
