/* A C program drives a `per: epoch` schedule (docs/embedding.md): it writes
 * the number of epochs completed into the f64 state tensor optimizer.epoch
 * before an epoch's steps, and train_step's lr follows. */
#include "epoch.h"

#include <stdio.h>

int main(void) {
  epoch_abi *m = epoch_abi_create(1);
  int64_t count = 0;
  int dtype = -1;
  double *epoch = epoch_abi_param(m, "optimizer.epoch", &count, &dtype);
  double *w = epoch_abi_param(m, "w", NULL, NULL);
  if (!m || !epoch || !w)
    return 1;
  printf("optimizer.epoch: %lld element, dtype %d, starts at %g\n", (long long)count, dtype, *epoch);
  const double x = 1, t = 0;
  double loss, before;
  for (int e = 0; e < 4; ++e) {
    *epoch = e; /* epochs completed before this one */
    before = *w;
    if (epoch_abi_train_step(m, 1, &x, &t, &loss) != 0)
      return 1;
    printf("epoch %d: w moved by %g\n", e, before - *w);
  }
  /* Without a write the schedule stays where the caller left it. */
  before = *w;
  epoch_abi_train_step(m, 1, &x, &t, &loss);
  printf("again: w moved by %g\n", before - *w);
  epoch_abi_destroy(m);
  return 0;
}
