/* The f32 Mlp26 model through its C API: create with seed 1, predict one
 * sample, train 100 steps on the model's 8 samples in one batch, predict
 * again. Prints each prediction as nnc predict's JSON ({"y": [[y0, y1]]},
 * one line each) so a test can compare them with the JIT's numbers. */
#include "mlp26.h"

#include <stdio.h>

int main(void) {
  mlp26 *m = mlp26_create(1);
  if (!m)
    return 1;
  const float x[8 * 3] = {0.9f, 0.1f, 0.3f,  0.2f, 0.8f, -0.5f, 0.7f,  0.6f, 0.1f,
                          -0.4f, -0.9f, -0.2f, 0.1f, 0.5f, 0.9f,  0.8f,  -0.3f, -0.6f,
                          -0.7f, 0.2f, -0.1f, 0.5f, 0.4f, 0.3f};
  const float t[8 * 2] = {1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1};
  float y[2], loss = 0;
  if (mlp26_predict(m, 1, x, y) != 0)
    return 1;
  printf("{\"y\": [[%.9g, %.9g]]}\n", y[0], y[1]);
  for (int step = 0; step < 100; ++step)
    if (mlp26_train_step(m, 8, x, t, &loss) != 0)
      return 1;
  if (mlp26_predict(m, 1, x, y) != 0)
    return 1;
  printf("{\"y\": [[%.9g, %.9g]]}\n", y[0], y[1]);
  int64_t count = 0;
  int dtype = -1;
  float *w1 = (float *)mlp26_param(m, "W1", &count, &dtype);
  if (!w1 || count != 12 || dtype != 0)
    return 2;
  mlp26_destroy(m);
  return 0;
}
