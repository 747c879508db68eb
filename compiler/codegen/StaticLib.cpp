//===- StaticLib.cpp - nnc compile --emit-static-lib ----------------------===//
//
// Bundling the runtime's members with the model's object means an
// application links one file (plus -lm -lpthread), like tfcompile's output.
//
//===----------------------------------------------------------------------===//
#include "codegen/StaticLib.h"

#include "support/Diagnostics.h"

#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <vector>

#ifndef NNC_RUNTIME_RELPATH
#define NNC_RUNTIME_RELPATH "../lib/libnnrt.a"
#endif

namespace nnc {

std::string findRuntimeArchive() {
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  llvm::StringRef bin = llvm::sys::path::parent_path(exe);
  for (const char *rel : {NNC_RUNTIME_RELPATH, "../runtime/libnnrt.a"}) {
    llvm::SmallString<256> path(bin);
    llvm::sys::path::append(path, rel);
    llvm::sys::path::remove_dots(path, /*remove_dot_dot=*/true);
    if (llvm::sys::fs::is_regular_file(path))
      return std::string(path);
  }
  return "";
}

bool writeStaticLib(const std::string &path, const std::string &object,
                    const std::string &objectName, const std::string &runtime,
                    std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(runtime);
  if (!buffer) {
    error = runtime + ": " + buffer.getError().message();
    return false;
  }
  llvm::Error err = llvm::Error::success();
  llvm::object::Archive archive((*buffer)->getMemBufferRef(), err);
  if (err) {
    error = runtime + ": " + llvm::toString(std::move(err));
    return false;
  }
  std::vector<llvm::NewArchiveMember> members;
  members.emplace_back(llvm::MemoryBufferRef(object, objectName));
  for (const llvm::object::Archive::Child &child : archive.children(err)) {
    auto member = llvm::NewArchiveMember::getOldMember(child, /*Deterministic=*/true);
    if (!member) {
      error = runtime + ": " + llvm::toString(member.takeError());
      return false;
    }
    members.push_back(std::move(*member));
  }
  if (err) {
    error = runtime + ": " + llvm::toString(std::move(err));
    return false;
  }
  auto out = llvm::writeArchiveToBuffer(members, llvm::SymtabWritingMode::NormalSymtab,
                                        llvm::object::Archive::K_GNU,
                                        /*Deterministic=*/true, /*Thin=*/false);
  if (!out) {
    error = path + ": " + llvm::toString(out.takeError());
    return false;
  }
  return writeFileAtomic(path, std::string((*out)->getBuffer()), error);
}

} // namespace nnc
