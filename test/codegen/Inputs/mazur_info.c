/* PREFIX_info, PREFIX_num_params and PREFIX_set_threads of the Mazur model. */
#include "mazur.h"

#include <stdio.h>

int main(void) {
  int count = 0;
  const mazur_tensor_info *info = mazur_info(&count);
  for (int i = 0; i < count; ++i) {
    printf("%s %s dtype %d batched %d shape [", info[i].kind, info[i].name,
           info[i].dtype, info[i].batched);
    for (int d = 0; d < info[i].rank; ++d)
      printf("%s%lld", d ? ", " : "", (long long)info[i].dims[d]);
    printf("]\n");
  }
  printf("num_params %lld\n", (long long)mazur_num_params());
  mazur *m = mazur_create(1);
  if (!m)
    return 1;
  printf("set_threads 2: %d\n", mazur_set_threads(m, 2));
  int rc = mazur_set_threads(m, -1);
  printf("set_threads -1: %d %s\n", rc, mazur_error(m));
  const double x[2] = {0.05, 0.10};
  double o[2];
  rc = mazur_predict(m, 1, x, o);
  printf("predict %d %.9f %.9f\n", rc, o[0], o[1]);
  mazur_destroy(m);
  return 0;
}
