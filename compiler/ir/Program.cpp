//===- Program.cpp --------------------------------------------------------===//
#include "ir/Program.h"

namespace nnc {

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
