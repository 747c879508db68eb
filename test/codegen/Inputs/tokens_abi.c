/* Token ids through the C ABI: int32_t per position. An id outside 0..3 is
 * refused by the runtime with a message naming the sample (it used to read
 * a row of zeros); valid ids embed and train. */
#include "tok.h"

#include <stdio.h>

int main(void) {
  tok *m = tok_create(1);
  if (!m)
    return 1;
  const int32_t tokens[6] = {1, 3, 0, 2, 1, 3};
  float y[12];
  if (tok_predict(m, 2, tokens, y) != 0)
    return 1;
  for (int i = 0; i < 12; ++i)
    printf("%g%s", y[i], i % 2 ? "\n" : " ");
  const int32_t outside[6] = {1, 3, 0, 2, 99, -5};
  int rc = tok_predict(m, 2, outside, y);
  printf("ids 99, -5: rc %d: %s\n", rc, tok_error(m));
  const int32_t labels[2] = {0, 1};
  float loss = 0;
  if (tok_train_step(m, 2, tokens, labels, &loss) != 0)
    return 1;
  printf("loss finite %d\n", loss == loss && loss < 1e30f);
  tok_destroy(m);
  return 0;
}
