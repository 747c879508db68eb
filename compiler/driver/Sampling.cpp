//===- Sampling.cpp -------------------------------------------------------===//
#include "driver/Sampling.h"

#include "support/Json.h"

#include <cmath>
#include <iostream>
#include <numeric>

namespace nnc {

void shuffle(std::vector<int64_t> &v, SplitMix64 &rng) {
  for (size_t i = v.size(); i > 1; --i) {
    uint64_t bound = i, limit = UINT64_MAX - UINT64_MAX % bound, r;
    do
      r = rng.next();
    while (r >= limit);
    std::swap(v[i - 1], v[r % bound]);
  }
}

bool splitValidation(Dataset &data, double fraction, uint64_t seed, Dataset &val) {
  int64_t n = data.samples;
  int64_t held = static_cast<int64_t>(std::floor(double(n) * fraction));
  if (held < 1 || held >= n) {
    std::cerr << "nnc: error: --val-split " << formatNumber(fraction) << " of " << n
              << " samples leaves " << (held < 1 ? "no validation" : "no training")
              << " samples\n";
    return false;
  }
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  SplitMix64 rng{seed ^ 0x56414C4944415445ULL}; // "VALIDATE"
  shuffle(order, rng);
  Dataset train;
  train.origin = data.origin;
  train.samples = n - held;
  val.origin = "the last " + formatNumber(fraction * 100) +
               "% of the training data, after a seeded shuffle";
  val.samples = held;
  for (auto &column : data.columns) {
    int64_t per = static_cast<int64_t>(column.second.size()) / n;
    for (int64_t i = 0; i < n; ++i) {
      std::vector<double> &to = (i < n - held ? train : val).columns[column.first];
      const double *src = column.second.data() + order[i] * per;
      to.insert(to.end(), src, src + per);
    }
  }
  data = std::move(train);
  return true;
}

} // namespace nnc
