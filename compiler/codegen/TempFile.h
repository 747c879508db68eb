//===- TempFile.h - a temporary file that removes itself --------*- C++ -*-===//
#pragma once

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace nnc {

/// A temporary file holding `contents`, removed when this goes away.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
  bool write(const llvm::Twine &model, const char *suffix, llvm::StringRef contents,
             std::string &error) {
    int fd;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(model, suffix, fd, path)) {
      error = "cannot create a temporary file: " + ec.message();
      path.clear();
      return false;
    }
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out << contents;
    out.close();
    if (out.has_error()) {
      error = std::string(path) + ": " + out.error().message();
      return false;
    }
    return true;
  }
};

} // namespace nnc
