/*===- internal.h - libnnrt helpers shared between its source files -------===*
 *
 * Not installed and not part of the ABI: only the runtime's own files and its
 * unit tests include this.
 *
 *===----------------------------------------------------------------------===*/
#ifndef NNRT_INTERNAL_H
#define NNRT_INTERNAL_H

#include "nnrt.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Size of every error buffer (thread-local and per model), with the NUL. */
#define NNRT_ERROR_SIZE 512

#if defined(__GNUC__) || defined(__clang__)
#define NNRT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NNRT_PRINTF(f, a)
#endif

/* On a function that calls generated code through a pointer (entry points,
 * tasks, mask kernels): UBSan's -fsanitize=function check reads the 8 bytes
 * before the callee for its type signature, which generated code never has,
 * and a function at the start of a JIT segment has an unmapped page there. */
#if defined(__clang__)
#define NNRT_CALLS_GENERATED_CODE __attribute__((no_sanitize("function")))
#else
#define NNRT_CALLS_GENERATED_CODE
#endif

/* One carried state tensor (carried.c): max_batch rows of row_bytes. */
typedef struct nnrt_carried {
  const char *name;
  int32_t dtype;
  int64_t row_bytes;
  void *rows; /* what the next call reads (NNRT_ARG_STATE_IN) */
  void *next; /* what the running call writes (NNRT_ARG_STATE_OUT) */
} nnrt_carried;

/* A model instance: the state block (parameters, optimizer state) and the
 * workspace sized for batches up to max_batch. */
struct nnrt_model {
  const nnrt_model_desc *desc;
  void *state;
  void *workspace;
  int64_t max_batch;
  nnrt_pool *pool; /* workers + scratch used by the generated kernels */
  int64_t first_sample; /* global index of the batch's first sample (dropout) */
  uint32_t *vocab;      /* text models: token i is code point vocab[i] (malloc'd) */
  int64_t vocab_size;
  int state_populated; /* populate_state_for_updates ran */
  int has_early_stop;          /* a STOP record to save (nnc train --early-stop) */
  nnrt_early_stop early_stop;
  nnrt_carried *carried; /* carried state, num_carried of them (carried.c) */
  int32_t num_carried;
  void **bound; /* an entry's arguments with the carried state put in */
  char error[NNRT_ERROR_SIZE];
};

/* Replaces the file `path` names (through symbolic links) with `data`
 * atomically (atomic_file.c); NNRT_OK, or a status with `message` set. */
int nnrt_write_file_atomic(const char *path, const void *data, size_t size, char *message,
                           size_t message_size);

/* Carried state (carried.c). create allocates it (zeros) from the entries'
 * STATE_IN/STATE_OUT arguments, or returns a status (error set); bind gives
 * the argument array the entry runs with; commit makes the STATE_OUT rows
 * of a successful run the next STATE_IN; find looks one up by name. */
int nnrt_carried_create(nnrt_model *m);
void nnrt_carried_destroy(nnrt_model *m);
void *const *nnrt_carried_bind(nnrt_model *m, const nnrt_entry_desc *en, void *const *args);
void nnrt_carried_commit(nnrt_model *m, const nnrt_entry_desc *en, int64_t batch);
void *nnrt_carried_find(nnrt_model *m, const char *name, int64_t *count, int *dtype);

/* Worker pools (threads.c). A pool of n threads runs n-1 workers plus the
 * caller; each participant has NNRT_SCRATCH_BYTES of scratch. threads <= 0
 * means one per online CPU. NULL when out of memory or threads. */
nnrt_pool *nnrt_pool_create(int threads);
void nnrt_pool_destroy(nnrt_pool *p);
int nnrt_pool_threads(const nnrt_pool *p);
int nnrt_default_threads(void);
/* Makes p the pool nnrt_parallel_for uses on this thread; returns the
 * previous one, to be restored after the entry. */
nnrt_pool *nnrt_pool_enter(nnrt_pool *p);
/* 1 on a thread running a model's entry (nnrt_parallel_for may be called). */
int nnrt_in_entry(void);

/* Where the running entry's batch starts in the global batch, for
 * nnrt_dropout_mask (rng.c); set around each entry call by model.c. */
void nnrt_dropout_position(int64_t first_sample, int64_t batch);

/* Records a failure on the model and as this thread's last error; returns
 * `status`. */
int nnrt_model_fail(nnrt_model *m, int status, const char *fmt, ...) NNRT_PRINTF(3, 4);

/* Formats a message into this thread's last-error buffer (truncated to fit). */
void nnrt_set_error(const char *fmt, ...) NNRT_PRINTF(1, 2);

/* How many comma-separated features of `required` are not in `available`;
 * their names go to `missing` (", "-separated, truncated to `size`). */
int nnrt_cpu_missing(const char *required, const char *available,
                     char *missing, size_t size);

/* One Philox4x32-10 block: out = philox(ctr, key). out may not alias ctr. */
void nnrt_philox4x32(const uint32_t ctr[4], const uint32_t key[2],
                     uint32_t out[4]);

/* Draws behind the initialisers. Element `index` of stream `stream` always
 * gets the same value for a given seed, whatever order elements are drawn in.
 * The stream is 32 bits here because the high counter word carries the
 * block number of the normal draws (attempts of the truncated normal). */
double nnrt_philox_normal(uint64_t seed, uint32_t stream, uint64_t index);
/* Standard normal redrawn while |z| >= 2, as TensorFlow's truncated_normal. */
double nnrt_philox_truncated_normal(uint64_t seed, uint32_t stream,
                                    uint64_t index);

#ifdef __cplusplus
}
#endif
#endif /* NNRT_INTERNAL_H */
