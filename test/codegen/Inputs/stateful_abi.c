/* Carried state through the C ABI: two predict calls of 3 steps each give
 * what one call over all 6 steps gives, row by row (each batch row its own
 * stream); stream_reset_state starts over; train_step carries state too and
 * stream_param exposes it by name. */
#include "stream.h"
#include "whole.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { B = 2, T = 6, H = 4 };

static double maxdiff(const double *a, const double *b, int n) {
  double d = 0;
  for (int i = 0; i < n; ++i)
    d = fmax(d, fabs(a[i] - b[i]));
  return d;
}

int main(void) {
  stream *s = stream_create(7);
  whole *w = whole_create(7);
  if (!s || !w) {
    printf("create failed: %s\n", nnrt_last_error());
    return 1;
  }
  double x[B][T][2], halves[2][B][3][2];
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      for (int k = 0; k < 2; ++k) {
        x[b][t][k] = sin(1.0 + b * 0.7 + t * 0.3 + k * 1.1);
        halves[t / 3][b][t % 3][k] = x[b][t][k];
      }
  double full[B][T][H], part[2][B][3][H];
  if (whole_predict(w, B, &x[0][0][0], &full[0][0][0]) ||
      stream_predict(s, B, &halves[0][0][0][0], &part[0][0][0][0]) ||
      stream_predict(s, B, &halves[1][0][0][0], &part[1][0][0][0])) {
    printf("predict failed: %s\n", stream_error(s));
    return 1;
  }
  double joined[B][T][H];
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      memcpy(joined[b][t], part[t / 3][b][t % 3], sizeof joined[b][t]);
  printf("two calls vs one: %s\n",
         maxdiff(&joined[0][0][0], &full[0][0][0], B * T * H) < 1e-14 ? "same" : "DIFFERENT");
  printf("second call differs from a fresh start: %s\n",
         maxdiff(&part[1][0][0][0], &part[0][0][0][0], B * 3 * H) > 1e-3 ? "yes" : "no");

  /* h_n of layer 1 (row 1 of h.h_n) is the last output. */
  int64_t count = 0;
  int dtype = -1;
  const double *hn = stream_param(s, "h.h_n", &count, &dtype);
  printf("h.h_n: %lld elements, dtype %d, last output %s\n", (long long)count, dtype,
         hn && maxdiff(hn + 1 * H, full[0][T - 1], H) < 1e-14 ? "matches" : "DIFFERS");

  double again[B][3][H];
  stream_reset_state(s);
  stream_predict(s, B, &halves[0][0][0][0], &again[0][0][0]);
  printf("after reset: %s\n",
         maxdiff(&again[0][0][0], &part[0][0][0][0], B * 3 * H) == 0 ? "as the first call" : "DIFFERENT");

  /* train_step reads and writes the state too: from a reset, its state
   * afterwards is the forward pass's (taken before the weights move). */
  double y[B][3][H] = {{{0}}}, loss = 0;
  stream_reset_state(s);
  if (stream_train_step(s, B, &halves[0][0][0][0], &y[0][0][0], &loss)) {
    printf("train_step failed: %s\n", stream_error(s));
    return 1;
  }
  printf("train_step loss %.10f, state after it matches predict's: %s\n", loss,
         maxdiff(hn + 1 * H, part[0][0][2], H) < 1e-14 ? "yes" : "no");
  stream_destroy(s);
  whole_destroy(w);
  return 0;
}
