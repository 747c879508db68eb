//===- Suggest.cpp --------------------------------------------------------===//
#include "support/Suggest.h"

#include <algorithm>

namespace nnc {

static size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

std::string closestName(const std::string &name, const std::vector<std::string> &candidates) {
  std::string best;
  // At most 2 edits, and fewer than the name has letters: 'x' should not
  // suggest 'y'.
  size_t bestDistance = std::min<size_t>(3, name.size());
  for (const std::string &c : candidates) {
    if (c == name)
      continue;
    size_t d = editDistance(name, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

std::string didYouMean(const std::string &name, const std::vector<std::string> &candidates) {
  std::string best = closestName(name, candidates);
  return best.empty() ? "" : "; did you mean '" + best + "'?";
}

} // namespace nnc
