//===- Program.cpp --------------------------------------------------------===//
#include "ir/Program.h"

#include <stdexcept>

namespace nnc {

void Entry::addResult(Node *n, std::string resultName, ResultRole role) {
  results.push_back(n);
  resultNames.push_back(std::move(resultName));
  resultRoles.push_back(role);
}

static int findResult(const Entry &e, ResultRole role, const std::string &name) {
  for (size_t i = 0; i < e.results.size(); ++i)
    if (e.resultRoles[i] == role && (name.empty() || e.resultNames[i] == name))
      return static_cast<int>(i);
  return -1;
}

bool Entry::hasResult(ResultRole role, const std::string &resultName) const {
  return findResult(*this, role, resultName) >= 0;
}

size_t Entry::result(ResultRole role, const std::string &resultName) const {
  int i = findResult(*this, role, resultName);
  if (i < 0)
    throw std::logic_error("entry '" + name + "' has no result '" + resultName + "' of the role asked for");
  return static_cast<size_t>(i);
}

int64_t Program::parameterCount() const {
  int64_t n = 0;
  for (const StateTensor &s : state)
    if (s.kind == StateTensor::Kind::Param || s.kind == StateTensor::Kind::Frozen)
      n += s.type.elementsPerSample();
  return n;
}

Node *Program::stepCounter() {
  if (stepState < 0) {
    StateTensor s;
    s.name = "step";
    s.type = TensorType{DType::F64, {}, false};
    s.kind = StateTensor::Kind::OptState;
    stepState = static_cast<int>(state.size());
    s.node = graph.param(s.name, s.type, stepState);
    state.push_back(s);
  }
  return state[stepState].node;
}

bool Program::isCarried(const Node *n) const {
  for (const CarriedState &c : carried)
    if (c.initial == n)
      return true;
  return false;
}

const Entry *Program::entry(const std::string &name) const {
  for (const Entry &e : entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

const InlineData *Program::dataset(const std::string &name) const {
  for (const InlineData &d : datasets)
    if (d.name == name)
      return &d;
  return nullptr;
}

} // namespace nnc
