//===- Dataset.cpp - CSV and inline data ----------------------------------===//
#include "driver/Dataset.h"

#include "support/Diagnostics.h"

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace nnc {
namespace {

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
};

void csvError(const std::string &path, int line, const std::string &message) {
  std::cerr << path << ':' << line << ": error: " << message << '\n';
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

bool readCsv(const std::string &path, Csv &csv) {
  std::string text, error;
  if (!readFile(path, text, error)) {
    std::cerr << "nnc: error: " << error << '\n';
    return false;
  }
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
      for (std::string &c : cells)
        csv.header.push_back(trim(c));
      continue;
    }
    if (cells.size() != csv.header.size()) {
      csvError(path, lineNo, "expected " + std::to_string(csv.header.size()) +
                                 " columns, got " + std::to_string(cells.size()));
      return false;
    }
    std::vector<double> row;
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string cell = trim(cells[i]);
      char *end = nullptr;
      double v = std::strtod(cell.c_str(), &end);
      bool hex = cell.find_first_of("xX") != std::string::npos;
      if (cell.empty() || *end || hex || !std::isfinite(v)) {
        csvError(path, lineNo, "column '" + csv.header[i] + "' is not a finite decimal number: '" +
                                   cell + "'");
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

const Interface *findInterface(const Program &p, const std::string &name) {
  for (const Interface &in : p.inputs)
    if (in.name == name)
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

static bool loadFiles(const Program &p, const std::vector<std::string> &specs, Dataset &out);

bool loadDataset(const Program &p, const std::vector<std::string> &specs, Dataset &out) {
  return loadFiles(p, specs, out) && checkLabels(p, out);
}

static bool loadFiles(const Program &p, const std::vector<std::string> &specs, Dataset &out) {
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
      if (!readCsv(path, csv))
        return false;
      int64_t perSample = in->node->type.elementsPerSample();
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
    if (!readCsv(path, csv))
      return false;
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

bool checkLabels(const Program &p, const Dataset &d) {
  for (const Interface &in : p.inputs) {
    auto column = d.columns.find(in.name);
    if (!in.classes || column == d.columns.end())
      continue;
    for (size_t i = 0; i < column->second.size(); ++i) {
      double v = column->second[i];
      if (v < 0 || v >= double(in.classes) || v != double(int64_t(v))) {
        std::cerr << d.origin << ": error: sample " << i << ": label " << v << " of '" << in.name
                  << "' is not a class in 0.." << in.classes - 1 << '\n';
        return false;
      }
    }
  }
  return true;
}

std::vector<std::string> missingColumns(const Program &p, const Dataset &d, bool targets) {
  std::vector<std::string> missing;
  for (const Interface &in : p.inputs)
    if ((targets || !in.isTarget) && !d.columns.count(in.name))
      missing.push_back(in.name);
  return missing;
}

} // namespace nnc
