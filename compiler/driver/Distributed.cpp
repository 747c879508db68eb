//===- Distributed.cpp - nnc train across MPI ranks -----------------------===//
#include "driver/Distributed.h"

#include <csignal>
#include <cstdlib>
#include <iostream>

#ifdef NNC_WITH_MPI
#include "nnrt_mpi.h"
#endif

namespace nnc {

bool distributedRequested(const Options &o) {
  return o.distributed || o.underMpirun;
}

#ifdef NNC_WITH_MPI

static bool check(int rc, int rank) {
  if (rc == NNRT_OK)
    return true;
  std::cerr << "nnc: error: rank " << rank << ": " << nnrt_last_error()
            << " (did another rank fail?); ending the job\n";
  nnrt_mpi_abort(1);
  return false;
}

bool Cluster::start() {
  if (nnrt_mpi_init(nullptr, nullptr) != NNRT_OK) {
    std::cerr << "nnc: error: " << nnrt_last_error() << '\n';
    return false;
  }
  active_ = true;
  rank_ = nnrt_mpi_rank();
  size_ = nnrt_mpi_size();
  return true;
}

Cluster::~Cluster() {
  if (active_)
    nnrt_mpi_finalize();
}

bool Cluster::broadcast(ModelInstance &m) {
  return !active_ || check(nnrt_mpi_broadcast_state(m.raw()), rank_);
}

bool Cluster::allreduce(void *buf, int64_t count, int32_t dtype, bool mean) {
  if (!active_)
    return true;
  return check(mean ? nnrt_mpi_allreduce_mean(buf, count, dtype)
                    : nnrt_mpi_allreduce_sum(buf, count, dtype),
               rank_);
}

bool Cluster::allreduceSum(std::vector<double> &values) {
  return !active_ ||
         check(nnrt_mpi_allreduce_sum(values.data(), static_cast<int64_t>(values.size()), NNRT_F64),
               rank_);
}

#else

bool Cluster::start() {
  std::cerr << "nnc: error: this nnc was built without MPI, so it cannot train across "
               "processes (install libopenmpi-dev and rebuild with -DNNC_WITH_MPI=ON)\n";
  return false;
}
Cluster::~Cluster() {}
bool Cluster::broadcast(ModelInstance &) { return true; }
bool Cluster::allreduce(void *, int64_t, int32_t, bool) { return true; }
bool Cluster::allreduceSum(std::vector<double> &) { return true; }

#endif

bool Cluster::averageBuffers(ModelInstance &m) {
  const Program &p = m.program();
  std::vector<int> buffers;
  for (size_t i = 0; i < p.state.size(); ++i)
    if (p.state[i].kind == StateTensor::Kind::Buffer)
      buffers.push_back(static_cast<int>(i));
  if (size_ == 1 || buffers.empty())
    return true;
  std::vector<double> all;
  for (int i : buffers) {
    std::vector<double> v = m.stateValues(i);
    all.insert(all.end(), v.begin(), v.end());
  }
  if (!allreduceSum(all))
    return false;
  size_t at = 0;
  for (int i : buffers) {
    size_t n = static_cast<size_t>(p.state[i].type.elementsPerSample());
    std::vector<double> v(all.begin() + at, all.begin() + at + n);
    for (double &x : v)
      x /= size_;
    m.setStateValues(i, v);
    at += n;
  }
  return true;
}

bool Cluster::evaluate(ModelInstance &m, const Dataset &d, Evaluation &out) {
  if (size_ == 1)
    return m.evaluate(d, out);
  const Program &p = m.program();
  int64_t begin = d.samples * rank_ / size_, end = d.samples * (rank_ + 1) / size_;
  // [loss sum, metric sums..., samples]
  std::vector<double> sums(p.metrics.size() + 2, 0.0);
  if (end > begin) {
    Dataset share;
    share.origin = d.origin;
    share.samples = end - begin;
    for (auto &column : d.columns) {
      int64_t per = static_cast<int64_t>(column.second.size()) / d.samples;
      share.columns[column.first].assign(column.second.begin() + begin * per,
                                         column.second.begin() + end * per);
    }
    Evaluation e;
    if (!m.evaluate(share, e))
      return false;
    double n = static_cast<double>(share.samples);
    sums[0] = p.lossBatchSum ? e.loss : e.loss * n;
    for (size_t k = 0; k < e.metrics.size(); ++k)
      sums[1 + k] = e.metrics[k] * n;
    sums.back() = n;
  }
  if (!allreduceSum(sums))
    return false;
  out = Evaluation{};
  double n = sums.back();
  out.loss = p.lossBatchSum ? sums[0] : sums[0] / n;
  for (size_t k = 0; k < p.metrics.size(); ++k)
    out.metrics.push_back(sums[1 + k] / n);
  return true;
}

void Cluster::maybeFail(const Options &o, int64_t step) const {
  if (o.faultKillRank != rank_ || o.faultKillStep != step)
    return;
  std::cerr << "nnc: NNC_FAULT_KILL: rank " << rank_ << " kills itself before step " << step
            << '\n';
  std::raise(SIGKILL);
}

} // namespace nnc
