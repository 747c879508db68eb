//===- Json.cpp -----------------------------------------------------------===//
#include "support/Json.h"
#include "support/Utf8.h"

#include <cmath>
#include <cstdint>
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
    bool ok = value(out, 0);
    if (ok) {
      skip();
      if (pos_ != s_.size())
        ok = fail("trailing characters after the JSON value");
    }
    if (!ok) {
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
    // (strchr would find a NUL byte too: it matches the string's end.)
    while (pos_ < s_.size() && s_[pos_] != '\0' && std::strchr(" \t\r\n", s_[pos_])) {
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

  /// RFC 8259's number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
  /// NaN, Infinity, leading zeros, hex and a leading '+' are not JSON.
  bool number(Json &out) {
    size_t at = pos_;
    auto digits = [&] {
      size_t from = at;
      while (at < s_.size() && s_[at] >= '0' && s_[at] <= '9')
        ++at;
      return at > from;
    };
    if (at < s_.size() && s_[at] == '-')
      ++at;
    if (s_.compare(at, 3, "NaN") == 0 || s_.compare(at, 8, "Infinity") == 0)
      return fail("NaN and Infinity are not JSON numbers (RFC 8259)");
    if (at < s_.size() && s_[at] == '0' && at + 1 < s_.size() && s_[at + 1] >= '0' &&
        s_[at + 1] <= '9')
      return fail("a JSON number has no leading zeros");
    if (!digits())
      return fail("invalid value");
    if (at < s_.size() && s_[at] == '.') {
      ++at;
      if (!digits())
        return fail("a JSON number needs digits after '.'");
    }
    if (at < s_.size() && (s_[at] == 'e' || s_[at] == 'E')) {
      ++at;
      if (at < s_.size() && (s_[at] == '+' || s_[at] == '-'))
        ++at;
      if (!digits())
        return fail("a JSON number needs digits in its exponent");
    }
    out.number = std::strtod(s_.substr(pos_, at - pos_).c_str(), nullptr);
    if (!std::isfinite(out.number))
      return fail("the number is out of the range of a double");
    pos_ = at;
    out.kind = Json::Kind::Number;
    return true;
  }

  /// A JSON string: no raw control characters; escapes \" \\ \/ \b \f
  /// \n \r \t and \uXXXX (surrogate pairs joined), written out as UTF-8.
  bool string(std::string &out) {
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c < 0x20)
        return fail("a control character inside a string (escape it)");
      if (c != '\\') {
        out += char(c);
        continue;
      }
      if (pos_ >= s_.size())
        break;
      char e = s_[pos_++];
      switch (e) {
      case '"': case '\\': case '/': out += e; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        uint32_t code = 0;
        if (!hex4(code))
          return false;
        if (code >= 0xD800 && code < 0xDC00) { // a high surrogate: its low half follows
          uint32_t low = 0;
          if (s_.compare(pos_, 2, "\\u") != 0 || (pos_ += 2, !hex4(low)) || low < 0xDC00 ||
              low >= 0xE000)
            return fail("an unpaired surrogate in a \\u escape");
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        } else if (code >= 0xDC00 && code < 0xE000) {
          return fail("an unpaired surrogate in a \\u escape");
        }
        out += utf8(code);
        break;
      }
      default:
        return fail("an invalid escape in a string");
      }
    }
    if (pos_ >= s_.size())
      return fail("unterminated string");
    ++pos_;
    return true;
  }

  bool hex4(uint32_t &code) {
    if (pos_ + 4 > s_.size())
      return fail("a \\u escape needs four hex digits");
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
              : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
      if (v < 0)
        return fail("a \\u escape needs four hex digits");
      code = code * 16 + uint32_t(v);
    }
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
