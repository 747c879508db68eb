//===- Diagnostics.h - source locations and user-facing errors -*- C++ -*-===//
//
// Every AST node and IR value carries a SourceLoc. User errors are reported
// through one DiagnosticEngine as `file:line:col: error: message`, followed by
// the source line and a caret, as clang does. Internal bugs use assert.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace nnc {

/// A position in a source file; line and column are 1-based, 0 = unknown.
struct SourceLoc {
  int line = 0;
  int col = 0;
  bool valid() const { return line > 0; }
};

/// The text of one input file, kept so diagnostics can quote lines.
class SourceFile {
public:
  SourceFile(std::string path, std::string text);
  const std::string &path() const { return path_; }
  const std::string &text() const { return text_; }
  /// The text of 1-based line `line`, without its newline.
  std::string lineText(int line) const;

private:
  std::string path_;
  std::string text_;
  std::vector<size_t> lineStarts_;
};

/// Thrown to abandon a stage after errors were reported; never escapes main.
struct CompileError {};

class DiagnosticEngine {
public:
  /// Errors reported before the engine gives up ("too many errors").
  static constexpr unsigned kMaxErrors = 20;

  explicit DiagnosticEngine(const SourceFile *file) : file_(file) {}
  /// Where messages go (std::cerr by default; the fuzzer silences them).
  void setOutput(std::ostream *os) { out_ = os; }

  void error(SourceLoc loc, const std::string &message);
  void note(SourceLoc loc, const std::string &message);
  void warning(SourceLoc loc, const std::string &message);
  /// Reports an error and throws CompileError.
  [[noreturn]] void fatal(SourceLoc loc, const std::string &message);

  unsigned errorCount() const { return errors_; }
  unsigned warningCount() const { return warnings_; }
  /// True once more than kMaxErrors errors were found: stop looking.
  bool full() const { return errors_ > kMaxErrors; }
  /// Throws CompileError when any error was reported.
  void checkpoint() const {
    if (errors_)
      throw CompileError{};
  }

private:
  void report(const char *kind, SourceLoc loc, const std::string &message);
  const SourceFile *file_;
  std::ostream *out_ = nullptr;
  unsigned errors_ = 0;
  unsigned warnings_ = 0;
};

/// Reads a whole file of at most `limit` bytes (support/Limits.h: one per
/// kind of file, for devices and pipes too); false (and `error` set) when
/// it cannot or the file holds more.
bool readFile(const std::string &path, std::string &contents, std::string &error,
              uint64_t limit);

/// The first `n` bytes of a file (fewer when it is shorter or unreadable):
/// to tell formats apart, or refuse a file, before reading all of it.
std::string readHead(const std::string &path, size_t n);

/// Writes a file atomically: a temporary beside it, then rename, so a failure
/// never leaves a half-written file where the user's file was.
bool writeFileAtomic(const std::string &path, const std::string &contents,
                     std::string &error);

} // namespace nnc
