/*===- nnrt_mpi.h - data-parallel training over MPI (libnnrt_mpi) ---------===*
 *
 * A thin layer over MPI_COMM_WORLD for hosts that train one compiled model
 * on many processes (docs/distributed.md). It lives in its own library,
 * libnnrt_mpi, so libnnrt stays free of MPI; link with both and with MPI
 * (mpicc does the latter). Every function is collective except rank/size:
 * all ranks call it in the same order. Each returns 0 (NNRT_OK) or a
 * non-zero status with the reason in nnrt_last_error().
 *
 * A data-parallel step with a model compiled with `nnc compile --split-step`:
 *     PREFIX_grads(m, local_batch, ..., grads);   forward + backward
 *     nnrt_mpi_allreduce_mean(grads, n, dtype);   one MPI_Allreduce
 *     PREFIX_apply(m, grads);                     optimizer update
 *
 *===----------------------------------------------------------------------===*/
#ifndef NNRT_MPI_H
#define NNRT_MPI_H

#include "nnrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** MPI_Init (unless MPI is already initialised); argc/argv may be NULL. */
int nnrt_mpi_init(int *argc, char ***argv);
/** This process's rank in MPI_COMM_WORLD and the number of ranks; 0 and 1
 *  before nnrt_mpi_init. */
int nnrt_mpi_rank(void);
int nnrt_mpi_size(void);
/** Copies rank 0's whole state block (parameters, optimizer state, step
 *  counter) to every rank, so all ranks start from the same model. */
int nnrt_mpi_broadcast_state(nnrt_model *m);
/** Element-wise sum over all ranks of `count` elements of `dtype`
 *  (NNRT_F32 or NNRT_F64), in place, with one MPI_Allreduce; _mean then
 *  divides by the number of ranks. For a fixed number of ranks and the same
 *  placement, Open MPI's reduction order is fixed, so repeated runs give
 *  identical bits (docs/distributed.md says what the tests check). */
int nnrt_mpi_allreduce_sum(void *buf, int64_t count, int32_t dtype);
int nnrt_mpi_allreduce_mean(void *buf, int64_t count, int32_t dtype);
int nnrt_mpi_barrier(void);
/** Ends the whole job (all ranks) with `code`: for a failure on one rank. */
void nnrt_mpi_abort(int code);
/** MPI_Finalize, if this library initialised MPI. */
int nnrt_mpi_finalize(void);

#ifdef __cplusplus
}
#endif
#endif /* NNRT_MPI_H */
