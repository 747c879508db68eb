//===- Suggest.h - "did you mean" for misspelt names ------------*- C++ -*-===//
#pragma once

#include <string>
#include <vector>

namespace nnc {

/// The candidate closest to `name` by edit distance, if close enough to be a
/// likely typo (at most 2 edits, and fewer edits than `name` has letters);
/// empty otherwise.
std::string closestName(const std::string &name, const std::vector<std::string> &candidates);

/// "; did you mean 'x'?" for the closest candidate, or "".
std::string didYouMean(const std::string &name, const std::vector<std::string> &candidates);

} // namespace nnc
