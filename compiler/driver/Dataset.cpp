//===- Dataset.cpp - CSV and inline data ----------------------------------===//
#include "driver/Dataset.h"
#include "support/Json.h"
#include "support/StoredValues.h"
#include "support/Identifiers.h"
#include "support/Limits.h"

#include "support/Diagnostics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <iostream>
#include <fstream>
#include <set>
#include <sstream>

namespace nnc {
namespace {

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  /// The first line was numbers (np.savetxt writes no header): it is a row,
  /// and the columns are unnamed ("column 1", ...).
  bool headerless = false;
  int firstLine = 0; // the line the header (or first row) was on
};

/// Whether a cell is a finite decimal number, as data cells must be.
bool decimalCell(const std::string &cell, double &v) {
  char *end = nullptr;
  v = std::strtod(cell.c_str(), &end);
  return !cell.empty() && !*end && cell.find_first_of("xX") == std::string::npos && std::isfinite(v);
}

/// A cell as a message quotes it: at most 40 characters.
std::string shortened(const std::string &cell) {
  if (cell.size() <= 40)
    return cell;
  return cell.substr(0, 32) + "... (" + std::to_string(cell.size()) + " characters)";
}

void csvError(const std::string &path, int line, const std::string &message) {
  std::cerr << path << (line > 0 ? ":" + std::to_string(line) : "") << ": error: " << message << '\n';
}

std::vector<std::string> splitCsvLine(const std::string &line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ','))
    cells.push_back(cell);
  if (!line.empty() && line.back() == ',')
    cells.push_back("");
  return cells;
}

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/// A numeric array read from an IDX (MNIST's format) or NumPy .npy file:
/// samples first, as doubles.
struct Array {
  std::vector<int64_t> dims;
  std::vector<double> data;
  std::string descr; // a .npy's element type ('<f4', '|b1', ...); empty for IDX
  /// The first integer beyond 2^53 (which a double does not hold exactly), or -1.
  int64_t inexact = -1;
  std::string inexactValue;
};

bool fileError(const std::string &path, const std::string &message) {
  std::cerr << path << ": error: " << message << '\n';
  return false;
}

/// IDX: 0 0 type ndim, big-endian u32 dims, big-endian elements.
bool readIdx(const std::string &path, const std::string &bytes, Array &out) {
  if (bytes.size() < 4)
    return fileError(path, "truncated IDX header");
  unsigned char type = static_cast<unsigned char>(bytes[2]);
  int ndim = static_cast<unsigned char>(bytes[3]);
  int size = type == 0x08 || type == 0x09 ? 1 : type == 0x0B ? 2 : type == 0x0C || type == 0x0D ? 4
             : type == 0x0E ? 8 : 0;
  if (!size)
    return fileError(path, "unknown IDX element type 0x" + std::to_string(type));
  if (ndim < 1 || bytes.size() < 4 + 4 * size_t(ndim))
    return fileError(path, "truncated IDX header");
  auto be = [&](size_t at, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  uint64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    uint64_t dim = be(4 + 4 * d, 4);
    if (dim == 0 || count > (uint64_t(1) << 34) / dim)
      return fileError(path, "IDX dimensions are zero or too large");
    out.dims.push_back(static_cast<int64_t>(dim));
    count *= dim;
  }
  size_t start = 4 + 4 * size_t(ndim);
  if (bytes.size() != start + count * size)
    return fileError(path, "IDX file has " + std::to_string(bytes.size()) + " bytes; its header "
                           "promises " + std::to_string(start + count * size) +
                           (bytes.size() < start + count * size ? " (truncated)" : ""));
  out.data.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t raw = be(start + i * size, size);
    double v;
    switch (type) {
    case 0x08: v = double(uint8_t(raw)); break;
    case 0x09: v = double(int8_t(raw)); break;
    case 0x0B: v = double(int16_t(raw)); break;
    case 0x0C: v = double(int32_t(raw)); break;
    case 0x0D: { uint32_t u = uint32_t(raw); float f; std::memcpy(&f, &u, 4); v = f; break; }
    default: { double d; std::memcpy(&d, &raw, 8); v = d; break; }
    }
    out.data[i] = v;
  }
  return true;
}

/// The header of a .npy file: NumPy writes a Python dict literal with exactly
/// the keys descr, fortran_order and shape, padded with spaces and ended by
/// a newline. Anything else is an error with the header offset.
struct NpyHeader {
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
};

bool parseNpyHeader(const std::string &h, NpyHeader &out, std::string &error) {
  size_t at = 0;
  auto spaces = [&] {
    while (at < h.size() && h[at] == ' ')
      ++at;
  };
  auto expect = [&](char c) {
    spaces();
    if (at < h.size() && h[at] == c)
      return ++at, true;
    error = std::string("expected '") + c + "' at header byte " + std::to_string(at);
    return false;
  };
  auto quoted = [&](std::string &v) {
    spaces();
    if (at >= h.size() || (h[at] != '\'' && h[at] != '"')) {
      error = "expected a quoted string at header byte " + std::to_string(at);
      return false;
    }
    char q = h[at++];
    size_t end = h.find(q, at);
    if (end == std::string::npos) {
      error = "unterminated string in the header";
      return false;
    }
    v = h.substr(at, end - at);
    at = end + 1;
    return true;
  };
  auto integer = [&](int64_t &v) {
    spaces();
    size_t from = at;
    v = 0;
    while (at < h.size() && h[at] >= '0' && h[at] <= '9' && at - from < 12)
      v = v * 10 + (h[at++] - '0');
    if (at == from || (at < h.size() && h[at] >= '0' && h[at] <= '9')) {
      error = "the shape's entries must be whole numbers (header byte " + std::to_string(from) + ")";
      return false;
    }
    return true;
  };
  std::set<std::string> seen;
  if (!expect('{'))
    return false;
  for (;;) {
    spaces();
    if (at < h.size() && h[at] == '}')
      break;
    std::string key;
    if (!quoted(key) || !expect(':'))
      return false;
    if (!seen.insert(key).second) {
      error = "the header names '" + key + "' twice";
      return false;
    }
    spaces();
    if (key == "descr") {
      if (!quoted(out.descr))
        return false;
    } else if (key == "fortran_order") {
      if (h.compare(at, 4, "True") == 0)
        out.fortran = true, at += 4;
      else if (h.compare(at, 5, "False") == 0)
        at += 5;
      else {
        error = "fortran_order must be True or False";
        return false;
      }
    } else if (key == "shape") {
      if (!expect('('))
        return false;
      for (;;) {
        spaces();
        if (at < h.size() && h[at] == ')')
          break;
        int64_t d = 0;
        if (!integer(d))
          return false;
        out.shape.push_back(d);
        spaces();
        if (at < h.size() && h[at] == ',') {
          ++at;
          continue;
        }
        if (at >= h.size() || h[at] != ')') {
          error = "expected ',' or ')' in the shape at header byte " + std::to_string(at);
          return false;
        }
      }
      ++at;
    } else {
      error = "unknown header key '" + key + "' (expected descr, fortran_order and shape)";
      return false;
    }
    spaces();
    if (at < h.size() && h[at] == ',') {
      ++at;
      continue;
    }
    if (!expect('}'))
      return false;
    --at;
  }
  ++at;
  if (seen.size() != 3) {
    error = "the header lacks descr, fortran_order or shape";
    return false;
  }
  size_t rest = h.find_first_not_of(" \n", at);
  if (rest != std::string::npos) {
    error = "unexpected bytes after the header's dictionary (header byte " + std::to_string(rest) + ")";
    return false;
  }
  return true;
}

/// NumPy .npy (versions 1.0-3.0): C order, little-endian f4, f8, i4, i8 or u1.
bool readNpy(const std::string &path, const std::string &bytes, Array &out) {
  if (bytes.size() < 10)
    return fileError(path, "truncated .npy header");
  int major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    return fileError(path, "unsupported .npy format version " + std::to_string(major) + "." +
                               std::to_string(minor) + " (1.0, 2.0 and 3.0 are read)");
  size_t headerLen = major == 1 ? (static_cast<unsigned char>(bytes[8]) |
                                   static_cast<unsigned char>(bytes[9]) << 8)
                                : bytes.size() >= 12
                                      ? size_t(static_cast<unsigned char>(bytes[8])) |
                                            size_t(static_cast<unsigned char>(bytes[9])) << 8 |
                                            size_t(static_cast<unsigned char>(bytes[10])) << 16 |
                                            size_t(static_cast<unsigned char>(bytes[11])) << 24
                                      : 0;
  size_t start = (major == 1 ? 10 : 12) + headerLen;
  if (headerLen == 0 || start > bytes.size())
    return fileError(path, "truncated .npy header");
  NpyHeader header;
  std::string error;
  if (!parseNpyHeader(bytes.substr(major == 1 ? 10 : 12, headerLen), header, error))
    return fileError(path, "bad .npy header: " + error);
  if (header.fortran)
    return fileError(path, "Fortran-ordered arrays are not supported; save with C order");
  int size = 0;
  char kind = 0;
  for (auto &d : std::vector<std::pair<std::string, std::pair<char, int>>>{
           {"<f2", {'f', 2}}, {"<f4", {'f', 4}}, {"<f8", {'f', 8}}, {"|i1", {'i', 1}},
           {"<i2", {'i', 2}}, {"<i4", {'i', 4}}, {"<i8", {'i', 8}}, {"|u1", {'u', 1}},
           {"<u2", {'u', 2}}, {"<u4", {'u', 4}}, {"<u8", {'u', 8}}, {"|b1", {'b', 1}}})
    if (header.descr == d.first)
      kind = d.second.first, size = d.second.second;
  if (!size)
    return fileError(path, "unsupported .npy element type '" + header.descr +
                               "' (expected float16/32/64, int8/16/32/64, uint8/16/32/64 or "
                               "bool, little-endian)");
  out.descr = header.descr;
  uint64_t count = 1;
  for (int64_t d : header.shape) {
    if (d <= 0 || count > (uint64_t(1) << 34) / uint64_t(d))
      return fileError(path, "bad .npy shape: dimensions must be 1 or more, and the array at "
                             "most 2^34 elements");
    out.dims.push_back(d);
    count *= uint64_t(d);
  }
  if (bytes.size() != start + count * size)
    return fileError(path, ".npy data has " + std::to_string(bytes.size() - start) +
                           " bytes; its shape needs " + std::to_string(count * size));
  out.data.resize(count);
  const char *p = bytes.data() + start;
  for (uint64_t i = 0; i < count; ++i, p += size) {
    uint64_t bits = 0; // little-endian, as every descr read here is
    std::memcpy(&bits, p, size);
    if (kind == 'f' && size == 2) out.data[i] = halfValue(uint16_t(bits));
    else if (kind == 'f' && size == 4) { float f; std::memcpy(&f, p, 4); out.data[i] = f; }
    else if (kind == 'f') { double d; std::memcpy(&d, p, 8); out.data[i] = d; }
    else if (kind == 'b') {
      if (bits > 1)
        return fileError(path, "element " + std::to_string(i) + " of the bool array is the byte " +
                                   std::to_string(bits) + "; numpy's bools are 0 or 1");
      out.data[i] = double(bits);
    } else {
      // Integers: exact in a double up to 2^53; the caller reports the
      // first beyond (it knows the samples), labels are range-checked later.
      int64_t v = kind == 'u' ? 0 : int64_t(bits << (64 - 8 * size)) >> (64 - 8 * size);
      bool big = kind == 'u' ? bits > (uint64_t(1) << 53)
                             : v < -(int64_t(1) << 53) || v > (int64_t(1) << 53);
      if (big && out.inexact < 0) {
        out.inexact = int64_t(i);
        out.inexactValue = kind == 'u' ? std::to_string(bits) : std::to_string(v);
      }
      out.data[i] = kind == 'u' ? double(bits) : double(v);
    }
  }
  return true;
}

/// Reads an IDX or .npy file (told apart by their magic bytes); false when
/// the file is neither (then it is read as CSV).
/// Whether a file starts as a valid IDX header does: two zero bytes, a type
/// code (0x08 unsigned byte .. 0x0E double) and a dimension count.
bool idxMagic(const std::string &head) {
  return head.size() >= 4 && head[0] == 0 && head[1] == 0 &&
         ((head[2] >= 0x08 && head[2] <= 0x09) || (head[2] >= 0x0B && head[2] <= 0x0E)) &&
         head[3] >= 1;
}

/// Whether text has bytes no CSV holds (control characters but tab, line
/// ends, form feed).
bool binaryBytes(const std::string &text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char c) { return c < 9 || (c > 13 && c < 32); });
}

bool readBinary(const std::string &path, Array &out, bool &isBinary) {
  std::string bytes, error;
  isBinary = false;
  // Told apart by the first bytes, before the whole file is read: a CSV
  // (or a device that never ends) is not read twice.
  std::string head = readHead(path, 64);
  bool npy = head.compare(0, 6, "\x93NUMPY") == 0;
  if (!npy && !(head.size() >= 4 && head[0] == 0 && head[1] == 0))
    return true;
  isBinary = true;
  if (!npy && !idxMagic(head)) // its header is wrong: say how, from the head alone
    return readIdx(path, head, out);
  if (!readFile(path, bytes, error, kMaxDataBytes)) {
    std::cerr << "nnc: error: " << error << '\n';
    return false;
  }
  return npy ? readNpy(path, bytes, out) : readIdx(path, bytes, out);
}

bool readCsv(const std::string &path, Csv &csv) {
  std::string text, error;
  const char *binary = "not a CSV, IDX or .npy file (it holds binary data)";
  if (binaryBytes(readHead(path, 1 << 16))) // before reading it all
    return csvError(path, 0, binary), false;
  if (!readFile(path, text, error, kMaxDataBytes)) {
    std::cerr << "nnc: error: " << error << '\n';
    return false;
  }
  if (binaryBytes(text))
    return csvError(path, 0, binary), false;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) // a UTF-8 byte-order mark (spreadsheets write one)
    text.erase(0, 3);
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return csvError(path, 0, "the file is empty; expected CSV (a header line, then one row per "
                             "sample), IDX or .npy"),
           false;
  if (text[first] == '{' || text[first] == '[')
    return csvError(path, 0, "JSON is not a data file format (CSV, IDX or .npy are); predict's "
                             "--input takes JSON"),
           false;
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    line = trim(line);
    if (line.empty() || line[0] == '#')
      continue; // comments say where the data came from
    std::vector<std::string> cells = splitCsvLine(line);
    if (csv.header.empty()) {
      csv.firstLine = lineNo;
      double v = 0;
      csv.headerless = std::all_of(cells.begin(), cells.end(),
                                   [&](const std::string &c) { return decimalCell(trim(c), v); });
      for (size_t i = 0; i < cells.size(); ++i)
        csv.header.push_back(csv.headerless ? "column " + std::to_string(i + 1) : trim(cells[i]));
      if (!csv.headerless)
        continue; // else the line is the first row
    }
    if (cells.size() != csv.header.size()) {
      csvError(path, lineNo, "expected " + std::to_string(csv.header.size()) +
                                 " columns, got " + std::to_string(cells.size()));
      return false;
    }
    std::vector<double> row;
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string cell = trim(cells[i]);
      double v = 0;
      if (!decimalCell(cell, v)) {
        csvError(path, lineNo, "column '" + csv.header[i] + "' is not a finite decimal number: '" +
                                   shortened(cell) + "'");
        return false;
      }
      row.push_back(v);
    }
    csv.rows.push_back(std::move(row));
  }
  if (csv.header.empty() || csv.rows.empty()) {
    csvError(path, lineNo, "no data rows (a header line, then one row per sample)");
    return false;
  }
  return true;
}

/// By name, or by the name's identifier (support/Identifiers.h): an
/// imported model's `input.1` is bound as given.
const Interface *findInterface(const Program &p, const std::string &name) {
  for (const Interface &in : p.inputs)
    if (in.name == name)
      return &in;
  for (const Interface &in : p.inputs)
    if (in.name == identifierFor(name))
      return &in;
  return nullptr;
}

bool addColumn(Dataset &out, const std::string &name, std::vector<double> values,
               int64_t samples, const std::string &path) {
  if (out.columns.count(name)) {
    std::cerr << "nnc: error: data for '" << name << "' is given twice\n";
    return false;
  }
  if (!out.columns.empty() && samples != out.samples) {
    std::cerr << path << ": error: " << samples << " samples, but earlier data has "
              << out.samples << '\n';
    return false;
  }
  out.samples = samples;
  out.columns[name] = std::move(values);
  return true;
}

} // namespace

static bool loadFiles(const Program &p, const std::vector<std::string> &specs, Dataset &out,
                      bool allowNonFinite);

/// Training and evaluation data must be finite, in every format (CSV cells
/// are checked as they are read): the first NaN or Inf of an array is
/// named by sample and element.
static bool checkFinite(const std::string &path, const std::vector<double> &data,
                        int64_t perSample) {
  for (size_t i = 0; i < data.size(); ++i)
    if (!std::isfinite(data[i]))
      return fileError(path, "sample " + std::to_string(int64_t(i) / perSample) + ", element " +
                                 std::to_string(int64_t(i) % perSample) + " is " +
                                 (std::isnan(data[i]) ? "NaN" : data[i] > 0 ? "Inf" : "-Inf") +
                                 "; training and evaluation data must be finite (predict "
                                 "accepts NaN and Inf)");
  return true;
}

bool readArrayFile(const std::string &path, std::vector<int64_t> &dims, std::vector<double> &data) {
  Array array;
  bool binary = false;
  if (!readBinary(path, array, binary))
    return false;
  if (!binary)
    return fileError(path, "not a NumPy .npy or IDX file");
  if (array.inexact >= 0)
    return fileError(path, "element " + std::to_string(array.inexact) + " is " + array.inexactValue +
                               ", beyond the 2^53 that nnc reads exactly");
  dims = std::move(array.dims);
  data = std::move(array.data);
  return true;
}

bool loadDataset(const Program &p, const std::vector<std::string> &specs, Dataset &out,
                 const std::vector<std::string> &scales, bool allowNonFinite) {
  return loadFiles(p, specs, out, allowNonFinite) && checkLabels(p, out) && checkStored(p, out) &&
         applyScales(p, scales, out);
}

/// A typed input (`input x: i64[...]`, bool, f16) takes .npy of exactly its
/// type, and numpy's other types only float inputs (and class labels) take.
/// Integers must be exact in a double.
static bool checkElementType(const std::string &path, const Interface &in, const Array &array) {
  const std::string &descr = array.descr;
  std::string what = descr.empty() ? std::string("IDX data") : "'" + descr + "' (" + npyTypeName(descr) + ") elements";
  if (in.storage != Storage::Float && descr != npyDescr(in.storage))
    return fileError(path, "'" + in.name + "' is an input of type " + storageName(in.storage) +
                           ", but the file holds " + what + "; give a numpy " +
                           npyTypeName(npyDescr(in.storage)) + " array ('" +
                           npyDescr(in.storage) + "')");
  static const std::set<std::string> plain = {"", "<f4", "<f8", "<i4", "<i8", "|u1"};
  if (in.storage == Storage::Float && !plain.count(descr))
    return fileError(path, "the file holds " + what + ", but '" + in.name + "' is " +
                           (in.classes ? "a class(N) input; give it int32 or int64 labels"
                                       : "a float input; give it float32 or float64 data, or "
                                         "declare its type as the file's (`" + in.name + ": " +
                                         storageName(storageOfNpy(descr)) + "[...]`)"));
  if (array.inexact >= 0) {
    int64_t perSample = std::max<int64_t>(in.node->type.elementsPerSample(), 1);
    bool single = array.dims == in.node->type.dims;
    int64_t sample = single ? 0 : array.inexact / perSample;
    return fileError(path, "sample " + std::to_string(sample) + ", element " +
                           std::to_string(array.inexact % perSample) + " of '" + in.name + "' is " +
                           array.inexactValue + ", beyond the 2^53 that nnc computes exactly");
  }
  return true;
}

static bool loadFiles(const Program &p, const std::vector<std::string> &specs, Dataset &out,
                      bool allowNonFinite) {
  for (const std::string &spec : specs) {
    size_t eq = spec.find('=');
    std::string path = eq == std::string::npos ? spec : spec.substr(eq + 1);
    out.origin += (out.origin.empty() ? "" : ", ") + path;
    Csv csv;
    if (eq != std::string::npos) {
      std::string name = spec.substr(0, eq);
      const Interface *in = findInterface(p, name);
      if (!in) {
        std::cerr << "nnc: error: '" << name << "' is not an input or target of model '"
                  << p.modelName << "'\n";
        return false;
      }
      name = in->name;
      int64_t perSample = in->node->type.elementsPerSample();
      Array array;
      bool binary = false;
      if (!readBinary(path, array, binary))
        return false;
      if (binary && !allowNonFinite && !checkFinite(path, array.data, std::max<int64_t>(perSample, 1)))
        return false;
      if (binary && !checkElementType(path, *in, array))
        return false;
      if (binary) {
        // An array of exactly the per-sample shape is one sample (an
        // imported model's tensors, which have no batch axis).
        if (array.dims == in->node->type.dims) {
          out.single = out.columns.empty() || out.single;
          if (!addColumn(out, name, std::move(array.data), 1, path))
            return false;
          continue;
        }
        out.single = false;
        if (array.dims.empty())
          return fileError(path, ".npy holds a scalar; expected samples first");
        int64_t got = 1;
        for (size_t k = 1; k < array.dims.size(); ++k)
          got *= array.dims[k];
        if (got != perSample)
          return fileError(path, "samples of " + TensorType{DType::F32, std::vector<int64_t>(array.dims.begin() + 1, array.dims.end()), false}.shapeStr() +
                                     " (" + std::to_string(got) + " values) do not fit '" + name +
                                     "' of shape " + in->node->type.shapeStr());
        if (!addColumn(out, name, std::move(array.data), array.dims[0], path))
          return false;
        continue;
      }
      if (!readCsv(path, csv))
        return false;
      if (static_cast<int64_t>(csv.header.size()) != perSample) {
        csvError(path, 1, "'" + name + "' has " + std::to_string(perSample) +
                              " values per sample " + in->node->type.shapeStr() + " but the file has " +
                              std::to_string(csv.header.size()) + " columns");
        return false;
      }
      std::vector<double> values;
      for (auto &row : csv.rows)
        values.insert(values.end(), row.begin(), row.end());
      if (!addColumn(out, name, std::move(values), csv.rows.size(), path))
        return false;
      continue;
    }
    Array array;
    bool binary = false;
    if (!readBinary(path, array, binary))
      return false;
    if (binary)
      return fileError(path, "an IDX or .npy file holds one array: bind it to an input by name, "
                             "--data NAME=" + path);
    if (!readCsv(path, csv))
      return false;
    if (csv.headerless) {
      csvError(path, csv.firstLine, "its first line is numbers, not a header naming the columns; "
                                    "bind it to an input by name (--data NAME=" + path +
                                    ") or add a header line");
      return false;
    }
    bool matched = false;
    for (const Interface &in : p.inputs) {
      int64_t perSample = in.node->type.elementsPerSample();
      std::vector<size_t> cols;
      for (int64_t k = 0; k < perSample; ++k) {
        std::string want = perSample == 1 ? in.name : in.name + "_" + std::to_string(k);
        for (size_t c = 0; c < csv.header.size(); ++c)
          if (csv.header[c] == want)
            cols.push_back(c);
      }
      if (cols.empty())
        continue;
      if (static_cast<int64_t>(cols.size()) != perSample) {
        csvError(path, 1, "found " + std::to_string(cols.size()) + " of the " +
                              std::to_string(perSample) + " columns " + in.name + "_0.." +
                              in.name + "_" + std::to_string(perSample - 1));
        return false;
      }
      std::vector<double> values;
      for (auto &row : csv.rows)
        for (size_t c : cols)
          values.push_back(row[c]);
      if (!addColumn(out, in.name, std::move(values), csv.rows.size(), path))
        return false;
      matched = true;
      // A column named like one more element (x_5 for x: [5]) is a file
      // that does not fit, not one to ignore.
      for (const std::string &column : csv.header) {
        const std::string prefix = in.name + "_";
        if (column.size() <= prefix.size() || column.compare(0, prefix.size(), prefix) != 0 ||
            column.find_first_not_of("0123456789", prefix.size()) != std::string::npos)
          continue;
        if (perSample == 1 || std::stoll(column.substr(prefix.size()).substr(0, 18)) >= perSample) {
          csvError(path, csv.firstLine, "column '" + column + "' does not fit '" + in.name +
                                            "' of shape " + in.node->type.shapeStr() + " (" +
                                            (perSample == 1 ? "one column, '" + in.name + "'"
                                                            : "columns " + in.name + "_0.." + in.name +
                                                                  "_" + std::to_string(perSample - 1)) +
                                            ")");
          return false;
        }
      }
    }
    if (!matched) {
      csvError(path, 1, "no column matches an input or target of model '" + p.modelName + "'");
      return false;
    }
  }
  return true;
}

bool inlineDataset(const Program &p, const std::string &name, Dataset &out) {
  const InlineData *d = p.dataset(name);
  if (!d)
    return false;
  out.origin = "the model's data " + name + " block";
  out.samples = d->samples;
  out.columns = d->columns;
  return true;
}

bool applyScales(const Program &p, const std::vector<std::string> &scales, Dataset &d) {
  for (const std::string &spec : scales) {
    size_t eq = spec.find('=');
    std::string name = spec.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : spec.substr(eq + 1);
    // FACTOR or A/B, e.g. 1/255.
    char *end = nullptr;
    double factor = std::strtod(value.c_str(), &end);
    if (end && *end == '/') {
      char *end2 = nullptr;
      double denom = std::strtod(end + 1, &end2);
      factor = denom != 0 ? factor / denom : NAN;
      end = end2;
    }
    if (value.empty() || !end || *end || !std::isfinite(factor)) {
      std::cerr << "nnc: error: --scale expects NAME=FACTOR (e.g. image=1/255), got '" << spec
                << "'\n";
      return false;
    }
    const Interface *in = findInterface(p, name);
    if (!in || in->classes) {
      std::cerr << "nnc: error: --scale: '" << name << "' is not a numeric input or target of "
                << "model '" << p.modelName << "'\n";
      return false;
    }
    auto column = d.columns.find(name);
    if (column != d.columns.end())
      for (double &v : column->second)
        v *= factor;
  }
  return true;
}

bool checkLabels(const Program &p, const Dataset &d) {
  for (const Interface &in : p.inputs) {
    auto column = d.columns.find(in.name);
    if (!in.classes || column == d.columns.end())
      continue;
    int64_t perSample = in.node->type.elementsPerSample();
    for (size_t i = 0; i < column->second.size(); ++i) {
      double v = column->second[i];
      if (v == in.ignoreIndex && in.hasIgnoreIndex)
        continue;
      if (!(v >= 0 && v < double(in.classes)) || v != double(int64_t(v))) {
        std::cerr << d.origin << ": error: sample " << i / perSample;
        if (perSample > 1)
          std::cerr << ", element " << i % perSample;
        std::cerr << ": label " << v << " of '" << in.name << "' is not a class in 0.."
                  << in.classes - 1;
        if (in.hasIgnoreIndex)
          std::cerr << " (nor the ignore_index " << in.ignoreIndex << ")";
        std::cerr << '\n';
        return false;
      }
    }
  }
  return true;
}

bool checkStored(const Program &p, const Dataset &d) {
  for (const Interface &in : p.inputs) {
    auto column = d.columns.find(in.name);
    if (in.storage == Storage::Float || column == d.columns.end())
      continue;
    int64_t perSample = std::max<int64_t>(in.node->type.elementsPerSample(), 1);
    for (size_t i = 0; i < column->second.size(); ++i) {
      double v = column->second[i];
      if (holdsExactly(in.storage, v))
        continue;
      std::cerr << d.origin << ": error: sample " << i / perSample;
      if (perSample > 1)
        std::cerr << ", element " << i % perSample;
      std::cerr << ": " << formatNumber(v) << " of '" << in.name << "' is not "
                << (in.storage == Storage::Bool ? std::string("a bool (1 or 0)")
                    : in.storage == Storage::F16 ? std::string("a float16 value")
                    : "a value of type " + std::string(storageName(in.storage)) +
                          " (a whole number in its range)")
                << '\n';
      return false;
    }
  }
  return true;
}

std::vector<std::string> missingColumns(const Program &p, const Dataset &d, bool targets) {
  std::vector<std::string> missing;
  for (const Interface &in : p.inputs)
    if ((targets || !in.isTarget) && !d.has(in.name))
      missing.push_back(in.name);
  return missing;
}

} // namespace nnc
