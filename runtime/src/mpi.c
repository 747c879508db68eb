/*===- mpi.c - libnnrt_mpi: MPI_COMM_WORLD collectives for training -------===*/
#include "nnrt_mpi.h"
#include "internal.h"

#include <mpi.h>
#include <string.h>

static int owns_mpi; /* 1 when nnrt_mpi_init called MPI_Init */

static int started(void) {
  int flag = 0, done = 0;
  MPI_Initialized(&flag);
  MPI_Finalized(&done);
  return flag && !done;
}

/* A failed MPI call: its message as this thread's last error. */
static int fail(const char *what, int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
    strcpy(text, "unknown MPI error");
  nnrt_set_error("%s failed: %s", what, text);
  return NNRT_EIO;
}

int nnrt_mpi_init(int *argc, char ***argv) {
  if (started())
    return NNRT_OK;
  /* SERIALIZED: hosts may call from a thread other than main (nnc runs on
   * a big-stack thread); kernel worker threads never call MPI. */
  int provided = 0;
  int rc = MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
  if (rc != MPI_SUCCESS)
    return fail("MPI_Init_thread", rc);
  owns_mpi = 1;
  /* Errors come back as codes, so the caller can say what failed. A dead
   * peer still ends the job: mpirun kills the others. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  return NNRT_OK;
}

int nnrt_mpi_rank(void) {
  int r = 0;
  if (started())
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int nnrt_mpi_size(void) {
  int n = 1;
  if (started())
    MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

/* MPI counts are int: large buffers go in chunks of at most 2^30. */
#define CHUNK (INT64_C(1) << 30)

int nnrt_mpi_broadcast_state(nnrt_model *m) {
  if (!m) {
    nnrt_set_error("model is NULL");
    return NNRT_EINVAL;
  }
  char *p = m->state;
  for (int64_t left = m->desc->state_bytes; left > 0; left -= CHUNK, p += CHUNK) {
    int n = (int)(left < CHUNK ? left : CHUNK);
    int rc = MPI_Bcast(p, n, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
      return fail("MPI_Bcast of the model state", rc);
  }
  return NNRT_OK;
}

int nnrt_mpi_allreduce_sum(void *buf, int64_t count, int32_t dtype) {
  if (!buf || count < 0 || (dtype != NNRT_F32 && dtype != NNRT_F64)) {
    nnrt_set_error("all-reduce needs a buffer of float or double");
    return NNRT_EINVAL;
  }
  MPI_Datatype t = dtype == NNRT_F32 ? MPI_FLOAT : MPI_DOUBLE;
  char *p = buf;
  int64_t size = nnrt_dtype_size(dtype);
  for (int64_t left = count; left > 0; left -= CHUNK, p += CHUNK * size) {
    int n = (int)(left < CHUNK ? left : CHUNK);
    int rc = MPI_Allreduce(MPI_IN_PLACE, p, n, t, MPI_SUM, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
      return fail("MPI_Allreduce of the gradients", rc);
  }
  return NNRT_OK;
}

int nnrt_mpi_allreduce_mean(void *buf, int64_t count, int32_t dtype) {
  int rc = nnrt_mpi_allreduce_sum(buf, count, dtype);
  if (rc != NNRT_OK)
    return rc;
  int n = nnrt_mpi_size();
  if (n == 1)
    return NNRT_OK;
  /* Multiplying by 1/n would round twice; a division rounds once. */
  if (dtype == NNRT_F32)
    for (int64_t i = 0; i < count; ++i)
      ((float *)buf)[i] /= (float)n;
  else
    for (int64_t i = 0; i < count; ++i)
      ((double *)buf)[i] /= (double)n;
  return NNRT_OK;
}

int nnrt_mpi_barrier(void) {
  if (!started())
    return NNRT_OK;
  int rc = MPI_Barrier(MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? NNRT_OK : fail("MPI_Barrier", rc);
}

void nnrt_mpi_abort(int code) {
  if (started())
    MPI_Abort(MPI_COMM_WORLD, code);
}

int nnrt_mpi_finalize(void) {
  if (!owns_mpi || !started())
    return NNRT_OK;
  owns_mpi = 0;
  int rc = MPI_Finalize();
  return rc == MPI_SUCCESS ? NNRT_OK : fail("MPI_Finalize", rc);
}
