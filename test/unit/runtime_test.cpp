// Unit tests of libnnrt: descriptors are built by hand here, with small C++
// kernels standing in for generated code.
#include "nnrt.h"
#include "internal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <atomic>
#include <thread>
#include <vector>

namespace {

// --- a tiny linear model: y = W x + b, f64, W is 2x3 -----------------------

const int64_t kWDims[] = {2, 3};
const int64_t kBDims[] = {2};
const int64_t kXDims[] = {3};
const int64_t kYDims[] = {2};
const double kWData[] = {1, 2, 3, 4, 5, 6};

const nnrt_tensor_desc kLinearTensors[] = {
    {"w", NNRT_F64, NNRT_PARAM, 2, NNRT_INIT_DATA, kWDims, 0, 0, 0, kWData},
    {"b", NNRT_F64, NNRT_PARAM, 1, NNRT_INIT_CONSTANT, kBDims, 64, 0.5, 0,
     nullptr},
};

const nnrt_arg_desc kPredictArgs[] = {
    {"x", NNRT_F64, NNRT_ARG_INPUT, 1, 1, kXDims},
    {"y", NNRT_F64, NNRT_ARG_OUTPUT, 1, 1, kYDims},
};

constexpr int64_t kWsFixed = 40;
constexpr int64_t kWsPerSample = 24;

// What the kernel saw, so tests can check what the runtime passed it.
struct KernelLog {
  int calls = 0;
  int64_t batch = 0;
  bool aligned = false;
};
KernelLog g_log;

}  // namespace

extern "C" int linear_predict(void *state, void *workspace, int64_t batch,
                              void *const *args) {
  g_log.calls++;
  g_log.batch = batch;
  g_log.aligned = reinterpret_cast<uintptr_t>(state) % 64 == 0 &&
                  reinterpret_cast<uintptr_t>(workspace) % 64 == 0;
  // Touch every workspace byte this batch may use: a sanitizer build catches
  // a workspace that is too small.
  std::memset(workspace, 0xAB, size_t(kWsFixed + kWsPerSample * batch));
  const double *w = static_cast<const double *>(state);
  const double *b = reinterpret_cast<const double *>(
      static_cast<const char *>(state) + 64);
  const double *x = static_cast<const double *>(args[0]);
  double *y = static_cast<double *>(args[1]);
  for (int64_t n = 0; n < batch; ++n)
    for (int i = 0; i < 2; ++i) {
      double s = b[i];
      for (int j = 0; j < 3; ++j)
        s += w[i * 3 + j] * x[n * 3 + j];
      y[n * 2 + i] = s;
    }
  return 0;
}

extern "C" int noop_entry(void *, void *, int64_t, void *const *) { return 0; }

namespace {

const nnrt_entry_desc kLinearEntries[] = {
    {"predict", linear_predict, 2, kPredictArgs, kWsFixed, kWsPerSample},
    {"trace", noop_entry, 0, nullptr, 0, 0},
};

// A descriptor of the current ABI version over the given tables.
nnrt_model_desc Desc(const char *name, const nnrt_tensor_desc *tensors, int32_t numTensors,
                     const nnrt_entry_desc *entries, int32_t numEntries, int64_t stateBytes,
                     int64_t maxBatch) {
  nnrt_model_desc d{};
  d.abi_version = NNRT_ABI_VERSION;
  d.num_tensors = numTensors;
  d.num_entries = numEntries;
  d.name = name;
  d.tensors = tensors;
  d.entries = entries;
  d.state_bytes = stateBytes;
  d.max_batch = maxBatch;
  return d;
}

nnrt_model_desc LinearDesc() {
  nnrt_model_desc d = Desc("linear", kLinearTensors, 2, kLinearEntries, 2, 128, 4);
  d.num_params = 8;
  return d;
}

// --- a model with one tensor per init kind -----------------------------------

constexpr int64_t kN = 10000;  // elements of the random tensors
const int64_t kNDims[] = {kN};
const int64_t kSmallDims[] = {5};
const float kF32Data[] = {1.25f, -2.5f, 3.0f, 0.0f, 7.75f};

enum {
  kZeros, kConstF32, kConstI32, kDataF32, kUniformF64, kUniformF32,
  kNormalF64, kTruncF64, kTruncF32, kNumInitTensors
};

struct InitModel {
  std::vector<nnrt_tensor_desc> tensors;
  nnrt_model_desc desc{};

  InitModel() {
    auto add = [&](const char *name, int32_t dtype, int32_t init,
                   const int64_t *dims, double a, double b,
                   const void *data) {
      nnrt_tensor_desc t{};
      t.name = name;
      t.dtype = dtype;
      t.kind = NNRT_PARAM;
      t.rank = 1;
      t.init = init;
      t.dims = dims;
      t.init_a = a;
      t.init_b = b;
      t.init_data = data;
      tensors.push_back(t);
    };
    add("zeros", NNRT_F64, NNRT_INIT_ZEROS, kSmallDims, 9, 9, nullptr);
    add("const_f32", NNRT_F32, NNRT_INIT_CONSTANT, kSmallDims, 1.5, 0,
        nullptr);
    add("const_i32", NNRT_I32, NNRT_INIT_CONSTANT, kSmallDims, 3, 0, nullptr);
    add("data_f32", NNRT_F32, NNRT_INIT_DATA, kSmallDims, 0, 0, kF32Data);
    add("uniform_f64", NNRT_F64, NNRT_INIT_UNIFORM, kNDims, -2, 3, nullptr);
    add("uniform_f32", NNRT_F32, NNRT_INIT_UNIFORM, kNDims, 0, 1, nullptr);
    add("normal_f64", NNRT_F64, NNRT_INIT_NORMAL, kNDims, 1, 0.5, nullptr);
    add("trunc_f64", NNRT_F64, NNRT_INIT_TRUNCATED_NORMAL, kNDims, -1, 2,
        nullptr);
    add("trunc_f32", NNRT_F32, NNRT_INIT_TRUNCATED_NORMAL, kNDims, 0, 0.1,
        nullptr);
    // Lay the tensors out the way the compiler does: 64-byte aligned.
    int64_t off = 0;
    for (auto &t : tensors) {
      t.offset = off;
      off += (nnrt_tensor_count(&t) * nnrt_dtype_size(t.dtype) + 63) / 64 * 64;
    }
    desc.abi_version = NNRT_ABI_VERSION;
    desc.num_tensors = int32_t(tensors.size());
    desc.name = "inits";
    desc.tensors = tensors.data();
    desc.state_bytes = off;
    desc.max_batch = 1;
  }
};

template <typename T>
std::vector<double> Values(nnrt_model *m, const char *name) {
  int64_t count = -1;
  auto *p = static_cast<const T *>(nnrt_model_param(m, name, &count, nullptr));
  EXPECT_NE(p, nullptr) << name;
  if (!p)
    return {};
  return std::vector<double>(p, p + count);
}

double Mean(const std::vector<double> &v) {
  double s = 0;
  for (double x : v)
    s += x;
  return s / double(v.size());
}

double Std(const std::vector<double> &v) {
  double mu = Mean(v), s = 0;
  for (double x : v)
    s += (x - mu) * (x - mu);
  return std::sqrt(s / double(v.size() - 1));
}

bool Contains(const char *haystack, const std::string &needle) {
  return std::string(haystack).find(needle) != std::string::npos;
}

// --- Philox ----------------------------------------------------------------

// Random123's kat_vectors, the three philox4x32 10 lines.
TEST(Philox, KnownAnswers) {
  struct Case {
    uint32_t ctr[4], key[2], want[4];
  } cases[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Case &c : cases) {
    uint32_t out[4];
    nnrt_philox4x32(c.ctr, c.key, out);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(out[i], c.want[i]) << "word " << i;
  }
}

// The documented mapping: key = seed halves, counter = (index lo, index hi,
// stream lo, stream hi), 53 bits from the first two output words.
TEST(Philox, UniformUsesDocumentedCounterLayout) {
  const uint64_t seed = 0x0123456789abcdefULL, stream = 0xfedcba9876543210ULL,
                 index = 0x1122334455667788ULL;
  uint32_t key[2] = {uint32_t(seed), uint32_t(seed >> 32)};
  uint32_t ctr[4] = {uint32_t(index), uint32_t(index >> 32), uint32_t(stream),
                     uint32_t(stream >> 32)};
  uint32_t out[4];
  nnrt_philox4x32(ctr, key, out);
  uint64_t bits = (uint64_t(out[0]) << 32 | out[1]) >> 11;
  EXPECT_EQ(nnrt_philox_uniform(seed, stream, index),
            double(bits) / 9007199254740992.0);
}

TEST(Philox, UniformInUnitInterval) {
  double lo = 1, hi = 0;
  for (uint64_t i = 0; i < 100000; ++i) {
    double u = nnrt_philox_uniform(7, 3, i);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  EXPECT_LT(lo, 1e-3);
  EXPECT_GT(hi, 1 - 1e-3);
}

TEST(Philox, NormalDrawsAreDeterministic) {
  EXPECT_EQ(nnrt_philox_normal(1, 2, 3), nnrt_philox_normal(1, 2, 3));
  EXPECT_NE(nnrt_philox_normal(1, 2, 3), nnrt_philox_normal(1, 2, 4));
  EXPECT_NE(nnrt_philox_normal(1, 2, 3), nnrt_philox_normal(1, 3, 3));
  EXPECT_NE(nnrt_philox_normal(1, 2, 3), nnrt_philox_normal(2, 2, 3));
  EXPECT_EQ(nnrt_philox_truncated_normal(5, 0, 9),
            nnrt_philox_truncated_normal(5, 0, 9));
}

// --- sizes ---------------------------------------------------------------------

TEST(Sizes, DtypeAndCount) {
  EXPECT_EQ(nnrt_dtype_size(NNRT_F32), 4);
  EXPECT_EQ(nnrt_dtype_size(NNRT_F64), 8);
  EXPECT_EQ(nnrt_dtype_size(NNRT_I32), 4);
  EXPECT_EQ(nnrt_dtype_size(42), 0);
  EXPECT_EQ(nnrt_tensor_count(&kLinearTensors[0]), 6);
  EXPECT_EQ(nnrt_tensor_count(&kLinearTensors[1]), 2);
  nnrt_tensor_desc scalar{};
  scalar.rank = 0;
  EXPECT_EQ(nnrt_tensor_count(&scalar), 1);
}

// --- create / destroy --------------------------------------------------------

TEST(Model, CreateRunDestroy) {
  nnrt_model_desc d = LinearDesc();
  nnrt_model *m = nnrt_model_create(&d, 1, 0);
  ASSERT_NE(m, nullptr) << nnrt_last_error();
  EXPECT_EQ(nnrt_model_describe(m), &d);
  EXPECT_STREQ(nnrt_model_error(m), "");

  int predict = nnrt_model_find_entry(m, "predict");
  EXPECT_EQ(predict, 0);
  EXPECT_EQ(nnrt_model_find_entry(m, "trace"), 1);
  EXPECT_EQ(nnrt_model_find_entry(m, "train_step"), -1);

  double x[4 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1};
  double y[4 * 2] = {};
  void *args[] = {x, y};
  g_log = {};
  ASSERT_EQ(nnrt_model_run(m, predict, 4, args), NNRT_OK) << nnrt_model_error(m);
  EXPECT_EQ(g_log.calls, 1);
  EXPECT_EQ(g_log.batch, 4);
  EXPECT_TRUE(g_log.aligned);
  const double want[] = {1.5, 4.5, 2.5, 5.5, 3.5, 6.5, 6.5, 15.5};
  for (int i = 0; i < 8; ++i)
    EXPECT_DOUBLE_EQ(y[i], want[i]) << i;

  // An entry without arguments may get a NULL array.
  EXPECT_EQ(nnrt_model_run(m, 1, 1, nullptr), NNRT_OK);
  nnrt_model_destroy(m);
  nnrt_model_destroy(nullptr);  // NULL-safe
}

TEST(Model, MaxBatchFromArgumentOrDescriptor) {
  nnrt_model_desc d = LinearDesc();
  double x[16 * 3] = {}, y[16 * 2] = {};
  void *args[] = {x, y};

  nnrt_model *m = nnrt_model_create(&d, 1, 16);
  ASSERT_NE(m, nullptr) << nnrt_last_error();
  EXPECT_EQ(nnrt_model_run(m, 0, 16, args), NNRT_OK);  // above desc's 4
  EXPECT_EQ(nnrt_model_run(m, 0, 17, args), NNRT_EBATCH);
  nnrt_model_destroy(m);

  m = nnrt_model_create(&d, 1, 0);  // 0: the descriptor's 4
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(nnrt_model_run(m, 0, 4, args), NNRT_OK);
  EXPECT_EQ(nnrt_model_run(m, 0, 5, args), NNRT_EBATCH);
  nnrt_model_destroy(m);
}

TEST(Model, CreateRejectsBadDescriptors) {
  EXPECT_EQ(nnrt_model_create(nullptr, 1, 0), nullptr);
  EXPECT_STRNE(nnrt_last_error(), "");

  nnrt_model_desc d = LinearDesc();
  d.abi_version = NNRT_ABI_VERSION + 1;
  EXPECT_EQ(nnrt_model_create(&d, 1, 0), nullptr);
  EXPECT_TRUE(Contains(nnrt_last_error(),
                       "abi version " + std::to_string(NNRT_ABI_VERSION + 1)))
      << nnrt_last_error();

  d = LinearDesc();
  d.max_batch = 0;  // and none given: no valid limit
  EXPECT_EQ(nnrt_model_create(&d, 1, 0), nullptr);
  EXPECT_TRUE(Contains(nnrt_last_error(), "max batch")) << nnrt_last_error();

  d = LinearDesc();
  EXPECT_EQ(nnrt_model_create(&d, 1, -3), nullptr);
  EXPECT_TRUE(Contains(nnrt_last_error(), "negative")) << nnrt_last_error();

  d = LinearDesc();
  d.state_bytes = 64;  // "b" at offset 64 no longer fits
  EXPECT_EQ(nnrt_model_create(&d, 1, 0), nullptr);
  EXPECT_TRUE(Contains(nnrt_last_error(), "'b'")) << nnrt_last_error();

  // Workspace size overflowing int64.
  nnrt_entry_desc big = kLinearEntries[0];
  big.ws_per_sample = INT64_MAX / 2;
  d = LinearDesc();
  d.num_entries = 1;
  d.entries = &big;
  EXPECT_EQ(nnrt_model_create(&d, 1, 3), nullptr);
  EXPECT_TRUE(Contains(nnrt_last_error(), "workspace")) << nnrt_last_error();
}

// --- run errors --------------------------------------------------------------

TEST(Run, RejectsBadCalls) {
  nnrt_model_desc d = LinearDesc();
  nnrt_model *m = nnrt_model_create(&d, 1, 0);
  ASSERT_NE(m, nullptr);
  double x[3] = {}, y[2] = {};
  void *args[] = {x, y};
  g_log = {};

  EXPECT_EQ(nnrt_model_run(m, 0, 5, args), NNRT_EBATCH);
  EXPECT_STREQ(nnrt_model_error(m),
               "batch 5 is outside 1..4 (the model was created for batches "
               "up to 4)");
  EXPECT_STREQ(nnrt_last_error(), nnrt_model_error(m));
  EXPECT_EQ(nnrt_model_run(m, 0, 0, args), NNRT_EBATCH);
  EXPECT_EQ(nnrt_model_run(m, 0, -1, args), NNRT_EBATCH);

  void *null_x[] = {nullptr, y};
  EXPECT_EQ(nnrt_model_run(m, 0, 1, null_x), NNRT_EINVAL);
  EXPECT_STREQ(nnrt_model_error(m), "argument 'x' of 'predict' is NULL");
  void *null_y[] = {x, nullptr};
  EXPECT_EQ(nnrt_model_run(m, 0, 1, null_y), NNRT_EINVAL);
  EXPECT_STREQ(nnrt_model_error(m), "argument 'y' of 'predict' is NULL");
  EXPECT_EQ(nnrt_model_run(m, 0, 1, nullptr), NNRT_EINVAL);
  EXPECT_STRNE(nnrt_model_error(m), "");

  EXPECT_EQ(nnrt_model_run(m, 2, 1, args), NNRT_ENOENT);
  EXPECT_TRUE(Contains(nnrt_model_error(m), "entry 2")) << nnrt_model_error(m);
  EXPECT_EQ(nnrt_model_run(m, -1, 1, args), NNRT_ENOENT);

  EXPECT_EQ(nnrt_model_run(nullptr, 0, 1, args), NNRT_EINVAL);
  EXPECT_STRNE(nnrt_model_error(nullptr), "");

  EXPECT_EQ(g_log.calls, 0);  // no bad call reached the kernel

  // Success clears the model's message; the thread's last error stays.
  EXPECT_EQ(nnrt_model_run(m, 0, 1, args), NNRT_OK);
  EXPECT_STREQ(nnrt_model_error(m), "");
  EXPECT_STRNE(nnrt_last_error(), "");
  nnrt_model_destroy(m);
}

TEST(Errors, LastErrorIsPerThread) {
  EXPECT_NE(nnrt_last_error(), nullptr);
  nnrt_set_error("main %d", 1);
  std::thread t([] {
    EXPECT_STREQ(nnrt_last_error(), "");  // fresh thread: empty, not NULL
    nnrt_set_error("other");
    EXPECT_STREQ(nnrt_last_error(), "other");
  });
  t.join();
  EXPECT_STREQ(nnrt_last_error(), "main 1");
}

TEST(Errors, LongMessagesAreTruncated) {
  std::string longname(2000, 'a');
  nnrt_set_error("%s", longname.c_str());
  EXPECT_EQ(std::strlen(nnrt_last_error()), size_t(NNRT_ERROR_SIZE - 1));
}

// --- parameters ----------------------------------------------------------------

TEST(Param, LookupByName) {
  nnrt_model_desc d = LinearDesc();
  nnrt_model *m = nnrt_model_create(&d, 1, 0);
  ASSERT_NE(m, nullptr);
  int64_t count = -1;
  int dtype = -1;
  auto *b = static_cast<double *>(nnrt_model_param(m, "b", &count, &dtype));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(dtype, NNRT_F64);
  EXPECT_EQ(b[0], 0.5);
  EXPECT_EQ(b[1], 0.5);
  EXPECT_NE(nnrt_model_param(m, "w", nullptr, nullptr), nullptr);
  EXPECT_EQ(nnrt_model_param(m, "nope", &count, &dtype), nullptr);
  EXPECT_EQ(nnrt_model_param(nullptr, "b", &count, &dtype), nullptr);

  // Writes through the pointer are what the kernels see.
  b[0] = 100;
  double x[3] = {0, 0, 0}, y[2];
  void *args[] = {x, y};
  ASSERT_EQ(nnrt_model_run(m, 0, 1, args), NNRT_OK);
  EXPECT_EQ(y[0], 100);
  nnrt_model_destroy(m);
}

// --- the state's pages before the first train_step ----------------------------

// 4 MiB of optimizer state: calloc maps it lazily, and the runtime maps its
// pages writable before the first train_step (model.c). That must not change
// a value: the kernel checks every element against what the test wrote.
constexpr int64_t kMomentCount = int64_t(1) << 20;
const int64_t kMomentDims[] = {kMomentCount};
const nnrt_tensor_desc kMomentTensors[] = {
    {"m", NNRT_F32, NNRT_OPT_STATE, 1, NNRT_INIT_ZEROS, kMomentDims, 0, 0, 0, nullptr},
};
int g_moment_mismatches = -1;

}  // namespace

extern "C" int moment_train_step(void *state, void *, int64_t, void *const *) {
  const float *m = static_cast<const float *>(state);
  g_moment_mismatches = 0;
  for (int64_t i = 0; i < kMomentCount; ++i)
    g_moment_mismatches += m[i] != (i % 4096 == 7 ? float(i) : 0.0f);
  return 0;
}

namespace {

TEST(Run, FirstTrainStepSeesTheStateAsWritten) {
  const nnrt_entry_desc entries[] = {{"train_step", moment_train_step, 0, nullptr, 0, 0}};
  nnrt_model_desc d = Desc("moments", kMomentTensors, 1, entries, 1, kMomentCount * 4, 1);
  nnrt_model *m = nnrt_model_create(&d, 1, 0);
  ASSERT_NE(m, nullptr);
  // One element in every fourth page written (as a checkpoint load or a C
  // program might), the rest left as calloc gave them.
  auto *moments = static_cast<float *>(nnrt_model_param(m, "m", nullptr, nullptr));
  for (int64_t i = 7; i < kMomentCount; i += 4096)
    moments[i] = float(i);
  ASSERT_EQ(nnrt_model_run(m, 0, 1, nullptr), NNRT_OK);
  EXPECT_EQ(g_moment_mismatches, 0);
  ASSERT_EQ(nnrt_model_run(m, 0, 1, nullptr), NNRT_OK);
  EXPECT_EQ(g_moment_mismatches, 0);
  nnrt_model_destroy(m);
}

// --- nnrt_model_parallel_for: a caller's work on the model's threads ---------

}  // namespace

extern "C" void count_indices(void *ctx, int64_t begin, int64_t end, void *) {
  auto *hits = static_cast<std::atomic<int> *>(ctx);
  for (int64_t i = begin; i < end; ++i)
    hits[i]++;
}

extern "C" int parallel_inside_entry(void *, void *, int64_t, void *const *args) {
  static std::atomic<int> hits[4];
  // args[0] smuggles the model in: the call must be refused, not deadlock.
  return nnrt_model_parallel_for(static_cast<nnrt_model *>(args[0]), 4, count_indices, hits) ==
                 NNRT_EINVAL
             ? 0
             : 1;
}

namespace {

TEST(ParallelFor, EveryIndexOnceOnTheModelsThreads) {
  nnrt_model_desc d = LinearDesc();
  nnrt_model *m = nnrt_model_create(&d, 1, 0);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(nnrt_model_set_threads(m, 2), 0);
  std::vector<std::atomic<int>> hits(1000);
  ASSERT_EQ(nnrt_model_parallel_for(m, 1000, count_indices, hits.data()), 0);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(hits[i].load(), 1) << i;
  EXPECT_EQ(nnrt_model_parallel_for(m, 1000, nullptr, hits.data()), NNRT_EINVAL);
  EXPECT_EQ(nnrt_model_parallel_for(nullptr, 1000, count_indices, hits.data()), NNRT_EINVAL);
  EXPECT_EQ(nnrt_model_parallel_for(m, 0, count_indices, hits.data()), 0);
  nnrt_model_destroy(m);

  const nnrt_arg_desc arg[] = {{"m", NNRT_F64, NNRT_ARG_INPUT, 0, 0, nullptr}};
  const nnrt_entry_desc entries[] = {{"predict", parallel_inside_entry, 1, arg, 0, 0}};
  d.num_entries = 1;
  d.entries = entries;
  m = nnrt_model_create(&d, 1, 0);
  ASSERT_NE(m, nullptr);
  void *args[] = {m};
  EXPECT_EQ(nnrt_model_run(m, 0, 1, args), NNRT_OK) << nnrt_model_error(m);
  nnrt_model_destroy(m);
}

// --- nnrt_model_open: create from a checkpoint ---------------------------------

TEST(Open, StateComesFromTheCheckpoint) {
  nnrt_model_desc d = LinearDesc();
  nnrt_model *a = nnrt_model_create(&d, 1, 0);
  ASSERT_NE(a, nullptr);
  auto *b = static_cast<double *>(nnrt_model_param(a, "b", nullptr, nullptr));
  b[0] = 7;
  b[1] = -3;
  std::string path = ::testing::TempDir() + "nnrt_open_test.ckpt";
  ASSERT_EQ(nnrt_model_save(a, path.c_str(), nullptr), NNRT_OK) << nnrt_model_error(a);
  nnrt_model *o = nnrt_model_open(&d, path.c_str(), 0);
  ASSERT_NE(o, nullptr) << nnrt_last_error();
  auto *ob = static_cast<double *>(nnrt_model_param(o, "b", nullptr, nullptr));
  EXPECT_EQ(ob[0], 7);
  EXPECT_EQ(ob[1], -3);
  EXPECT_EQ(std::memcmp(nnrt_model_param(o, "w", nullptr, nullptr),
                        nnrt_model_param(a, "w", nullptr, nullptr), 6 * sizeof(double)),
            0);
  nnrt_model_destroy(o);
  nnrt_model_destroy(a);
  std::remove(path.c_str());
}

TEST(Open, FailuresReturnNullWithAReason) {
  nnrt_model_desc d = LinearDesc();
  EXPECT_EQ(nnrt_model_open(&d, "/nonexistent/x.ckpt", 0), nullptr);
  EXPECT_NE(std::string(nnrt_last_error()).find("/nonexistent/x.ckpt"), std::string::npos);
  EXPECT_EQ(nnrt_model_open(&d, nullptr, 0), nullptr);
  EXPECT_NE(std::string(nnrt_last_error()).find("NULL"), std::string::npos);
  EXPECT_EQ(nnrt_model_open(nullptr, "x", 0), nullptr);
}

// --- initialisation ------------------------------------------------------------

TEST(Init, DeterministicKinds) {
  InitModel im;
  nnrt_model *m = nnrt_model_create(&im.desc, 42, 0);
  ASSERT_NE(m, nullptr) << nnrt_last_error();
  for (double v : Values<double>(m, "zeros"))
    EXPECT_EQ(v, 0);
  for (double v : Values<float>(m, "const_f32"))
    EXPECT_EQ(v, 1.5);
  for (double v : Values<int32_t>(m, "const_i32"))
    EXPECT_EQ(v, 3);
  std::vector<double> data = Values<float>(m, "data_f32");
  ASSERT_EQ(data.size(), 5u);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(data[i], kF32Data[i]);
  nnrt_model_destroy(m);
}

TEST(Init, Uniform) {
  InitModel im;
  nnrt_model *m = nnrt_model_create(&im.desc, 42, 0);
  ASSERT_NE(m, nullptr) << nnrt_last_error();
  std::vector<double> u = Values<double>(m, "uniform_f64");
  ASSERT_EQ(u.size(), size_t(kN));
  for (double v : u) {
    ASSERT_GE(v, -2.0);
    ASSERT_LT(v, 3.0);
  }
  // Mean 0.5, std of the mean 5/sqrt(12)/100 = 0.0144: allow 5 of those.
  EXPECT_NEAR(Mean(u), 0.5, 0.072);
  EXPECT_NEAR(Std(u), 5 / std::sqrt(12.0), 0.05);

  // Element i of tensor s is the generator's (s, i) draw, whatever the order.
  for (int64_t i : {0, 1, 17, 9999})
    EXPECT_EQ(u[i], -2 + 5 * nnrt_philox_uniform(42, kUniformF64, i));

  for (double v : Values<float>(m, "uniform_f32")) {
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
  }
  nnrt_model_destroy(m);
}

TEST(Init, Normal) {
  InitModel im;
  nnrt_model *m = nnrt_model_create(&im.desc, 42, 0);
  ASSERT_NE(m, nullptr) << nnrt_last_error();
  std::vector<double> v = Values<double>(m, "normal_f64");
  EXPECT_NEAR(Mean(v), 1.0, 5 * 0.5 / 100);
  EXPECT_NEAR(Std(v), 0.5, 0.5 * 0.05);
  nnrt_model_destroy(m);
}

TEST(Init, TruncatedNormal) {
  InitModel im;
  nnrt_model *m = nnrt_model_create(&im.desc, 42, 0);
  ASSERT_NE(m, nullptr) << nnrt_last_error();
  std::vector<double> v = Values<double>(m, "trunc_f64");
  for (double x : v) {
    ASSERT_GT(x, -1 - 2 * 2.0);
    ASSERT_LT(x, -1 + 2 * 2.0);
  }
  // The std of N(0,1) truncated to (-2, 2) is 0.8796.
  EXPECT_NEAR(Mean(v), -1.0, 5 * 2 * 0.88 / 100);
  EXPECT_NEAR(Std(v), 2 * 0.8796, 2 * 0.8796 * 0.05);
  // The tails were redrawn: values near the cut exist, none beyond it.
  double far = 0;
  for (double x : v)
    far = std::max(far, std::fabs(x + 1));
  EXPECT_GT(far, 3.9);

  for (double x : Values<float>(m, "trunc_f32"))
    ASSERT_LE(std::fabs(x), 0.2 * (1 + 1e-6));
  nnrt_model_destroy(m);
}

TEST(Init, SeedDeterminesValues) {
  InitModel im;
  nnrt_model *a = nnrt_model_create(&im.desc, 1234, 0);
  nnrt_model *b = nnrt_model_create(&im.desc, 1234, 0);
  nnrt_model *c = nnrt_model_create(&im.desc, 1235, 0);
  ASSERT_TRUE(a && b && c);
  for (const char *name : {"uniform_f64", "normal_f64", "trunc_f64"}) {
    std::vector<double> va = Values<double>(a, name), vb = Values<double>(b, name),
                        vc = Values<double>(c, name);
    EXPECT_EQ(va, vb) << name;
    size_t same = 0;
    for (size_t i = 0; i < va.size(); ++i)
      same += va[i] == vc[i];
    EXPECT_LT(same, va.size() / 100) << name;
  }
  // Different tensors (streams) with the same init differ too.
  EXPECT_NE(Values<double>(a, "uniform_f64")[0],
            Values<double>(a, "normal_f64")[0]);
  nnrt_model_destroy(a);
  nnrt_model_destroy(b);
  nnrt_model_destroy(c);
}

// Tensors larger than one chunk (model.c's kInitChunk, 16384 elements) are
// filled by the model's threads: every element, the last partial chunk
// included, is still the generator's (stream, index) draw.
TEST(Init, LargeTensorsSplitAcrossThreadsKeepEveryDraw) {
  const int64_t n = 3 * 16384 + 123;
  const int64_t dims[] = {n};
  nnrt_tensor_desc t[2] = {};
  t[0] = {"trunc", NNRT_F32, NNRT_PARAM, 1, NNRT_INIT_TRUNCATED_NORMAL, dims, 0, 0, 0.1, nullptr};
  t[1] = {"constant", NNRT_F64, NNRT_PARAM, 1, NNRT_INIT_CONSTANT, dims, n * 4 + 64 - (n * 4) % 64,
          2.5, 0, nullptr};
  nnrt_model_desc d{};
  d.abi_version = NNRT_ABI_VERSION;
  d.num_tensors = 2;
  d.name = "large";
  d.tensors = t;
  d.state_bytes = t[1].offset + n * 8;
  d.max_batch = 1;
  d.num_params = 2 * n;
  nnrt_model *m = nnrt_model_create(&d, 7, 0);
  ASSERT_NE(m, nullptr) << nnrt_last_error();
  std::vector<double> v = Values<float>(m, "trunc");
  ASSERT_EQ(v.size(), size_t(n));
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(v[i], float(0.1 * nnrt_philox_truncated_normal(7, 0, uint64_t(i)))) << i;
  for (double c : Values<double>(m, "constant"))
    ASSERT_EQ(c, 2.5);
  nnrt_model_destroy(m);
}


// --- CPU feature check (cpu.c) ----------------------------------------------

TEST(CpuCheck, MissingFeaturesAreNamed) {
  char missing[64];
  EXPECT_EQ(nnrt_cpu_missing("avx2,fma", "sse4.2,avx,avx2,fma,", missing, sizeof missing), 0);
  EXPECT_STREQ(missing, "");
  EXPECT_EQ(nnrt_cpu_missing("avx2,avx512f,fma,avx512bw", "avx2,fma", missing,
                             sizeof missing), 2);
  EXPECT_STREQ(missing, "avx512f, avx512bw");
  // Whole words only: "avx" does not satisfy "avx2", nor "avx512f" "avx512".
  EXPECT_EQ(nnrt_cpu_missing("avx2", "avx,avx512f", missing, sizeof missing), 1);
  EXPECT_EQ(nnrt_cpu_missing("avx512", "avx512f", missing, sizeof missing), 1);
  // Nothing required (baseline CPUs, other architectures): always fine.
  EXPECT_EQ(nnrt_cpu_missing("", "", missing, sizeof missing), 0);
  EXPECT_EQ(nnrt_cpu_missing(nullptr, nullptr, missing, sizeof missing), 0);
  // A short buffer truncates the names but not the count.
  char tiny[8];
  EXPECT_EQ(nnrt_cpu_missing("avx512f,avx512bw,avx512vl", "", tiny, sizeof tiny), 3);
  EXPECT_EQ(std::strlen(tiny), 7u);
}

TEST(CpuCheck, HostHasWhatItReports) {
  std::string host = nnrt_cpu_features();
  EXPECT_EQ(nnrt_cpu_check("m", host.c_str()), NNRT_OK);
  EXPECT_EQ(nnrt_cpu_check("m", ""), NNRT_OK);
  EXPECT_EQ(nnrt_cpu_check("m", "no-such-feature"), NNRT_EINVAL);
  EXPECT_NE(std::string(nnrt_last_error()).find("no-such-feature"), std::string::npos);
  EXPECT_NE(std::string(nnrt_last_error()).find("model 'm'"), std::string::npos);
}

} // namespace

// Carried state (carried.c): an entry that adds 1 to each row's state.
namespace {
const int64_t kCarryDims[] = {2};
const nnrt_arg_desc kCountArgs[] = {
    {"s", NNRT_F64, NNRT_ARG_STATE_IN, 1, 1, kCarryDims},
    {"s", NNRT_F64, NNRT_ARG_STATE_OUT, 1, 1, kCarryDims},
};
const nnrt_arg_desc kOrphanArgs[] = {
    {"t", NNRT_F64, NNRT_ARG_STATE_OUT, 1, 1, kCarryDims},
};
}  // namespace

extern "C" int count_entry(void *, void *, int64_t batch, void *const *args) {
  const double *in = static_cast<const double *>(args[0]);
  double *out = static_cast<double *>(args[1]);
  if (in == out)
    return 1; // the runtime must give two buffers
  for (int64_t i = 0; i < batch * 2; ++i)
    out[i] = in[i] + 1;
  return 0;
}

TEST(Carried, KeptPerRowBetweenCallsAndReset) {
  const nnrt_entry_desc entries[] = {{"count", count_entry, 2, kCountArgs, 0, 0}};
  nnrt_model_desc d = LinearDesc();
  d.num_entries = 1;
  d.entries = entries;
  nnrt_model *m = nnrt_model_create(&d, 1, 0);
  ASSERT_NE(m, nullptr) << nnrt_last_error();
  EXPECT_EQ(nnrt_model_carried_count(m), 1);
  void *none[2] = {nullptr, nullptr}; // the runtime supplies carried state
  ASSERT_EQ(nnrt_model_run(m, 0, 3, none), NNRT_OK) << nnrt_model_error(m);
  ASSERT_EQ(nnrt_model_run(m, 0, 1, none), NNRT_OK);
  int64_t count = 0;
  const double *s = static_cast<const double *>(nnrt_model_param(m, "s", &count, nullptr));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(count, 4 * 2); // max batch rows
  EXPECT_EQ(s[0], 2);      // row 0: both calls
  EXPECT_EQ(s[2 * 2], 1);  // row 2: the first call only
  EXPECT_EQ(s[3 * 2], 0);  // row 3: neither
  EXPECT_EQ(nnrt_model_reset_state(m), NNRT_OK);
  EXPECT_EQ(s[0], 0);
  nnrt_model_destroy(m);
}

TEST(Carried, WrittenStateNoEntryReadsIsRefused) {
  const nnrt_entry_desc entries[] = {{"orphan", noop_entry, 1, kOrphanArgs, 0, 0}};
  nnrt_model_desc d = LinearDesc();
  d.num_entries = 1;
  d.entries = entries;
  EXPECT_EQ(nnrt_model_create(&d, 1, 0), nullptr);
  EXPECT_TRUE(Contains(nnrt_last_error(), "carried state 't' that no entry reads"))
      << nnrt_last_error();
}
