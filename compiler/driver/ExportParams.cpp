//===- ExportParams.cpp - `nnc export-params CKPT --json` -----------------===//
//
// Reads a checkpoint (docs/checkpoint.md) on its own, without the model it
// belongs to, checks every record's CRC, and prints each tensor's name,
// kind, dtype, shape and values as JSON for inspection.
//
//===----------------------------------------------------------------------===//
#include "driver/ModelInstance.h"
#include "support/Limits.h"
#include "driver/Session.h"

#include "support/Diagnostics.h"
#include "support/Json.h"

#include <cstring>
#include <iostream>
#include <sstream>

namespace nnc {
namespace {

/// CRC-32 (IEEE, as zlib), the same as runtime/src/checkpoint.c computes.
uint32_t crc32(const unsigned char *p, size_t n) {
  uint32_t crc = ~0u;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

/// Little-endian reads that turn running off the end into `bad`.
struct Reader {
  const unsigned char *p;
  size_t left;
  bool bad = false;
  uint64_t u(int n) {
    if (left < size_t(n)) {
      bad = true;
      return 0;
    }
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i)
      v = (v << 8) | p[i];
    p += n;
    left -= n;
    return v;
  }
  std::string str() {
    uint64_t n = u(4);
    if (bad || n > left) {
      bad = true;
      return "";
    }
    std::string s(reinterpret_cast<const char *>(p), n);
    p += n;
    left -= n;
    return s;
  }
};

} // namespace

int exportParamsCommand(const Options &o) {
  const std::string &path = o.file;
  if (!o.json) {
    std::cerr << "nnc: error: export-params needs --json (the one format it writes)\n";
    return 2;
  }
  std::string bytes, error;
  if (!readFile(path, bytes, error, kMaxJsonBytes)) {
    std::cerr << "nnc: error: " << error << '\n';
    return 1;
  }
  auto fail = [&](const std::string &message) {
    std::cerr << path << ": error: " << message << '\n';
    return 1;
  };
  if (bytes.size() < 8 || bytes.compare(0, 8, "NNCKPT\r\n") != 0)
    return fail("not an nnc checkpoint (bad magic bytes)");
  const auto *data = reinterpret_cast<const unsigned char *>(bytes.data());
  Reader r{data + 8, bytes.size() - 8};
  std::ostringstream os, tensors;
  int count = 0;
  bool sawEnd = false;
  while (!sawEnd) {
    size_t at = bytes.size() - r.left;
    const unsigned char *start = r.p;
    std::string tag(reinterpret_cast<const char *>(r.p), std::min<size_t>(4, r.left));
    r.u(4);
    uint64_t len = r.u(8);
    if (r.bad || len > r.left || r.left - len < 4)
      return fail("truncated (record at byte " + std::to_string(at) + ")");
    Reader body{r.p, size_t(len)};
    r.p += len;
    r.left -= len;
    if (uint32_t(r.u(4)) != crc32(start, 12 + size_t(len)))
      return fail("corrupted (checksum mismatch in the record at byte " + std::to_string(at) + ")");
    if (tag == "MODL") {
      uint64_t version = body.u(4);
      std::string name = body.str();
      body.u(8);
      os << "{\n  \"format_version\": " << version << ",\n  \"model\": \"" << name << "\"";
    } else if (tag == "TRAN") {
      uint64_t step = body.u(8), epoch = body.u(8), position = body.u(8), seed = body.u(8);
      os << ",\n  \"step\": " << step << ", \"epoch\": " << epoch << ", \"position\": " << position
         << ", \"seed\": " << seed;
    } else if (tag == "TENS") {
      std::string name = body.str();
      int32_t dtype = int32_t(body.u(4)), kind = int32_t(body.u(4));
      uint64_t rank = body.u(4);
      std::vector<int64_t> dims;
      uint64_t n = 1;
      for (uint64_t d = 0; d < rank && !body.bad; ++d) {
        dims.push_back(int64_t(body.u(8)));
        n *= uint64_t(dims.back());
      }
      size_t size = dtype == NNRT_F64 ? 8 : 4;
      if (body.bad || dtype < 0 || dtype > 2 || kind < 0 || kind > 3 || rank > 8 ||
          body.left != n * size)
        return fail("malformed tensor record at byte " + std::to_string(at));
      std::vector<double> values(n);
      for (uint64_t i = 0; i < n; ++i) {
        const unsigned char *e = body.p + i * size;
        if (dtype == NNRT_F32) { float f; std::memcpy(&f, e, 4); values[i] = f; }
        else if (dtype == NNRT_F64) { double v; std::memcpy(&v, e, 8); values[i] = v; }
        else { int32_t v; std::memcpy(&v, e, 4); values[i] = v; }
      }
      static const char *kinds[] = {"parameter", "frozen", "optimizer_state", "buffer"};
      static const char *dtypes[] = {"f32", "f64", "i32"};
      tensors << (count++ ? ",\n" : "") << "    {\"name\": \"" << name << "\", \"kind\": \""
              << kinds[kind] << "\", \"dtype\": \"" << dtypes[dtype] << "\", \"shape\": [";
      for (size_t d = 0; d < dims.size(); ++d)
        tensors << (d ? ", " : "") << dims[d];
      tensors << "], \"values\": " << formatTensor(values, dims, dtype == NNRT_F32) << "}";
    } else if (tag == "VOCB") {
      // A text model's vocabulary: the code points, token i first.
      uint64_t n = body.u(8);
      if (body.bad || body.left != n * 4)
        return fail("malformed vocabulary record at byte " + std::to_string(at));
      os << ",\n  \"vocab\": [";
      for (uint64_t i = 0; i < n; ++i)
        os << (i ? ", " : "") << body.u(4);
      os << "]";
    } else if (tag == "END ") {
      sawEnd = true;
    } // other tags: later versions' records, skipped as the runtime does
    if (at == 8 && tag != "MODL")
      return fail("does not start with a model record");
  }
  os << ",\n  \"tensors\": [\n" << tensors.str() << "\n  ]\n}\n";
  if (o.output.empty()) {
    std::cout << os.str();
    return 0;
  }
  if (!writeFileAtomic(o.output, os.str(), error)) {
    std::cerr << "nnc: error: " << error << '\n';
    return 1;
  }
  return 0;
}

} // namespace nnc
