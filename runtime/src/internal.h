/*===- internal.h - libnnrt helpers shared between its source files -------===*
 *
 * Not installed and not part of the ABI: only the runtime's own files and its
 * unit tests include this.
 *
 *===----------------------------------------------------------------------===*/
#ifndef NNRT_INTERNAL_H
#define NNRT_INTERNAL_H

#include "nnrt.h"

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

/* A model instance: the state block (parameters, optimizer state) and the
 * workspace sized for batches up to max_batch. */
struct nnrt_model {
  const nnrt_model_desc *desc;
  void *state;
  void *workspace;
  int64_t max_batch;
  char error[NNRT_ERROR_SIZE];
};

/* Records a failure on the model and as this thread's last error; returns
 * `status`. */
int nnrt_model_fail(nnrt_model *m, int status, const char *fmt, ...) NNRT_PRINTF(3, 4);

/* Formats a message into this thread's last-error buffer (truncated to fit). */
void nnrt_set_error(const char *fmt, ...) NNRT_PRINTF(1, 2);

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
