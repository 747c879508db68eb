/* Measured FP32 peak: every thread runs ACC independent chains of fused
 * multiply-adds (more chains than FMA latency x FMA ports = 4 x 2, and few
 * enough to stay in the 16 registers AVX2 has), in an AVX-512 and an AVX2
 * variant chosen at run time. Usage and output:
 *   peak [THREADS] [REPS]  ->  lines "avx512 WALL CPU", "avx2 WALL CPU"
 * WALL: the best GFLOP/s by wall clock over REPS runs; CPU: the best flops
 * per CPU-second summed over the threads (what the cores do while they run,
 * whatever else shares the machine). One FMA is 2 flops per lane. */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ACC 12
#define ITERS 100000000L /* per thread and run: about 0.3 s at 2 FMA/cycle */

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile float sink;

/* One loop per vector type. The empty asm statements make every chain
   opaque to the compiler, so it can neither merge nor fold them; the chains
   are named variables, not an array, so they stay in registers. */
#define FMA_LOOP(NAME, TARGET, VEC, P)                                                       \
  __attribute__((target(TARGET))) static void NAME(void) {                                  \
    VEC a = P##_set1_ps(0.999999f), b = P##_set1_ps(1e-7f);                                 \
    VEC c0 = P##_set1_ps(0), c1 = P##_set1_ps(1), c2 = P##_set1_ps(2), c3 = P##_set1_ps(3), \
        c4 = P##_set1_ps(4), c5 = P##_set1_ps(5), c6 = P##_set1_ps(6), c7 = P##_set1_ps(7), \
        c8 = P##_set1_ps(8), c9 = P##_set1_ps(9), c10 = P##_set1_ps(10),                    \
        c11 = P##_set1_ps(11);                                                              \
    for (long n = 0; n < ITERS; ++n) {                                                      \
      c0 = P##_fmadd_ps(c0, a, b); c1 = P##_fmadd_ps(c1, a, b);                             \
      c2 = P##_fmadd_ps(c2, a, b); c3 = P##_fmadd_ps(c3, a, b);                             \
      c4 = P##_fmadd_ps(c4, a, b); c5 = P##_fmadd_ps(c5, a, b);                             \
      c6 = P##_fmadd_ps(c6, a, b); c7 = P##_fmadd_ps(c7, a, b);                             \
      c8 = P##_fmadd_ps(c8, a, b); c9 = P##_fmadd_ps(c9, a, b);                             \
      c10 = P##_fmadd_ps(c10, a, b); c11 = P##_fmadd_ps(c11, a, b);                         \
      __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5));    \
      __asm__ volatile("" : "+v"(c6), "+v"(c7), "+v"(c8), "+v"(c9), "+v"(c10), "+v"(c11));  \
    }                                                                                       \
    VEC s = P##_add_ps(P##_add_ps(P##_add_ps(c0, c1), P##_add_ps(c2, c3)),                  \
                       P##_add_ps(P##_add_ps(c4, c5), P##_add_ps(c6, c7)));                 \
    s = P##_add_ps(s, P##_add_ps(P##_add_ps(c8, c9), P##_add_ps(c10, c11)));                \
    float out[sizeof(VEC) / sizeof(float)];                                                 \
    P##_storeu_ps(out, s);                                                                  \
    sink = out[0];                                                                          \
  }

FMA_LOOP(loop512, "avx512f,fma", __m512, _mm512)
FMA_LOOP(loop256, "avx2,fma", __m256, _mm256)

typedef struct {
  void (*fn)(void);
  double cpu; /* out: CPU seconds this thread used */
} job;

static void *run_job(void *arg) {
  job *j = arg;
  double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
  j->fn();
  j->cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
  return NULL;
}

static void measure(const char *name, void (*fn)(void), int lanes, int threads, int reps) {
  double best = 0, best_cpu = 0;
  pthread_t tid[64];
  job jobs[64];
  double flops = 2.0 * lanes * ACC * (double)ITERS; /* per thread */
  for (int r = 0; r < reps; ++r) {
    double t0 = clock_s(CLOCK_MONOTONIC);
    for (int t = 0; t < threads; ++t) {
      jobs[t].fn = fn;
      pthread_create(&tid[t], NULL, run_job, &jobs[t]);
    }
    double cpu_rate = 0;
    for (int t = 0; t < threads; ++t) {
      pthread_join(tid[t], NULL);
      cpu_rate += flops / jobs[t].cpu / 1e9;
    }
    double wall_rate = flops * threads / (clock_s(CLOCK_MONOTONIC) - t0) / 1e9;
    if (wall_rate > best)
      best = wall_rate;
    if (cpu_rate > best_cpu)
      best_cpu = cpu_rate;
  }
  printf("%s %.1f %.1f\n", name, best, best_cpu);
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  if (threads < 1 || threads > 64 || reps < 1) {
    fprintf(stderr, "usage: peak [THREADS 1..64] [REPS]\n");
    return 1;
  }
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    measure("avx512", loop512, 16, threads, reps);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    measure("avx2", loop256, 8, threads, reps);
  return 0;
}
