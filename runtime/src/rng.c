/*===- rng.c - Philox4x32-10 counter-based generator ---------------------===*
 *
 * Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3"
 * (SC 2011), with the constants of the Random123 library. Being counter-based,
 * every draw is a pure function of (seed, stream, index): initialisation gives
 * the same tensors on every machine, in every order, with any threading.
 *
 *===----------------------------------------------------------------------===*/
#include "nnrt.h"
#include "internal.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */
#define PHILOX_ROUNDS 10

/* Not M_PI: that is POSIX, not C11. */
static const double two_pi = 6.28318530717958647692;

static void mulhilo32(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo) {
  uint64_t p = (uint64_t)a * b;
  *hi = (uint32_t)(p >> 32);
  *lo = (uint32_t)p;
}

void nnrt_philox4x32(const uint32_t ctr[4], const uint32_t key[2],
                     uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int r = 0; r < PHILOX_ROUNDS; ++r) {
    if (r > 0) { /* the key schedule: bump before every round but the first */
      k0 += PHILOX_W0;
      k1 += PHILOX_W1;
    }
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo32(PHILOX_M0, c0, &hi0, &lo0);
    mulhilo32(PHILOX_M1, c2, &hi1, &lo1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* The block for (seed, index, stream words): key = seed, counter = (index
 * low, index high, s2, s3). */
static void block(uint64_t seed, uint64_t index, uint32_t s2, uint32_t s3,
                  uint32_t out[4]) {
  const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  const uint32_t ctr[4] = {(uint32_t)index, (uint32_t)(index >> 32), s2, s3};
  nnrt_philox4x32(ctr, key, out);
}

/* The top 53 bits of the 64-bit word hi:lo, scaled to [0, 1): every double
 * this can return is exact, and 1.0 is unreachable. */
static double to_unit(uint32_t hi, uint32_t lo) {
  uint64_t bits = ((uint64_t)hi << 32 | lo) >> 11;
  return (double)bits * 0x1.0p-53;
}

double nnrt_philox_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  uint32_t out[4];
  block(seed, index, (uint32_t)stream, (uint32_t)(stream >> 32), out);
  return to_unit(out[0], out[1]);
}

/* Box-Muller on one block: its 128 bits give two 53-bit uniforms, hence two
 * independent standard normals, r cos(theta) and r sin(theta). Block 0 of a
 * stream is the block the uniform draw of the same (stream, index) uses, so
 * words 2..3 of the counter are (stream, block number) here. The sine is
 * computed only when it is used (glibc's cos and sin give the bits its sincos
 * gives): drawing normals is most of a large model's initialisation. */
typedef struct {
  double r, theta;
} polar;

/* Not inlined, so that the compiler does not merge it with the cosine into
 * one sincos call made for every draw. */
__attribute__((noinline)) static double second_normal(polar p) { return p.r * sin(p.theta); }

static polar normal_pair(uint64_t seed, uint32_t stream, uint64_t index, uint32_t blk) {
  uint32_t out[4];
  block(seed, index, stream, blk, out);
  double u1 = 1.0 - to_unit(out[0], out[1]); /* (0, 1]: log(u1) is finite */
  double u2 = to_unit(out[2], out[3]);
  polar p = {sqrt(-2.0 * log(u1)), two_pi * u2};
  return p;
}

double nnrt_philox_normal(uint64_t seed, uint32_t stream, uint64_t index) {
  polar p = normal_pair(seed, stream, index, 0);
  return p.r * cos(p.theta);
}

double nnrt_philox_truncated_normal(uint64_t seed, uint32_t stream,
                                    uint64_t index) {
  /* Attempt 2b uses the cosine and attempt 2b+1 the sine of block b, so the
   * attempt number is part of the counter and the result stays a pure
   * function of (seed, stream, index). Each attempt is rejected with
   * probability 0.0455: the loop ends after one block almost always. */
  for (uint32_t blk = 0; blk < UINT32_MAX; ++blk) {
    polar p = normal_pair(seed, stream, index, blk);
    double z0 = p.r * cos(p.theta);
    if (fabs(z0) < 2.0)
      return z0;
    double z1 = second_normal(p);
    if (fabs(z1) < 2.0)
      return z1;
  }
  return 0.0; /* unreachable in practice: 2^33 rejections in a row */
}

/* The calling thread's entry: its batch and where it starts globally. */
static _Thread_local int64_t dropout_first, dropout_batch;

void nnrt_dropout_position(int64_t first_sample, int64_t batch) {
  dropout_first = first_sample;
  dropout_batch = batch;
}

typedef struct {
  void *out;
  int32_t dtype;
  int64_t count;
  double keep, scale;
  uint64_t seed, stream, base, threshold;
  nnrt_mask_kernel kernel;
} mask_job;

/* Elements [begin, end) chunks of kMaskChunk of a mask: each a pure function
 * of its counter, so any split gives the same bits. */
enum { kMaskChunk = 4096 };

NNRT_CALLS_GENERATED_CODE static void mask_chunks(void *ctx, int64_t begin, int64_t end, void *scratch) {
  (void)scratch;
  const mask_job *j = (const mask_job *)ctx;
  int64_t last = end * kMaskChunk < j->count ? end * kMaskChunk : j->count;
  if (j->kernel) {
    j->kernel(j->out, begin * kMaskChunk, last, j->seed, j->stream, j->base, j->threshold, j->scale);
    return;
  }
  /* Without a generated kernel (objects built before it existed): the
   * same draw, one counter at a time. */
  for (int64_t i = begin * kMaskChunk; i < last; ++i) {
    double v = nnrt_philox_uniform(j->seed, j->stream, j->base + (uint64_t)i) < j->keep ? j->scale : 0.0;
    if (j->dtype == NNRT_F32)
      ((float *)j->out)[i] = (float)v;
    else
      ((double *)j->out)[i] = v;
  }
}

void nnrt_dropout_mask_with(void *out, int32_t dtype, int64_t count, double rate,
                            uint64_t seed, uint64_t stream, nnrt_mask_kernel kernel) {
  mask_job j = {out, dtype, count, 1.0 - rate, 0, seed, stream, 0, 0, kernel};
  j.scale = j.keep > 0 ? 1.0 / j.keep : 0.0;
  /* to_unit(w0, w1) < keep, in integers: the top 53 bits of w0:w1 are below
   * keep * 2^53, i.e. below its ceiling (exact: both sides are scaled by a
   * power of two). */
  j.threshold = (uint64_t)ceil(ldexp(j.keep, 53));
  /* Element i of sample s is drawn at counter (first + s) * per_sample + i,
   * so a rank that holds samples first.. of the global batch draws what a
   * single process would for them (docs/distributed.md). */
  if (dropout_first > 0 && dropout_batch > 0 && count % dropout_batch == 0)
    j.base = (uint64_t)dropout_first * (uint64_t)(count / dropout_batch);
  int64_t chunks = (count + kMaskChunk - 1) / kMaskChunk;
  /* Drawing is the costly part of dropout (Philox per element): the
   * model's threads share it when the generated code calls from an entry. */
  if (chunks > 1 && nnrt_in_entry())
    nnrt_parallel_for(chunks, mask_chunks, &j);
  else
    mask_chunks(&j, 0, chunks, NULL);
}

void nnrt_dropout_mask(void *out, int32_t dtype, int64_t count, double rate,
                       uint64_t seed, uint64_t stream) {
  nnrt_dropout_mask_with(out, dtype, count, rate, seed, stream, NULL);
}
