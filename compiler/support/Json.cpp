//===- Json.cpp -----------------------------------------------------------===//
#include "support/Json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nnc {

const Json *Json::get(const std::string &key) const {
  for (auto &m : members)
    if (m.first == key)
      return &m.second;
  return nullptr;
}

namespace {

class Parser {
public:
  explicit Parser(const std::string &text) : s_(text) {}

  bool parse(Json &out, std::string &error) {
    if (!value(out, 0) || (skip(), pos_ != s_.size() && fail("trailing characters"))) {
      error = std::to_string(line_) + ":" + std::to_string(pos_ - lineStart_ + 1) + ": error: " + error_;
      return false;
    }
    return true;
  }

private:
  bool fail(const char *message) {
    if (error_.empty())
      error_ = message;
    return false;
  }

  void skip() {
    while (pos_ < s_.size() && std::strchr(" \t\r\n", s_[pos_])) {
      if (s_[pos_] == '\n') {
        ++line_;
        lineStart_ = pos_ + 1;
      }
      ++pos_;
    }
  }

  bool literal(const char *word) {
    size_t n = std::strlen(word);
    if (s_.compare(pos_, n, word) != 0)
      return fail("invalid value");
    pos_ += n;
    return true;
  }

  bool value(Json &out, int depth) {
    if (depth > 64)
      return fail("nesting deeper than 64 levels");
    skip();
    out.line = line_;
    out.col = static_cast<int>(pos_ - lineStart_ + 1);
    if (pos_ >= s_.size())
      return fail("unexpected end of input");
    char c = s_[pos_];
    if (c == '{')
      return object(out, depth);
    if (c == '[')
      return array(out, depth);
    if (c == '"') {
      out.kind = Json::Kind::String;
      return string(out.string);
    }
    if (c == 't' || c == 'f') {
      out.kind = Json::Kind::Bool;
      out.boolean = c == 't';
      return literal(c == 't' ? "true" : "false");
    }
    if (c == 'n')
      return literal("null");
    return number(out);
  }

  bool number(Json &out) {
    const char *begin = s_.c_str() + pos_;
    char *end = nullptr;
    // Accept NaN/Infinity as we print them, so our files read back.
    out.number = std::strtod(begin, &end);
    if (end == begin)
      return fail("invalid value");
    pos_ += end - begin;
    out.kind = Json::Kind::Number;
    return true;
  }

  bool string(std::string &out) {
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c == '\\' && pos_ < s_.size()) {
        char e = s_[pos_++];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        out += c;
      }
    }
    if (pos_ >= s_.size())
      return fail("unterminated string");
    ++pos_;
    return true;
  }

  bool array(Json &out, int depth) {
    out.kind = Json::Kind::Array;
    ++pos_;
    skip();
    if (pos_ < s_.size() && s_[pos_] == ']')
      return ++pos_, true;
    while (true) {
      out.items.emplace_back();
      if (!value(out.items.back(), depth + 1))
        return false;
      skip();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']')
        return ++pos_, true;
      return fail("expected ',' or ']'");
    }
  }

  bool object(Json &out, int depth) {
    out.kind = Json::Kind::Object;
    ++pos_;
    skip();
    if (pos_ < s_.size() && s_[pos_] == '}')
      return ++pos_, true;
    while (true) {
      skip();
      if (pos_ >= s_.size() || s_[pos_] != '"')
        return fail("expected a string key");
      std::string key;
      if (!string(key))
        return false;
      skip();
      if (pos_ >= s_.size() || s_[pos_] != ':')
        return fail("expected ':'");
      ++pos_;
      out.members.emplace_back(key, Json());
      if (!value(out.members.back().second, depth + 1))
        return false;
      skip();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}')
        return ++pos_, true;
      return fail("expected ',' or '}'");
    }
  }

  const std::string &s_;
  size_t pos_ = 0, lineStart_ = 0;
  int line_ = 1;
  std::string error_;
};

} // namespace

bool parseJson(const std::string &text, Json &out, std::string &error) {
  return Parser(text).parse(out, error);
}

std::string formatSignificant(double v, int digits) {
  if (!std::isfinite(v))
    return formatNumber(v);
  char buf[64];
  if (std::fabs(v) >= std::pow(10.0, digits) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string formatNumber(double v, bool single) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto same = [&](const char *text) {
    double back = std::strtod(text, nullptr);
    return single ? static_cast<float>(back) == static_cast<float>(v) : back == v;
  };
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (same(buf))
      break;
  }
  // %g switches to an exponent as soon as the digits run out (120 -> 1.2e+02);
  // write moderate magnitudes positionally instead.
  double mag = std::fabs(v);
  if (std::strchr(buf, 'e') && mag >= 1e-4 && mag < 1e15) {
    char fixedBuf[64];
    for (int decimals = 0; decimals <= 20; ++decimals) {
      std::snprintf(fixedBuf, sizeof fixedBuf, "%.*f", decimals, v);
      if (same(fixedBuf))
        return fixedBuf;
    }
  }
  return buf;
}

bool flattenNumbers(const Json &j, std::vector<double> &data, std::vector<int64_t> &dims) {
  if (j.kind == Json::Kind::Number) {
    data.push_back(j.number);
    return true;
  }
  if (j.kind != Json::Kind::Array || j.items.empty())
    return false;
  std::vector<int64_t> first;
  for (size_t i = 0; i < j.items.size(); ++i) {
    std::vector<int64_t> sub;
    if (!flattenNumbers(j.items[i], data, sub))
      return false;
    if (i == 0)
      first = sub;
    else if (sub != first)
      return false;
  }
  dims.clear();
  dims.push_back(static_cast<int64_t>(j.items.size()));
  dims.insert(dims.end(), first.begin(), first.end());
  return true;
}

} // namespace nnc
