//===- Json.h - the small JSON reader and number formatting -----*- C++ -*-===//
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace nnc {

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> items;                          // Array
  std::vector<std::pair<std::string, Json>> members; // Object, in file order
  int line = 0, col = 0;                            // where the value starts

  const Json *get(const std::string &key) const;
};

/// Parses `text`; false with `error` as "line:col: error: message" on bad input.
bool parseJson(const std::string &text, Json &out, std::string &error);

/// Shortest text that reads back as exactly `v` (as a double, or as a float
/// when `single`). Non-finite values print as NaN / Infinity / -Infinity.
std::string formatNumber(double v, bool single = false);

/// `v` to `digits` significant digits for people to read (progress and
/// metric lines), whole numbers kept whole (3602, not 3.602e+03); NaN and
/// infinities as formatNumber writes them.
std::string formatSignificant(double v, int digits);

/// Flattens nested arrays of numbers; dims receives the nesting shape.
/// False when ragged or not all numbers.
bool flattenNumbers(const Json &j, std::vector<double> &data, std::vector<int64_t> &dims);

} // namespace nnc
