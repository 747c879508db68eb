/* The lecture's 2-2-2 network (examples/mazur.nn) inside a C program: the
 * model is compiled ahead of time, so this links only the object and libnnrt.
 *
 *   nnc compile examples/mazur.nn -o mazur.o        (writes mazur.h too)
 *   cc -I. main.c mazur.o libnnrt.a -lm -lpthread -o mazur
 *
 * Trains 10000 steps of plain gradient descent on the lecture's one sample
 * and prints the two outputs: 0.0159136204 0.9840642735. */
#include "mazur.h"

#include <stdio.h>

int main(void) {
  mazur *m = mazur_create(1); /* the seed is unused: every weight is given */
  if (!m) {
    fprintf(stderr, "mazur_create: %s\n", nnrt_last_error());
    return 1;
  }
  const double x[2] = {0.05, 0.10}, t[2] = {0.01, 0.99};
  double loss = 0, o[2];
  for (int step = 0; step < 10000; ++step) {
    if (mazur_train_step(m, 1, x, t, &loss) != 0) {
      fprintf(stderr, "mazur_train_step: %s\n", mazur_error(m));
      mazur_destroy(m);
      return 1;
    }
  }
  if (mazur_predict(m, 1, x, o) != 0) {
    fprintf(stderr, "mazur_predict: %s\n", mazur_error(m));
    mazur_destroy(m);
    return 1;
  }
  printf("%.10f %.10f\n", o[0], o[1]);
  mazur_destroy(m);
  return 0;
}
