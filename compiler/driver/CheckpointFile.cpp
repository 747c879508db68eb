//===- CheckpointFile.cpp -------------------------------------------------===//
#include "driver/CheckpointFile.h"

#include "nnrt.h"
#include "support/Diagnostics.h"
#include "support/Limits.h"

#include <cstring>

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

std::string readCheckpointFile(const std::string &path, CheckpointContents &out) {
  std::string bytes, error;
  if (!readFile(path, bytes, error, kMaxJsonBytes))
    return "nnc: error: " + error;
  auto fail = [&](const std::string &message) { return path + ": error: " + message; };
  if (bytes.size() < 8 || bytes.compare(0, 8, "NNCKPT\r\n") != 0)
    return fail("not an nnc checkpoint (bad magic bytes)");
  const auto *data = reinterpret_cast<const unsigned char *>(bytes.data());
  Reader r{data + 8, bytes.size() - 8};
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
      out.formatVersion = uint32_t(body.u(4));
      out.model = body.str();
      body.u(8);
    } else if (tag == "TRAN") {
      out.hasTrainState = true;
      out.step = body.u(8);
      out.epoch = body.u(8);
      out.position = body.u(8);
      out.seed = body.u(8);
    } else if (tag == "TENS") {
      CheckpointTensor t;
      t.name = body.str();
      t.dtype = int32_t(body.u(4));
      t.kind = int32_t(body.u(4));
      uint64_t rank = body.u(4);
      uint64_t n = 1;
      for (uint64_t d = 0; d < rank && d <= 8 && !body.bad; ++d) {
        t.dims.push_back(int64_t(body.u(8)));
        uint64_t dim = uint64_t(t.dims.back());
        n = dim && n > body.left / dim ? body.left + 1 : n * dim; // no wrap-around
      }
      size_t size = t.dtype == NNRT_F64 ? 8 : 4;
      if (body.bad || t.dtype < 0 || t.dtype > 2 || t.kind < 0 || t.kind > 3 || rank > 8 ||
          body.left != n * size)
        return fail("malformed tensor record at byte " + std::to_string(at));
      t.values.resize(n);
      for (uint64_t i = 0; i < n; ++i) {
        const unsigned char *e = body.p + i * size;
        if (t.dtype == NNRT_F32) { float f; std::memcpy(&f, e, 4); t.values[i] = f; }
        else if (t.dtype == NNRT_F64) { double v; std::memcpy(&v, e, 8); t.values[i] = v; }
        else { int32_t v; std::memcpy(&v, e, 4); t.values[i] = v; }
      }
      out.tensors.push_back(std::move(t));
    } else if (tag == "VOCB") {
      // A text model's vocabulary: the code points, token i first.
      uint64_t n = body.u(8);
      if (body.bad || body.left != n * 4)
        return fail("malformed vocabulary record at byte " + std::to_string(at));
      out.hasVocab = true;
      for (uint64_t i = 0; i < n; ++i)
        out.vocab.push_back(uint32_t(body.u(4)));
    } else if (tag == "STOP") {
      out.hasStop = true;
      out.monitor = body.str();
      out.maximize = body.u(4) != 0;
      uint64_t bits = body.u(8);
      std::memcpy(&out.best, &bits, sizeof bits);
      out.bestStep = body.u(8);
      out.badEvaluations = body.u(8);
      if (body.bad || body.left != 0)
        return fail("malformed early-stopping record at byte " + std::to_string(at));
    } else if (tag == "END ") {
      sawEnd = true;
    } // other tags: later versions' records, skipped as the runtime does
    if (at == 8 && tag != "MODL")
      return fail("does not start with a model record");
  }
  return "";
}

} // namespace nnc
