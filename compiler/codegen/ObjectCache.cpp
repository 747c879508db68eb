//===- ObjectCache.cpp ----------------------------------------------------===//
#include "codegen/ObjectCache.h"

#include "support/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/BLAKE3.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sys/stat.h>
#include <vector>

namespace fs = std::filesystem;

namespace nnc {

namespace {

/// Every entry starts with this, then the BLAKE3 hash of the object.
const std::string kMagic = "NNCOBJ1\n";
constexpr size_t kHashBytes = 32;
/// Objects of the largest models are a few MiB.
constexpr uint64_t kMaxEntryBytes = uint64_t(1) << 30;
/// Entries kept: storing one more removes the oldest down to kKeepAfterEvict.
constexpr size_t kMaxEntries = 256, kKeepAfterEvict = 192;

std::string hashHex(llvm::ArrayRef<uint8_t> bytes) {
  return llvm::toHex(llvm::BLAKE3::hash<kHashBytes>(bytes), /*LowerCase=*/true);
}

llvm::ArrayRef<uint8_t> bytesOf(const std::string &s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

/// The running nnc: a rebuilt compiler has another size or time. Empty
/// when it cannot be told (no /proc): then no cache, since objects of
/// different compilers could not be told apart.
std::string executableId() {
  struct stat st;
  if (stat("/proc/self/exe", &st) != 0)
    return "";
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

} // namespace

std::optional<ObjectCache> ObjectCache::open(const std::string &dir, bool log) {
  std::error_code ec;
  std::string compiler = executableId();
  if (dir.empty() || compiler.empty() ||
      (fs::create_directories(dir, ec), !fs::is_directory(dir, ec)))
    return std::nullopt;
  ObjectCache cache;
  cache.dir_ = dir;
  cache.compilerId_ = compiler + " LLVM " LLVM_VERSION_STRING;
  cache.log_ = log;
  return cache;
}

std::string ObjectCache::keyOf(const llvm::Module &module,
                               const llvm::TargetMachine &machine) const {
  std::string bitcode;
  llvm::raw_string_ostream out(bitcode);
  llvm::WriteBitcodeToFile(module, out);
  out.flush();
  llvm::BLAKE3 hasher;
  hasher.update(compilerId_);
  for (llvm::StringRef part : {llvm::StringRef(machine.getTargetTriple().str()),
                               machine.getTargetCPU(), machine.getTargetFeatureString()}) {
    hasher.update(part);
    hasher.update(llvm::StringRef("\0", 1)); // "ab"+"c" is not "a"+"bc"
  }
  hasher.update(bytesOf(bitcode));
  return llvm::toHex(hasher.final<kHashBytes>(), /*LowerCase=*/true);
}

bool ObjectCache::load(const std::string &key, const std::string &name,
                       std::string &object) const {
  std::string entry, error;
  size_t header = kMagic.size() + 2 * kHashBytes;
  bool intact = readFile(pathOf(key), entry, error, kMaxEntryBytes) && entry.size() > header &&
                entry.compare(0, kMagic.size(), kMagic) == 0 &&
                entry.compare(kMagic.size(), 2 * kHashBytes,
                              hashHex(bytesOf(entry).drop_front(header))) == 0;
  if (log_)
    std::fprintf(stderr, "nnc: object cache: %s %s\n",
                 intact ? "hit" : (entry.empty() ? "miss" : "damaged entry, recompiling"),
                 name.c_str());
  if (!intact)
    return false;
  std::error_code ec; // the newest use decides what is evicted last
  fs::last_write_time(pathOf(key), fs::file_time_type::clock::now(), ec);
  object = entry.substr(header);
  return true;
}

void ObjectCache::store(const std::string &key, const std::string &name,
                        const std::string &object) const {
  std::string error;
  bool stored = writeFileAtomic(pathOf(key), kMagic + hashHex(bytesOf(object)) + object, error);
  if (log_)
    std::fprintf(stderr, "nnc: object cache: %s %s\n", stored ? "stored" : "cannot store",
                 name.c_str());
  if (stored)
    evictOldest();
}

void ObjectCache::evictOldest() const {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> entries;
  for (const fs::directory_entry &e : fs::directory_iterator(dir_, ec))
    if (e.path().extension() == ".o")
      entries.push_back({e.last_write_time(ec), e.path()});
  if (entries.size() <= kMaxEntries)
    return;
  std::sort(entries.begin(), entries.end());
  for (size_t i = 0; i + kKeepAfterEvict < entries.size(); ++i)
    fs::remove(entries[i].second, ec); // another run may have removed it first
}

} // namespace nnc
