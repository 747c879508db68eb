//===- Text.cpp -----------------------------------------------------------===//
#include "driver/Text.h"
#include "support/Limits.h"

#include "support/Diagnostics.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

namespace nnc {

/// Decodes the code point at text[i] (advancing i); false when the bytes
/// there are not UTF-8 (overlong forms and surrogates included).
static bool decodeOne(const std::string &text, size_t &i, uint32_t &c) {
  unsigned char b = static_cast<unsigned char>(text[i]);
  int extra = b < 0x80 ? 0 : (b >> 5) == 6 ? 1 : (b >> 4) == 14 ? 2 : (b >> 3) == 30 ? 3 : -1;
  if (extra < 0 || i + extra >= text.size() + (extra == 0))
    return false;
  c = extra == 0 ? b : b & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    unsigned char next = static_cast<unsigned char>(text[i + k]);
    if ((next >> 6) != 2)
      return false;
    c = (c << 6) | (next & 0x3F);
  }
  static const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
  if (c < least[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return false;
  i += extra + 1;
  return true;
}

/// Line and column (1-based, in characters) of byte `at`.
static std::pair<int, int> lineColumn(const std::string &text, size_t at) {
  int line = 1, col = 1;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else if ((static_cast<unsigned char>(text[i]) >> 6) != 2) {
      ++col;
    }
  }
  return {line, col};
}

bool readTextCorpus(const std::string &path, TextCorpus &out) {
  std::string text, error;
  if (!readFile(path, text, error, kMaxTextBytes)) {
    std::cerr << "nnc: error: " << error << '\n';
    return false;
  }
  std::vector<uint32_t> points;
  points.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t c = 0;
    size_t at = i;
    if (!decodeOne(text, i, c)) {
      auto [line, col] = lineColumn(text, at);
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[at]));
      std::cerr << path << ':' << line << ':' << col << ": error: the text is not UTF-8 (byte "
                << at << " is " << byte << "); --text reads UTF-8 files\n";
      return false;
    }
    points.push_back(c);
  }
  if (points.size() < 2) {
    std::cerr << path << ": error: the text has " << points.size()
              << " characters; a model needs at least 2 to learn from\n";
    return false;
  }
  out.path = path;
  out.vocab = points;
  std::sort(out.vocab.begin(), out.vocab.end());
  out.vocab.erase(std::unique(out.vocab.begin(), out.vocab.end()), out.vocab.end());
  std::map<uint32_t, int32_t> index;
  for (size_t i = 0; i < out.vocab.size(); ++i)
    index[out.vocab[i]] = static_cast<int32_t>(i);
  out.tokens.resize(points.size());
  for (size_t i = 0; i < points.size(); ++i)
    out.tokens[i] = index[points[i]];
  return true;
}

bool encodeText(const std::vector<uint32_t> &vocab, const std::string &text,
                std::vector<int32_t> &out, std::string &error) {
  out.clear();
  for (size_t i = 0; i < text.size();) {
    uint32_t c = 0;
    if (!decodeOne(text, i, c)) {
      error = "is not UTF-8";
      return false;
    }
    auto it = std::lower_bound(vocab.begin(), vocab.end(), c);
    if (it == vocab.end() || *it != c) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", c);
      error = "has '" + (c >= 0x20 && c != 0x7F ? utf8(c) : std::string("?")) + "' (" + code +
              "), which is not in the model's vocabulary of " + std::to_string(vocab.size()) +
              " characters";
      return false;
    }
    out.push_back(static_cast<int32_t>(it - vocab.begin()));
  }
  return true;
}

bool textInterface(const Program &p, const TextCorpus &text, const Interface *&input,
                   const Interface *&target) {
  input = target = nullptr;
  for (const Interface &in : p.inputs) {
    if (!in.classes || in.node->type.dims.size() != 1)
      continue;
    (in.isTarget ? target : input) = &in;
  }
  if (!input || !target || input->node->type.dims != target->node->type.dims) {
    std::cerr << "nnc: error: --text needs a model with a class(vocab)[T] input and a "
                 "class(vocab)[T] target of the same T (the target is the input one "
                 "character ahead)\n";
    return false;
  }
  int64_t V = static_cast<int64_t>(text.vocab.size());
  for (const Interface *in : {input, target})
    if (in->classes < V) {
      std::cerr << "nnc: error: " << text.path << " has " << V << " distinct characters but '"
                << in->name << "' is class(" << in->classes
                << "); write class(vocab) to take the text's vocabulary\n";
      return false;
    }
  return true;
}

bool textDatasets(const Program &p, const TextCorpus &text, double valFraction, Dataset &train,
                  Dataset &val, bool contiguous) {
  const Interface *input = nullptr, *target = nullptr;
  if (!textInterface(p, text, input, target))
    return false;
  int64_t T = input->node->type.dims[0];
  int64_t n = static_cast<int64_t>(text.tokens.size());
  int64_t held = static_cast<int64_t>(double(n) * valFraction);
  auto tokens = std::make_shared<const std::vector<int32_t>>(text.tokens);
  auto windows = [&](Dataset &d, int64_t begin, int64_t end, int64_t stride, const char *what) {
    // Windows of T + 1 characters inside [begin, end).
    int64_t count = end - begin - T >= 0 ? (end - begin - T - 1) / stride + 1 : 0;
    if (count < 1) {
      std::cerr << "nnc: error: the " << what << " part of " << text.path << " has "
                << (end - begin) << " characters; it needs at least " << (T + 1)
                << " (one window of T + 1)\n";
      return false;
    }
    d.origin = text.path;
    d.samples = count;
    d.windows = TokenWindows{tokens, begin, T, stride, input->name, target->name};
    return true;
  };
  if (!windows(train, 0, n - held, contiguous ? T : 1, "training"))
    return false;
  if (held == 0)
    return true;
  if (!windows(val, n - held, n, T, "validation"))
    return false;
  val.origin = "the last " + std::to_string(held) + " characters of " + text.path;
  return true;
}

} // namespace nnc
