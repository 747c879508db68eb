//===- Distributed.h - nnc train across MPI ranks ---------------*- C++ -*-===//
//
// Data-parallel training (docs/distributed.md): every rank holds the whole
// model, computes gradients on its slice of each global batch (grads), the
// gradients are averaged with one MPI_Allreduce, and every rank applies the
// same update (apply). Without MPI in the build this is one process.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "driver/ModelInstance.h"
#include "driver/Options.h"

#include <string>
#include <vector>

namespace nnc {

/// --distributed, or started by mpirun (OMPI_COMM_WORLD_SIZE is set).
bool distributedRequested(const Options &o);

/// This process's place in the job.
class Cluster {
public:
  /// Initialises MPI; false (error printed) when it cannot, or when nnc was
  /// built without MPI.
  bool start();
  ~Cluster();
  bool active() const { return active_; }
  int rank() const { return rank_; }
  int size() const { return size_; }

  /// Rank 0's model state (parameters, optimizer state, step) everywhere.
  bool broadcast(ModelInstance &m);
  /// Sum (or mean) over ranks, in place, of `count` elements of `dtype`.
  bool allreduce(void *buf, int64_t count, int32_t dtype, bool mean);
  bool allreduceSum(std::vector<double> &values);
  /// Averages the buffers (batch-norm running statistics) over the ranks
  /// after a step: each rank moved them with its own share's statistics.
  bool averageBuffers(ModelInstance &m);
  /// Loss and metrics of `d`: each rank evaluates a contiguous share and
  /// the sample-weighted sums are reduced, so every rank gets the result.
  bool evaluate(ModelInstance &m, const Dataset &d, Evaluation &out);
  /// Fault injection for tests: NNC_FAULT_KILL=RANK:STEP kills that rank
  /// with SIGKILL just before that step.
  void maybeFail(const Options &o, int64_t step) const;

private:
  bool active_ = false;
  int rank_ = 0, size_ = 1;
};

} // namespace nnc
