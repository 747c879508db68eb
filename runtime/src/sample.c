/*===- sample.c - drawing the next token from logits -----------------------===*
 *
 * What nnc generate does per generated token, callable from a program that
 * embeds a compiled text model: temperature, top-k, then one draw from the
 * softmax with the model's counter-based generator, so a (seed, step) pair
 * gives the same token on every machine.
 *
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include <math.h>
#include <stdlib.h>

/* Philox stream of the draws: apart from parameter initialisation's. */
static const uint64_t kSampleStream = 0x53414D504C45ull; /* "SAMPLE" */

static double logit_at(const void *logits, int32_t dtype, int64_t i) {
  return dtype == NNRT_F64 ? ((const double *)logits)[i] : (double)((const float *)logits)[i];
}

/* The k-th largest value of x[0..n) (k in 1..n), by a partial selection on a copy. */
static double kth_largest(const double *x, int64_t n, int64_t k, double *work) {
  for (int64_t i = 0; i < n; ++i)
    work[i] = x[i];
  int64_t lo = 0, hi = n - 1, want = k - 1; /* index in descending order */
  while (lo < hi) {
    double pivot = work[(lo + hi) / 2];
    int64_t i = lo, j = hi;
    while (i <= j) {
      while (work[i] > pivot)
        ++i;
      while (work[j] < pivot)
        --j;
      if (i <= j) {
        double t = work[i];
        work[i] = work[j];
        work[j] = t;
        ++i;
        --j;
      }
    }
    if (want <= j)
      hi = j;
    else if (want >= i)
      lo = i;
    else
      break;
  }
  return work[want];
}

int64_t nnrt_sample_logits(const void *logits, int32_t dtype, int64_t count, double temperature,
                           int64_t top_k, uint64_t seed, uint64_t step) {
  if (!logits || count <= 0 || (dtype != NNRT_F32 && dtype != NNRT_F64) || !(temperature >= 0) ||
      !isfinite(temperature)) {
    nnrt_set_error("nnrt_sample_logits: bad arguments (count %lld, dtype %d, temperature %g)",
                   (long long)count, (int)dtype, temperature);
    return -1;
  }
  double *x = (double *)malloc(sizeof(double) * 2 * (size_t)count);
  if (!x) {
    nnrt_set_error("out of memory");
    return -1;
  }
  double top = -INFINITY;
  int64_t best = 0;
  for (int64_t i = 0; i < count; ++i) {
    x[i] = logit_at(logits, dtype, i);
    if (!isfinite(x[i])) {
      free(x);
      nnrt_set_error("nnrt_sample_logits: logit %lld is not finite", (long long)i);
      return -1;
    }
    if (x[i] > top) {
      top = x[i];
      best = i;
    }
  }
  if (temperature == 0) {
    free(x);
    return best;
  }
  /* nanoGPT's top-k: logits below the k-th largest are dropped (ties kept). */
  double floor_ = top_k > 0 && top_k < count ? kth_largest(x, count, top_k, x + count) : -INFINITY;
  double total = 0;
  for (int64_t i = 0; i < count; ++i) {
    x[i] = x[i] >= floor_ ? exp((x[i] - top) / temperature) : 0.0;
    total += x[i];
  }
  double u = nnrt_philox_uniform(seed, kSampleStream, step) * total, sum = 0;
  int64_t pick = best;
  for (int64_t i = 0; i < count; ++i) {
    if (x[i] == 0)
      continue;
    sum += x[i];
    pick = i;
    if (u < sum)
      break;
  }
  free(x);
  return pick;
}
