/*===- threads.c - the per-model worker pool behind nnrt_parallel_for ------===*
 *
 * Each model owns a pool of `threads - 1` workers plus the calling thread.
 * Work is split into contiguous, equal chunks by index, never stolen, so the
 * same call computes the same thing in the same order whatever the timing;
 * kernels that split only independent outputs are therefore bit-identical
 * for every thread count. Every participant also owns a scratch buffer
 * (packing space for matrix kernels), allocated once with the pool so that
 * a training step allocates nothing.
 *
 * Jobs of one step come tens of microseconds apart (a recurrent layer runs
 * a few small products per time step), and waking a sleeping thread costs
 * about as much. So a worker that finished a job spins a while for the next
 * before it sleeps, and the caller spins a while for the workers before it
 * sleeps: the sleeping (condition variables) is what happens between steps.
 *
 *===----------------------------------------------------------------------===*/
#define _GNU_SOURCE
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct nnrt_pool {
  int threads;
  pthread_t *workers;
  void **scratch; /* one per participant, NNRT_SCRATCH_BYTES each */
  pthread_mutex_t lock;
  pthread_cond_t start, done;
  /* generation, pending and quit are written under the lock and read
   * without it while spinning (hence the __atomic accesses). */
  uint64_t generation; /* bumped for every job; workers wait for a change */
  int pending;         /* workers still running the current job */
  int quit;
  nnrt_task_fn fn;
  void *ctx;
  int64_t n;
};

/* The pool of the model whose entry this thread is running. */
static _Thread_local nnrt_pool *current_pool;

int nnrt_default_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

/* How long a thread spins before it sleeps: 0.5 ms. A training step has
 * serial stretches of 0.1-0.5 ms between its parallel loops (the batch
 * gather, a small layer's loops): a worker that slept through one costs a
 * wake-up (a futex call, and on a VM an interrupt to a halted CPU) at the
 * next. Measured as time, because a pause instruction takes 20 ns on one
 * CPU and 140 cycles on another. */
#define SPIN_NS 500000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* One round of a spin that began at `start`: 0 once SPIN_NS have passed
 * (the clock is read every 64 rounds). */
static inline int keep_spinning(uint64_t start, unsigned *round) {
  cpu_relax();
  return (++*round & 63) != 0 || now_ns() - start < SPIN_NS;
}

/* Participant `who` of `threads` takes chunk [begin, end) of n. */
NNRT_CALLS_GENERATED_CODE static void run_chunk(nnrt_pool *p, int who) {
  int64_t begin = p->n * who / p->threads, end = p->n * (who + 1) / p->threads;
  if (begin < end)
    p->fn(p->ctx, begin, end, p->scratch[who]);
}

static void *worker_main(void *arg) {
  nnrt_pool *p = ((void **)arg)[0];
  int who = (int)(intptr_t)((void **)arg)[1];
  free(arg);
  uint64_t seen = 0;
  for (;;) {
    uint64_t start = now_ns();
    unsigned round = 0;
    while (__atomic_load_n(&p->generation, __ATOMIC_ACQUIRE) == seen &&
           !__atomic_load_n(&p->quit, __ATOMIC_RELAXED) && keep_spinning(start, &round))
      ;
    pthread_mutex_lock(&p->lock);
    while (p->generation == seen && !p->quit)
      pthread_cond_wait(&p->start, &p->lock);
    if (p->quit)
      break;
    seen = p->generation;
    pthread_mutex_unlock(&p->lock);
    run_chunk(p, who);
    pthread_mutex_lock(&p->lock);
    if (__atomic_sub_fetch(&p->pending, 1, __ATOMIC_RELEASE) == 0)
      pthread_cond_signal(&p->done);
    pthread_mutex_unlock(&p->lock);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

nnrt_pool *nnrt_pool_create(int threads) {
  if (threads <= 0)
    threads = nnrt_default_threads();
  nnrt_pool *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->threads = threads;
  p->scratch = calloc((size_t)threads, sizeof(void *));
  p->workers = calloc((size_t)threads, sizeof(pthread_t));
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->start, NULL);
  pthread_cond_init(&p->done, NULL);
  if (!p->scratch || !p->workers) {
    nnrt_pool_destroy(p);
    return NULL;
  }
  for (int i = 0; i < threads; ++i)
    if (posix_memalign(&p->scratch[i], 64, NNRT_SCRATCH_BYTES) != 0) {
      p->scratch[i] = NULL;
      p->threads = 1; /* nothing started yet: destroy joins no one */
      nnrt_pool_destroy(p);
      return NULL;
    }
  for (int i = 1; i < threads; ++i) {
    void **arg = malloc(2 * sizeof(void *));
    if (!arg || (arg[0] = p, arg[1] = (void *)(intptr_t)i,
                 pthread_create(&p->workers[i], NULL, worker_main, arg) != 0)) {
      free(arg);
      p->threads = i; /* join only the workers that started */
      nnrt_pool_destroy(p);
      return NULL;
    }
  }
  return p;
}

void nnrt_pool_destroy(nnrt_pool *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  __atomic_store_n(&p->quit, 1, __ATOMIC_RELAXED);
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->lock);
  for (int i = 1; i < p->threads; ++i)
    pthread_join(p->workers[i], NULL);
  if (p->scratch)
    for (int i = 0; i < p->threads; ++i)
      free(p->scratch[i]);
  free(p->scratch);
  free(p->workers);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->start);
  pthread_cond_destroy(&p->done);
  free(p);
}

int nnrt_pool_threads(const nnrt_pool *p) { return p ? p->threads : 1; }

nnrt_pool *nnrt_pool_enter(nnrt_pool *p) {
  nnrt_pool *previous = current_pool;
  current_pool = p;
  return previous;
}

int nnrt_in_entry(void) { return current_pool != NULL; }

NNRT_CALLS_GENERATED_CODE void nnrt_serial_for(int64_t n, nnrt_task_fn fn, void *ctx) {
  nnrt_pool *p = current_pool;
  if (n <= 0)
    return;
  if (!p) {
    nnrt_set_error("nnrt_serial_for called outside a model entry");
    abort();
  }
  fn(ctx, 0, n, p->scratch[0]);
}

NNRT_CALLS_GENERATED_CODE void nnrt_parallel_for(int64_t n, nnrt_task_fn fn, void *ctx) {
  nnrt_pool *p = current_pool;
  if (n <= 0)
    return;
  if (!p) { /* not inside a model's entry: nothing to run it with */
    nnrt_set_error("nnrt_parallel_for called outside a model entry");
    abort();
  }
  if (p->threads == 1 || n == 1) {
    fn(ctx, 0, n, p->scratch[0]);
    return;
  }
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  __atomic_store_n(&p->pending, p->threads - 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&p->generation, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->lock);
  run_chunk(p, 0);
  uint64_t start = now_ns();
  unsigned round = 0;
  while (__atomic_load_n(&p->pending, __ATOMIC_ACQUIRE) > 0 && keep_spinning(start, &round))
    ;
  pthread_mutex_lock(&p->lock);
  while (p->pending > 0)
    pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
}
