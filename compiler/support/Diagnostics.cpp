//===- Diagnostics.cpp ----------------------------------------------------===//
#include "support/Diagnostics.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace nnc {

SourceFile::SourceFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n')
      lineStarts_.push_back(i + 1);
}

std::string SourceFile::lineText(int line) const {
  if (line < 1 || static_cast<size_t>(line) > lineStarts_.size())
    return "";
  size_t begin = lineStarts_[line - 1];
  size_t end = text_.find('\n', begin);
  if (end == std::string::npos)
    end = text_.size();
  std::string result = text_.substr(begin, end - begin);
  if (!result.empty() && result.back() == '\r')
    result.pop_back();
  return result;
}

void DiagnosticEngine::report(const char *kind, SourceLoc loc,
                              const std::string &message) {
  std::ostringstream out;
  out << (file_ ? file_->path() : std::string("<input>"));
  if (loc.valid())
    out << ':' << loc.line << ':' << loc.col;
  out << ": " << kind << ": " << message << '\n';
  if (file_ && loc.valid()) {
    std::string line = file_->lineText(loc.line);
    // A very long line is shown as a window around the column.
    const int kWidth = 120;
    if (static_cast<int>(line.size()) > kWidth) {
      int start = std::max(0, loc.col - 1 - kWidth / 2);
      std::string window = line.substr(start, kWidth);
      std::string prefix = start > 0 ? "..." : "";
      bool cut = start + kWidth < static_cast<int>(line.size());
      line = prefix + window + (cut ? "..." : "");
      loc.col = loc.col - start + static_cast<int>(prefix.size());
    }
    out << line << '\n';
    // Keep tabs so the caret lines up under the same column.
    std::string caret;
    for (int i = 1; i < loc.col && i - 1 < static_cast<int>(line.size()); ++i)
      caret += line[i - 1] == '\t' ? '\t' : ' ';
    out << caret << "^\n";
  }
  (out_ ? *out_ : std::cerr) << out.str();
}

void DiagnosticEngine::error(SourceLoc loc, const std::string &message) {
  // Past the limit one line says so and nothing more is printed.
  ++errors_;
  if (errors_ <= kMaxErrors)
    report("error", loc, message);
  else if (errors_ == kMaxErrors + 1)
    report("error", {}, "too many errors; stopping after " + std::to_string(kMaxErrors));
}

void DiagnosticEngine::note(SourceLoc loc, const std::string &message) {
  if (errors_ > kMaxErrors)
    return;
  report("note", loc, message);
}

void DiagnosticEngine::warning(SourceLoc loc, const std::string &message) {
  if (full())
    return;
  ++warnings_;
  report("warning", loc, message);
}

void DiagnosticEngine::fatal(SourceLoc loc, const std::string &message) {
  error(loc, message);
  throw CompileError{};
}

bool readFile(const std::string &path, std::string &contents, std::string &error,
              uint64_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  // In chunks, so that a device or pipe that never ends (/dev/zero) stops
  // at the limit instead of filling the memory.
  auto tooLarge = [&] {
    error = "'" + path + "' holds more than " + std::to_string(limit >> 20) +
            " MiB, the most nnc reads from such a file";
    return false;
  };
  contents.clear();
  std::vector<char> chunk(1 << 20);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    std::streamsize got = in.gcount();
    if (contents.size() + static_cast<uint64_t>(got) > limit)
      return tooLarge();
    contents.append(chunk.data(), static_cast<size_t>(got));
  }
  if (in.bad()) {
    error = "cannot read '" + path + "'";
    return false;
  }
  return true;
}

std::string readHead(const std::string &path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(&head[0], static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return head;
}

bool writeFileAtomic(const std::string &path, const std::string &contents,
                     std::string &error) {
  std::string temp = path + ".tmp." + std::to_string(getpid());
  FILE *f = std::fopen(temp.c_str(), "wb");
  if (!f) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(contents.data(), 1, contents.size(), f) ==
            contents.size();
  ok = (std::fflush(f) == 0) && ok;
  ok = (fsync(fileno(f)) == 0) && ok;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    std::remove(temp.c_str());
    return false;
  }
  return true;
}

} // namespace nnc
