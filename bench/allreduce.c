/* Times nnrt_mpi_allreduce_mean (one MPI_Allreduce plus the division) on
 * float buffers from 4 KiB to 16 MiB: the per-byte cost in the scaling model
 * of docs/distributed.md. Run: mpirun -np 2 build/bin/nnrt_allreduce_bench
 * [BYTES] (BYTES alone when given, e.g. a model's gradient size). */
#include "nnrt_mpi.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (nnrt_mpi_init(&argc, &argv) != 0) {
    fprintf(stderr, "%s\n", nnrt_last_error());
    return 1;
  }
  int rank = nnrt_mpi_rank();
  if (rank == 0)
    printf("ranks %d\nbytes      seconds (best of 15)\n", nnrt_mpi_size());
  int64_t only = argc > 1 ? atoll(argv[1]) / 4 * 4 : 0;
  for (int64_t bytes = only ? only : 4096; bytes <= (only ? only : 16 << 20); bytes *= 4) {
    int64_t n = bytes / 4;
    float *buf = calloc((size_t)n, sizeof *buf);
    double best = 1e30;
    for (int rep = 0; rep < 15; ++rep) {
      nnrt_mpi_barrier();
      double t0 = MPI_Wtime();
      if (nnrt_mpi_allreduce_mean(buf, n, NNRT_F32) != 0) {
        fprintf(stderr, "%s\n", nnrt_last_error());
        return 1;
      }
      double t = MPI_Wtime() - t0;
      MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      if (t < best)
        best = t;
    }
    if (rank == 0)
      printf("%-10lld %.3e\n", (long long)bytes, best);
    free(buf);
  }
  nnrt_mpi_finalize();
  return 0;
}
