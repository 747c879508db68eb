/* Two models in one program (no symbol clashes), and four instances of one of
 * them training at once on four threads: each is independent, so every
 * thread gets the single-threaded result. The second model (SinCos) is
 * created twice with different seeds to show instances do not share state. */
#include "mazur.h"
#include "sin_cos.h"

#include <pthread.h>
#include <stdio.h>

static void *train(void *arg) {
  double *o = arg;
  mazur *m = mazur_create(1);
  if (!m)
    return NULL;
  mazur_set_threads(m, 1);
  const double x[2] = {0.05, 0.10}, t[2] = {0.01, 0.99};
  double loss;
  for (int step = 0; step < 10000; ++step)
    mazur_train_step(m, 1, x, t, &loss);
  mazur_predict(m, 1, x, o);
  mazur_destroy(m);
  return NULL;
}

int main(void) {
  pthread_t threads[4];
  double out[4][2] = {{0}};
  for (int i = 0; i < 4; ++i)
    pthread_create(&threads[i], NULL, train, out[i]);
  for (int i = 0; i < 4; ++i)
    pthread_join(threads[i], NULL);
  for (int i = 0; i < 4; ++i)
    printf("thread %d: %.10f %.10f\n", i, out[i][0], out[i][1]);

  sin_cos *a = sin_cos_create(1), *b = sin_cos_create(2);
  const float x[1] = {0.5f};
  float ya, yb, loss;
  const float y[1] = {1.0f};
  sin_cos_predict(a, 1, x, &ya);
  sin_cos_predict(b, 1, x, &yb);
  printf("seeds differ: %s\n", ya != yb ? "yes" : "no");
  float before = ya;
  sin_cos_train_step(b, 1, x, y, &loss); /* trains b only */
  sin_cos_predict(a, 1, x, &ya);
  printf("a unchanged by b's step: %s\n", ya == before ? "yes" : "no");
  sin_cos_destroy(a);
  sin_cos_destroy(b);
  return 0;
}
