//===- Identifiers.cpp ---------------------------------------------------===//
#include "support/Identifiers.h"

#include <cctype>
#include <set>

namespace nnc {

std::string identifierFor(const std::string &name) {
  static const std::set<std::string> reserved = {
      "model", "input", "target", "param", "const", "output", "loss", "metric", "init",
      "def", "return", "optimizer", "data", "train", "pi", "true", "false"};
  std::string id;
  for (char c : name)
    id += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0])))
    id = "_" + id;
  if (reserved.count(id))
    id += "_";
  return id;
}

} // namespace nnc
