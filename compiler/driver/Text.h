//===- Text.h - character-level text: vocabulary, windows, encoding -*- C++ -*-===//
//
// `nnc train --text FILE` trains a model on a UTF-8 text: its vocabulary is
// the file's distinct characters (code points, ascending), the model names
// its size `vocab` (`input x: class(vocab)[T]`), and each sample is a window
// of T characters with the target one character ahead. The vocabulary is
// saved in checkpoints, where `nnc generate` finds it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "support/Utf8.h"

#include "driver/Dataset.h"
#include "ir/Program.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc {

/// A text as token ids over its own vocabulary (token i is code point vocab[i]).
struct TextCorpus {
  std::string path;
  std::vector<uint32_t> vocab;
  std::vector<int32_t> tokens;
};

/// Reads and decodes a UTF-8 file; false (printed as `path:line:col: error:`)
/// when it cannot be read, is not UTF-8, or has fewer than 2 characters.
bool readTextCorpus(const std::string &path, TextCorpus &out);

/// `text` as token ids of `vocab`; false with `error` naming the first
/// character the vocabulary lacks (or invalid UTF-8).
bool encodeText(const std::vector<uint32_t> &vocab, const std::string &text,
                std::vector<int32_t> &out, std::string &error);

/// The model's text input and target: class(V)[T] each, of equal T. False
/// (printed) when the model has no such pair or V is smaller than the
/// vocabulary.
bool textInterface(const Program &p, const TextCorpus &text, const Interface *&input,
                   const Interface *&target);

/// Training windows (every start position; with `contiguous`, stride T so
/// that consecutive windows continue each other, for stateful training)
/// over the text's first 1 - valFraction, and validation windows (stride T,
/// so every character is predicted once) over the rest; false (printed)
/// when a part is shorter than T + 1 characters.
bool textDatasets(const Program &p, const TextCorpus &text, double valFraction, Dataset &train,
                  Dataset &val, bool contiguous = false);

} // namespace nnc
