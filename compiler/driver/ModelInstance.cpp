//===- ModelInstance.cpp --------------------------------------------------===//
#include "driver/ModelInstance.h"
#include "support/Limits.h"

#include "support/Diagnostics.h"
#include "support/Json.h"

#include <algorithm>
#include <chrono>
#include <dirent.h>
#include <sys/stat.h>
#include <cstring>
#include <iostream>
#include <sstream>

namespace nnc {

std::unique_ptr<ModelInstance> ModelInstance::create(const Program &p, const nnrt_model_desc *desc,
                                                     uint64_t seed, int64_t maxBatch) {
  nnrt_model *m = nnrt_model_create(desc, seed, maxBatch);
  if (!m) {
    std::cerr << "nnc: error: " << nnrt_last_error() << '\n';
    return nullptr;
  }
  return std::make_unique<ModelInstance>(p, m, maxBatch);
}

static int64_t argElements(const nnrt_arg_desc &a, int64_t batch) {
  int64_t n = a.batched ? batch : 1;
  for (int32_t i = 0; i < a.rank; ++i)
    n *= a.dims[i];
  return n;
}

namespace {

/// Samples' rows of a data set column, copied into an argument of `dtype`.
struct RowGather {
  const double *column;
  const int64_t *indices;
  void *dest;
  int64_t perSample;
  int32_t dtype;
};

/// Elements of a batch from which its rows are gathered in parallel.
constexpr int64_t kParallelGatherElements = 1 << 15;

/// nnrt_task_fn over samples [begin, end): one tight loop per element type
/// (the conversion vectorizes).
void gatherRows(void *ctx, int64_t begin, int64_t end, void *) {
  const RowGather &g = *static_cast<const RowGather *>(ctx);
  int64_t n = g.perSample;
  for (int64_t s = begin; s < end; ++s) {
    const double *src = g.column + g.indices[s] * n;
    if (g.dtype == NNRT_F32) {
      float *dst = static_cast<float *>(g.dest) + s * n;
      for (int64_t k = 0; k < n; ++k)
        dst[k] = static_cast<float>(src[k]);
    } else if (g.dtype == NNRT_F64) {
      std::memcpy(static_cast<double *>(g.dest) + s * n, src, sizeof(double) * n);
    } else {
      int32_t *dst = static_cast<int32_t *>(g.dest) + s * n;
      for (int64_t k = 0; k < n; ++k)
        dst[k] = static_cast<int32_t>(src[k]);
    }
  }
}

} // namespace

bool ModelInstance::run(const std::string &entryName, const Dataset &data,
                        const std::vector<int64_t> &indices,
                        std::vector<std::vector<double>> &results, void *gradients) {
  int entry = nnrt_model_find_entry(m_, entryName.c_str());
  if (entry < 0) {
    std::cerr << "nnc: error: model '" << p_.modelName << "' has no '" << entryName
              << "' function (does it declare a loss?)\n";
    return false;
  }
  auto clock = std::chrono::steady_clock::now;
  auto gatherStart = clock();
  const nnrt_entry_desc &e = nnrt_model_describe(m_)->entries[entry];
  int64_t batch = static_cast<int64_t>(indices.size());
  scratch_.resize(e.num_args);
  std::vector<void *> args(e.num_args);
  char *nextGradient = static_cast<char *>(gradients);
  // apply takes the gradients (then returns lr); grads returns loss,
  // metrics, then them.
  int32_t tensors = static_cast<int32_t>(gradientTensors());
  bool apply = entryName == "apply";
  auto isGradient = [&](int32_t a) {
    return gradients && (apply ? a < tensors : a >= e.num_args - tensors);
  };
  for (int32_t a = 0; a < e.num_args; ++a) {
    const nnrt_arg_desc &desc = e.args[a];
    int64_t count = argElements(desc, batch);
    if (isGradient(a)) {
      args[a] = nextGradient;
      nextGradient += count * nnrt_dtype_size(desc.dtype);
      continue;
    }
    if (desc.role == NNRT_ARG_STATE_IN || desc.role == NNRT_ARG_STATE_OUT)
      continue; // the runtime's own buffers
    scratch_[a].resize(count * nnrt_dtype_size(desc.dtype));
    args[a] = scratch_[a].data();
    if (desc.role == NNRT_ARG_OUTPUT)
      continue;
    int64_t perSample = count / batch;
    if (data.windows && !data.columns.count(desc.name) &&
        (desc.name == data.windows->input || desc.name == data.windows->target)) {
      for (int64_t s = 0; s < batch; ++s) {
        const int32_t *src = data.windows->sample(desc.name, indices[s]);
        for (int64_t k = 0; k < perSample; ++k) {
          if (desc.dtype == NNRT_I32)
            reinterpret_cast<int32_t *>(args[a])[s * perSample + k] = src[k];
          else if (desc.dtype == NNRT_F32)
            reinterpret_cast<float *>(args[a])[s * perSample + k] = float(src[k]);
          else
            reinterpret_cast<double *>(args[a])[s * perSample + k] = src[k];
        }
      }
      continue;
    }
    auto column = data.columns.find(desc.name);
    if (column == data.columns.end()) {
      std::cerr << "nnc: error: no data for '" << desc.name << "' in " << data.origin << '\n';
      return false;
    }
    RowGather gather{column->second.data(), indices.data(), args[a], perSample, desc.dtype};
    // The rows lie anywhere in the data set (a shuffled batch of MNIST reads
    // 64 rows of 6 KB from 376 MB): a large batch is gathered by the
    // model's threads, which are idle between steps.
    if (batch * perSample < kParallelGatherElements ||
        nnrt_model_parallel_for(m_, batch, gatherRows, &gather) != NNRT_OK)
      gatherRows(&gather, 0, batch, nullptr);
  }
  auto computeStart = clock();
  if (nnrt_model_run(m_, entry, batch, args.data()) != NNRT_OK) {
    std::cerr << "nnc: error: " << nnrt_model_error(m_) << '\n';
    return false;
  }
  RunTiming &t = timings[entryName];
  t.gatherSeconds += std::chrono::duration<double>(computeStart - gatherStart).count();
  t.computeSeconds += std::chrono::duration<double>(clock() - computeStart).count();
  ++t.calls;
  results.clear();
  for (int32_t a = 0; a < e.num_args; ++a) {
    const nnrt_arg_desc &desc = e.args[a];
    if (desc.role == NNRT_ARG_STATE_OUT) { // kept by the runtime; a place for its index
      results.emplace_back();
      continue;
    }
    if (desc.role != NNRT_ARG_OUTPUT || isGradient(a))
      continue;
    int64_t count = argElements(desc, batch);
    std::vector<double> values(count);
    for (int64_t i = 0; i < count; ++i)
      values[i] = desc.dtype == NNRT_F32   ? reinterpret_cast<float *>(args[a])[i]
                  : desc.dtype == NNRT_F64 ? reinterpret_cast<double *>(args[a])[i]
                                           : reinterpret_cast<int32_t *>(args[a])[i];
    results.push_back(std::move(values));
  }
  return true;
}

size_t ModelInstance::gradientTensors() const {
  size_t n = 0;
  for (const StateTensor &s : p_.state)
    n += s.kind == StateTensor::Kind::Param;
  return n;
}

int64_t ModelInstance::gradientCount() const {
  int64_t n = 0;
  for (const StateTensor &s : p_.state)
    if (s.kind == StateTensor::Kind::Param)
      n += s.type.elementsPerSample();
  return n;
}

/// Carried state set aside for an evaluation: every window is evaluated
/// from a zero state, and the state training carries is put back after.
struct CarriedAside {
  nnrt_model *m;
  std::vector<std::pair<void *, std::vector<char>>> saved;
  CarriedAside(nnrt_model *model, const Program &p) : m(model) {
    for (const CarriedState &c : p.carried) {
      int64_t count = 0;
      int dtype = 0;
      char *rows = static_cast<char *>(nnrt_model_param(m, c.name.c_str(), &count, &dtype));
      saved.emplace_back(rows, std::vector<char>(rows, rows + count * nnrt_dtype_size(dtype)));
    }
    nnrt_model_reset_state(m);
  }
  ~CarriedAside() {
    for (auto &[rows, bytes] : saved)
      std::memcpy(rows, bytes.data(), bytes.size());
  }
};

bool ModelInstance::evaluate(const Dataset &d, Evaluation &out, bool keepOutputs) {
  CarriedAside aside(m_, p_);
  size_t metrics = p_.metrics.size();
  const Entry &eval = *p_.entry("eval");
  out = Evaluation{};
  out.metrics.assign(metrics, 0.0);
  const int64_t chunk = maxBatch_;
  std::vector<std::vector<double>> r;
  for (int64_t begin = 0; begin < d.samples; begin += chunk) {
    std::vector<int64_t> idx;
    for (int64_t i = begin; i < std::min(d.samples, begin + chunk); ++i)
      idx.push_back(i);
    if (!run("eval", d, idx, r))
      return false;
    double weight = static_cast<double>(idx.size());
    double loss = r[eval.result(ResultRole::Loss)][0];
    out.loss += p_.lossBatchSum ? loss : loss * weight;
    for (size_t k = 0; k < metrics; ++k)
      out.metrics[k] += r[eval.result(ResultRole::Metric, p_.metrics[k].name)][0] * weight;
    if (keepOutputs) {
      out.outputs.resize(p_.outputs.size());
      for (size_t o = 0; o < out.outputs.size(); ++o) {
        const std::vector<double> &v = r[eval.result(ResultRole::Output, p_.outputs[o].name)];
        out.outputs[o].insert(out.outputs[o].end(), v.begin(), v.end());
      }
    }
  }
  // reduce: sum losses sum over the batch; mean losses are averaged.
  if (!p_.lossBatchSum)
    out.loss /= static_cast<double>(d.samples);
  for (double &v : out.metrics)
    v /= static_cast<double>(d.samples);
  return true;
}

std::string Evaluation::describe(const Program &p, int digits) const {
  auto number = [&](double v) { return digits ? formatSignificant(v, digits) : formatNumber(v); };
  std::string s = "loss " + number(loss);
  for (size_t k = 0; k < metrics.size(); ++k)
    s += ", " + p.metrics[k].name + " " + number(metrics[k]);
  return s;
}

std::vector<double> ModelInstance::stateValues(int index) const {
  const StateTensor &s = p_.state[index];
  int64_t count = 0;
  int dtype = 0;
  void *ptr = nnrt_model_param(m_, s.name.c_str(), &count, &dtype);
  std::vector<double> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = dtype == NNRT_F32 ? static_cast<float *>(ptr)[i] : static_cast<double *>(ptr)[i];
  return values;
}

void ModelInstance::setStateValues(int index, const std::vector<double> &values) {
  const StateTensor &s = p_.state[index];
  int64_t count = 0;
  int dtype = 0;
  void *ptr = nnrt_model_param(m_, s.name.c_str(), &count, &dtype);
  for (int64_t i = 0; i < count && i < static_cast<int64_t>(values.size()); ++i) {
    if (dtype == NNRT_F32)
      static_cast<float *>(ptr)[i] = static_cast<float>(values[i]);
    else
      static_cast<double *>(ptr)[i] = values[i];
  }
}

std::string formatTensor(const std::vector<double> &values, const std::vector<int64_t> &dims,
                         bool single, size_t offset) {
  if (dims.empty())
    return formatNumber(values[offset], single);
  int64_t inner = 1;
  for (size_t i = 1; i < dims.size(); ++i)
    inner *= dims[i];
  std::vector<int64_t> rest(dims.begin() + 1, dims.end());
  std::string s = "[";
  for (int64_t i = 0; i < dims[0]; ++i)
    s += (i ? ", " : "") + formatTensor(values, rest, single, offset + i * inner);
  return s + "]";
}

std::string ModelInstance::paramsJson() const {
  std::ostringstream os;
  os << "{";
  bool first = true;
  for (size_t i = 0; i < p_.state.size(); ++i) {
    const StateTensor &s = p_.state[i];
    if (s.kind == StateTensor::Kind::OptState)
      continue;
    os << (first ? "\n" : ",\n") << "  \"" << s.name << "\": "
       << formatTensor(stateValues(static_cast<int>(i)), s.type.dims,
                       s.type.dtype == DType::F32);
    first = false;
  }
  os << "\n}\n";
  return os.str();
}

bool ModelInstance::setThreads(int64_t threads) {
  if (nnrt_model_set_threads(m_, static_cast<int>(std::min<int64_t>(threads, 1 << 20))) != NNRT_OK) {
    std::cerr << "nnc: error: --threads: " << nnrt_model_error(m_) << '\n';
    return false;
  }
  return true;
}

bool ModelInstance::loadParams(const std::string &path, nnrt_train_state *train) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    if (train)
      *train = nnrt_train_state{0, 0, 0, 0, 0, 0};
    return loadParamsNpyDir(path);
  }
  if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
    std::cerr << "nnc: error: '" << path << "' is empty (neither an nnc checkpoint nor JSON "
                 "parameters)\n";
    return false;
  }
  if (!nnrt_is_checkpoint(path.c_str())) {
    if (train)
      *train = nnrt_train_state{0, 0, 0, 0, 0, 0};
    return loadParamsJson(path);
  }
  if (nnrt_model_load(m_, path.c_str(), train) != NNRT_OK) {
    std::cerr << "nnc: error: " << nnrt_model_error(m_) << '\n';
    return false;
  }
  return true;
}

bool ModelInstance::saveCheckpoint(const std::string &path, const nnrt_train_state &train) {
  if (nnrt_model_save(m_, path.c_str(), &train) != NNRT_OK) {
    std::cerr << "nnc: error: " << nnrt_model_error(m_) << '\n';
    return false;
  }
  return true;
}

bool ModelInstance::loadParamsJson(const std::string &path) {
  std::string text, error;
  // JSON text holds no NUL byte: refuse a binary file (or /dev/zero) at once
  // instead of reading up to the JSON limit.
  if (readHead(path, 1 << 16).find('\0') != std::string::npos) {
    std::cerr << "nnc: error: '" << path << "' is neither an nnc checkpoint nor JSON "
                 "parameters (it holds NUL bytes)\n";
    return false;
  }
  if (!readFile(path, text, error, kMaxJsonBytes)) {
    std::cerr << "nnc: error: " << error << '\n';
    return false;
  }
  Json root;
  if (!parseJson(text, root, error)) {
    std::cerr << path << ':' << error << '\n';
    return false;
  }
  auto fail = [&](const Json &at, const std::string &message) {
    std::cerr << path << ':' << at.line << ':' << at.col << ": error: " << message << '\n';
    return false;
  };
  if (root.kind != Json::Kind::Object)
    return fail(root, "expected an object mapping parameter names to values");
  for (auto &member : root.members) {
    int index = -1;
    for (size_t i = 0; i < p_.state.size(); ++i)
      if (p_.state[i].name == member.first && p_.state[i].kind != StateTensor::Kind::OptState)
        index = static_cast<int>(i);
    if (index < 0)
      return fail(member.second, "model '" + p_.modelName + "' has no parameter '" +
                                     member.first + "'");
    std::vector<double> data;
    std::vector<int64_t> dims;
    const TensorType &t = p_.state[index].type;
    if (!flattenNumbers(member.second, data, dims))
      return fail(member.second, "'" + member.first + "' must be a number or nested arrays of numbers");
    if (dims != t.dims)
      return fail(member.second, "'" + member.first + "' has shape " +
                                     TensorType{t.dtype, dims, false}.shapeStr() +
                                     " but the model declares " + t.shapeStr());
    setStateValues(index, data);
  }
  return true;
}

/// One NAME.npy per parameter, as `numpy.save(f"{dir}/{name}.npy", w)`
/// writes them; parameters without a file keep their initial values. Every
/// file is checked before any parameter changes.
bool ModelInstance::loadParamsNpyDir(const std::string &dir) {
  // A file that names no parameter is a typo, not something to skip.
  DIR *listing = opendir(dir.c_str());
  if (!listing) {
    std::cerr << "nnc: error: cannot read directory '" << dir << "'\n";
    return false;
  }
  std::vector<std::string> names;
  while (dirent *entry = readdir(listing)) {
    std::string file = entry->d_name;
    if (file.size() > 4 && file.compare(file.size() - 4, 4, ".npy") == 0)
      names.push_back(file.substr(0, file.size() - 4));
  }
  closedir(listing);
  std::sort(names.begin(), names.end());
  for (const std::string &name : names) {
    bool known = false;
    for (const StateTensor &st : p_.state)
      known |= st.name == name && st.kind != StateTensor::Kind::OptState;
    if (!known) {
      std::cerr << dir << "/" << name << ".npy: error: model '" << p_.modelName
                << "' has no parameter '" << name << "'\n";
      return false;
    }
  }
  std::vector<std::pair<int, std::vector<double>>> found;
  for (size_t i = 0; i < p_.state.size(); ++i) {
    const StateTensor &st = p_.state[i];
    if (st.kind == StateTensor::Kind::OptState)
      continue;
    std::string path = dir + "/" + st.name + ".npy";
    struct stat info;
    if (stat(path.c_str(), &info) != 0)
      continue;
    std::vector<int64_t> dims;
    std::vector<double> data;
    if (!readArrayFile(path, dims, data))
      return false;
    if (dims != st.type.dims) {
      std::cerr << path << ": error: '" << st.name << "' has shape "
                << TensorType{st.type.dtype, dims, false}.shapeStr() << " but the model declares "
                << st.type.shapeStr() << '\n';
      return false;
    }
    found.push_back({static_cast<int>(i), std::move(data)});
  }
  if (found.empty()) {
    std::cerr << dir << ": error: no NAME.npy file for any parameter of model '" << p_.modelName
              << "'\n";
    return false;
  }
  for (auto &f : found)
    setStateValues(f.first, f.second);
  return true;
}

} // namespace nnc
