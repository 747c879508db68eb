/*===- model.c - model instances: allocation, initialisation, entry calls -===*/
#define _DEFAULT_SOURCE /* madvise, MADV_POPULATE_WRITE, sysconf */
#include "nnrt.h"
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* State and workspace alignment: what the descriptor's offsets assume, and
 * enough for any vector load the generated kernels may use. */
#define NNRT_ALIGN 64


/*--- small helpers -------------------------------------------------------*/

int64_t nnrt_dtype_size(int32_t dtype) {
  switch (dtype) {
  case NNRT_F32: return 4;
  case NNRT_F64: return 8;
  case NNRT_I32: return 4;
  default: return 0;
  }
}

/* -1 for a descriptor that has no valid count (negative dimension, missing
 * dims, overflow), so validation can tell. A scalar (rank 0) has one element. */
int64_t nnrt_tensor_count(const nnrt_tensor_desc *t) {
  if (!t || t->rank < 0 || (t->rank > 0 && !t->dims))
    return -1;
  int64_t n = 1;
  for (int32_t i = 0; i < t->rank; ++i) {
    int64_t d = t->dims[i];
    if (d < 0 || (d > 0 && n > INT64_MAX / d))
      return -1;
    n *= d;
  }
  return n;
}

/* Zeroed, NNRT_ALIGN-aligned block of at least `bytes` (never NULL on success,
 * even for 0 bytes, so kernels always get a valid pointer). calloc rather
 * than aligned_alloc + memset: large blocks come from mmap already zeroed, so
 * a workspace sized for big batches costs no start-up time until it is used.
 * The pointer calloc returned is kept just before the aligned block. */
static void *alloc_aligned(int64_t bytes) {
  const size_t extra = NNRT_ALIGN + sizeof(void *);
  if (bytes < 0 || (uint64_t)bytes > (uint64_t)SIZE_MAX - extra)
    return NULL;
  char *raw = calloc(1, (size_t)bytes + extra);
  if (!raw)
    return NULL;
  uintptr_t p = ((uintptr_t)(raw + sizeof(void *)) + NNRT_ALIGN - 1) &
                ~(uintptr_t)(NNRT_ALIGN - 1);
  ((void **)p)[-1] = raw;
  return (void *)p;
}

static void free_aligned(void *p) {
  if (p)
    free(((void **)p)[-1]);
}

static const char *str_or(const char *s, const char *fallback) {
  return s ? s : fallback;
}

/* Records a failure on the model and as this thread's last error. */
int nnrt_model_fail(nnrt_model *m, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (vsnprintf(m->error, sizeof m->error, fmt, ap) < 0)
    m->error[0] = '\0';
  va_end(ap);
  nnrt_set_error("%s", m->error);
  return status;
}

/*--- descriptor validation -------------------------------------------------*/

/* Everything create relies on, checked once so that a descriptor from a
 * mismatched or buggy compiler fails with a message instead of crashing. */
static int validate_desc(const nnrt_model_desc *d) {
  if (!d) {
    nnrt_set_error("model descriptor is NULL");
    return 0;
  }
  if (d->abi_version != NNRT_ABI_VERSION) {
    nnrt_set_error("model descriptor has abi version %d but this runtime "
                   "expects %d (recompile the model or relink the runtime)",
                   (int)d->abi_version, NNRT_ABI_VERSION);
    return 0;
  }
  const char *mname = str_or(d->name, "?");
  if (d->num_tensors < 0 || (d->num_tensors > 0 && !d->tensors) ||
      d->num_entries < 0 || (d->num_entries > 0 && !d->entries)) {
    nnrt_set_error("model '%s': descriptor has bad tensor or entry tables",
                   mname);
    return 0;
  }
  if (d->state_bytes < 0) {
    nnrt_set_error("model '%s': negative state size %lld", mname,
                   (long long)d->state_bytes);
    return 0;
  }
  for (int32_t i = 0; i < d->num_tensors; ++i) {
    const nnrt_tensor_desc *t = &d->tensors[i];
    if (!t->name) {
      nnrt_set_error("model '%s': tensor %d has no name", mname, (int)i);
      return 0;
    }
    int64_t size = nnrt_dtype_size(t->dtype);
    if (size == 0) {
      nnrt_set_error("model '%s': tensor '%s' has unknown dtype %d", mname,
                     t->name, (int)t->dtype);
      return 0;
    }
    if (t->init < NNRT_INIT_ZEROS || t->init > NNRT_INIT_SEED) {
      nnrt_set_error("model '%s': tensor '%s' has unknown init kind %d",
                     mname, t->name, (int)t->init);
      return 0;
    }
    if (t->init == NNRT_INIT_DATA && !t->init_data) {
      nnrt_set_error("model '%s': tensor '%s' has no init data", mname,
                     t->name);
      return 0;
    }
    int64_t count = nnrt_tensor_count(t);
    if (count < 0) {
      nnrt_set_error("model '%s': tensor '%s' has bad dims", mname, t->name);
      return 0;
    }
    /* offset + count*size <= state_bytes, written so nothing overflows. */
    if (t->offset < 0 || t->offset % NNRT_ALIGN != 0 ||
        t->offset > d->state_bytes ||
        count > (d->state_bytes - t->offset) / size) {
      nnrt_set_error("model '%s': tensor '%s' (offset %lld, %lld bytes) does "
                     "not fit in the %lld-byte state or is misaligned",
                     mname, t->name, (long long)t->offset,
                     (long long)(count <= INT64_MAX / size ? count * size : -1),
                     (long long)d->state_bytes);
      return 0;
    }
  }
  for (int32_t e = 0; e < d->num_entries; ++e) {
    const nnrt_entry_desc *en = &d->entries[e];
    const char *ename = str_or(en->name, "?");
    if (!en->name || !en->fn || en->num_args < 0 ||
        (en->num_args > 0 && !en->args) || en->ws_fixed < 0 ||
        en->ws_per_sample < 0) {
      nnrt_set_error("model '%s': entry %d ('%s') has a bad descriptor",
                     mname, (int)e, ename);
      return 0;
    }
  }
  return 1;
}

/*--- initialisation ----------------------------------------------------------*/

/* Doubles to int32 for integer tensors: NaN becomes 0 and out-of-range values
 * saturate, since a plain cast would be undefined behaviour. */
static int32_t to_i32(double v) {
  if (isnan(v))
    return 0;
  if (v <= (double)INT32_MIN)
    return INT32_MIN;
  if (v >= (double)INT32_MAX)
    return INT32_MAX;
  return (int32_t)v;
}

static void store(void *base, int32_t dtype, int64_t i, double v) {
  switch (dtype) {
  case NNRT_F32: ((float *)base)[i] = (float)v; break;
  case NNRT_F64: ((double *)base)[i] = v; break;
  case NNRT_I32: ((int32_t *)base)[i] = to_i32(nearbyint(v)); break;
  }
}

/* Elements [begin, end) of tensor `ti` drawn from `seed` (its index is its
 * draw stream): each a pure function of its index, so any split of the
 * range between threads gives the same bits. */
typedef struct {
  const nnrt_tensor_desc *t;
  uint32_t ti;
  void *p;
  uint64_t seed;
} init_job;

static void fill_range(const init_job *j, int64_t begin, int64_t end) {
  const nnrt_tensor_desc *t = j->t;
  void *p = j->p;
  double a = t->init_a, b = t->init_b;
  switch (t->init) {
  case NNRT_INIT_CONSTANT:
    for (int64_t i = begin; i < end; ++i)
      store(p, t->dtype, i, a);
    break;
  case NNRT_INIT_UNIFORM:
    for (int64_t i = begin; i < end; ++i) {
      double v = a + (b - a) * nnrt_philox_uniform(j->seed, j->ti, (uint64_t)i);
      if (t->dtype == NNRT_F32) {
        /* Rounding to float may land on b: keep the interval half-open. */
        float f = (float)v;
        if (b > a && f >= (float)b)
          f = nextafterf((float)b, (float)a);
        ((float *)p)[i] = f;
      } else if (t->dtype == NNRT_I32) {
        /* floor, so U(0, 10) gives each of 0..9 with equal probability. */
        ((int32_t *)p)[i] = to_i32(floor(v));
      } else {
        ((double *)p)[i] = v;
      }
    }
    break;
  case NNRT_INIT_NORMAL:
    for (int64_t i = begin; i < end; ++i)
      store(p, t->dtype, i, a + b * nnrt_philox_normal(j->seed, j->ti, (uint64_t)i));
    break;
  case NNRT_INIT_TRUNCATED_NORMAL:
    for (int64_t i = begin; i < end; ++i)
      store(p, t->dtype, i, a + b * nnrt_philox_truncated_normal(j->seed, j->ti, (uint64_t)i));
    break;
  case NNRT_INIT_SEED:
    /* 52 bits survive a round trip through a double exactly. */
    for (int64_t i = begin; i < end; ++i)
      store(p, t->dtype, i, (double)(j->seed & ((UINT64_C(1) << 52) - 1)));
    break;
  default: /* zeros: the state is zeroed already; data: copied whole */
    break;
  }
}

/* Drawing millions of normals (a dense layer's weights) takes longer than
 * compiling a small model: large tensors are split across the model's
 * threads in chunks of this many elements. */
enum { kInitChunk = 16384 };

static void fill_chunks(void *ctx, int64_t begin, int64_t end, void *scratch) {
  (void)scratch;
  const init_job *j = (const init_job *)ctx;
  int64_t n = nnrt_tensor_count(j->t);
  fill_range(j, begin * kInitChunk, end * kInitChunk < n ? end * kInitChunk : n);
}

/* Fills tensor `ti` from `seed` with the model's threads (`pool`). */
static void init_tensor(const nnrt_tensor_desc *t, uint32_t ti, void *state,
                        uint64_t seed, nnrt_pool *pool) {
  void *p = (char *)state + t->offset;
  int64_t n = nnrt_tensor_count(t);
  if (t->init == NNRT_INIT_DATA) {
    /* The data is already of the tensor's dtype: a straight copy. */
    memcpy(p, t->init_data, (size_t)(n * nnrt_dtype_size(t->dtype)));
  } else {
    init_job job = {t, ti, p, seed};
    int64_t chunks = (n + kInitChunk - 1) / kInitChunk;
    if (chunks > 1) {
      nnrt_pool *previous = nnrt_pool_enter(pool);
      nnrt_parallel_for(chunks, fill_chunks, &job);
      nnrt_pool_enter(previous);
    } else {
      fill_range(&job, 0, n);
    }
  }
  if (t->init != NNRT_INIT_DATA && t->init_data && t->rank > 0) {
    int64_t row = *(const int64_t *)t->init_data, rows = t->dims[0];
    int64_t size = n / (rows > 0 ? rows : 1);
    if (row >= 0 && row < rows)
      memset((char *)p + row * size * nnrt_dtype_size(t->dtype), 0,
             (size_t)(size * nnrt_dtype_size(t->dtype)));
  }
}

/*--- public API --------------------------------------------------------------*/

/* Allocation, plus the initialisers when `init` (open skips them: the
 * checkpoint replaces every tensor, and drawing millions of normals is most of
 * a large model's start-up time). */
static nnrt_model *create(const nnrt_model_desc *desc, uint64_t seed,
                          int64_t max_batch, int init) {
  if (!validate_desc(desc))
    return NULL;
  const char *mname = str_or(desc->name, "?");
  if (max_batch < 0) {
    nnrt_set_error("model '%s': max batch %lld is negative", mname,
                   (long long)max_batch);
    return NULL;
  }
  if (max_batch == 0)
    max_batch = desc->max_batch;
  if (max_batch < 1) {
    nnrt_set_error("model '%s': max batch must be at least 1 (got %lld)",
                   mname, (long long)max_batch);
    return NULL;
  }

  /* The workspace is shared by all entries (only one runs at a time), so it
   * is as large as the largest entry needs at the largest batch. */
  int64_t ws_bytes = 0;
  for (int32_t e = 0; e < desc->num_entries; ++e) {
    const nnrt_entry_desc *en = &desc->entries[e];
    if (en->ws_per_sample > 0 &&
        max_batch > (INT64_MAX - en->ws_fixed) / en->ws_per_sample) {
      nnrt_set_error("model '%s': workspace of '%s' for batch %lld is too "
                     "large", mname, en->name, (long long)max_batch);
      return NULL;
    }
    int64_t need = en->ws_fixed + en->ws_per_sample * max_batch;
    if (need > ws_bytes)
      ws_bytes = need;
  }

  nnrt_model *m = calloc(1, sizeof *m);
  if (!m) {
    nnrt_set_error("out of memory allocating model '%s'", mname);
    return NULL;
  }
  m->desc = desc;
  m->max_batch = max_batch;
  m->state = alloc_aligned(desc->state_bytes);
  if (!m->state) {
    nnrt_set_error("out of memory allocating the %lld-byte state of model "
                   "'%s'", (long long)desc->state_bytes, mname);
    nnrt_model_destroy(m);
    return NULL;
  }
  m->workspace = alloc_aligned(ws_bytes);
  if (!m->workspace) {
    nnrt_set_error("out of memory allocating the %lld-byte workspace of "
                   "model '%s' (max batch %lld)", (long long)ws_bytes, mname,
                   (long long)max_batch);
    nnrt_model_destroy(m);
    return NULL;
  }
  m->pool = nnrt_pool_create(0);
  if (!m->pool) {
    nnrt_set_error("cannot start the worker threads of model '%s'", mname);
    nnrt_model_destroy(m);
    return NULL;
  }
  if (nnrt_carried_create(m) != NNRT_OK) {
    nnrt_model_destroy(m);
    return NULL;
  }
  for (int32_t i = 0; init && i < desc->num_tensors; ++i)
    init_tensor(&desc->tensors[i], (uint32_t)i, m->state, seed, m->pool);
  return m;
}

nnrt_model *nnrt_model_create(const nnrt_model_desc *desc, uint64_t seed,
                              int64_t max_batch) {
  return create(desc, seed, max_batch, 1);
}

nnrt_model *nnrt_model_open(const nnrt_model_desc *desc, const char *path,
                            int64_t max_batch) {
  if (!path) {
    nnrt_set_error("checkpoint path is NULL");
    return NULL;
  }
  nnrt_model *m = create(desc, 0, max_batch, 0);
  if (m && nnrt_model_load(m, path, NULL) != NNRT_OK) {
    /* load put its message in this thread's last error already. */
    nnrt_model_destroy(m);
    return NULL;
  }
  return m;
}

void nnrt_model_destroy(nnrt_model *m) {
  if (!m)
    return;
  nnrt_pool_destroy(m->pool);
  nnrt_carried_destroy(m);
  free(m->vocab);
  free_aligned(m->state);
  free_aligned(m->workspace);
  free(m);
}

int nnrt_model_set_threads(nnrt_model *m, int threads) {
  if (!m) {
    nnrt_set_error("model is NULL");
    return NNRT_EINVAL;
  }
  if (threads < 0 || threads > 256)
    return nnrt_model_fail(m, NNRT_EINVAL,
                           "thread count %d is outside 0..256 (0 = all CPUs)",
                           threads);
  int wanted = threads == 0 ? nnrt_default_threads() : threads;
  if (m->pool && nnrt_pool_threads(m->pool) == wanted)
    return 0;
  nnrt_pool *pool = nnrt_pool_create(wanted);
  if (!pool)
    return nnrt_model_fail(m, NNRT_ENOMEM, "cannot start %d worker threads",
                           wanted);
  nnrt_pool_destroy(m->pool);
  m->pool = pool;
  return 0;
}

int nnrt_model_parallel_for(nnrt_model *m, int64_t n, nnrt_task_fn fn, void *ctx) {
  if (!m || !fn) {
    nnrt_set_error(m ? "nnrt_model_parallel_for: fn is NULL" : "model is NULL");
    return NNRT_EINVAL;
  }
  if (nnrt_in_entry()) /* the pool is busy with the entry that called us */
    return nnrt_model_fail(m, NNRT_EINVAL, "nnrt_model_parallel_for called inside an entry");
  nnrt_pool *outer = nnrt_pool_enter(m->pool);
  nnrt_parallel_for(n, fn, ctx);
  nnrt_pool_enter(outer);
  return 0;
}

int nnrt_model_set_first_sample(nnrt_model *m, int64_t first_sample) {
  if (!m) {
    nnrt_set_error("model is NULL");
    return NNRT_EINVAL;
  }
  if (first_sample < 0)
    return nnrt_model_fail(m, NNRT_EINVAL, "first sample %lld is negative",
                           (long long)first_sample);
  m->first_sample = first_sample;
  return 0;
}

int nnrt_model_threads(const nnrt_model *m) {
  return m ? nnrt_pool_threads(m->pool) : 0;
}

const nnrt_model_desc *nnrt_model_describe(const nnrt_model *m) {
  return m ? m->desc : NULL;
}

int nnrt_model_find_entry(const nnrt_model *m, const char *name) {
  if (!m || !name)
    return -1;
  for (int32_t e = 0; e < m->desc->num_entries; ++e)
    if (strcmp(m->desc->entries[e].name, name) == 0)
      return (int)e;
  return -1;
}

/* Before the first call of an entry that updates the optimizer state.
 * calloc leaves a large state block unmapped, and the zero-initialised
 * optimizer state (Adam's moments: twice the parameters) is first read,
 * which maps the shared zero page, then written, which faults again to copy
 * it and flushes that page from every thread's TLB (an interrupt to each
 * other CPU the pool runs on). On a 2-core VM that made the lecture CNN's
 * first step 0.38 s instead of 0.03 s. Mapping the block's pages writable
 * first costs one fault each and changes no value; an old kernel without
 * MADV_POPULATE_WRITE (Linux < 5.14) just keeps the slow first step. */
static void populate_state_for_updates(nnrt_model *m, const nnrt_entry_desc *en) {
  if (m->state_populated || (strcmp(en->name, "train_step") != 0 && strcmp(en->name, "apply") != 0))
    return;
  m->state_populated = 1;
#ifdef MADV_POPULATE_WRITE
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0)
    return;
  uintptr_t begin = ((uintptr_t)m->state + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
  uintptr_t end = ((uintptr_t)m->state + (uintptr_t)m->desc->state_bytes) & ~((uintptr_t)page - 1);
  if (end > begin)
    (void)madvise((void *)begin, end - begin, MADV_POPULATE_WRITE);
#endif
}

NNRT_CALLS_GENERATED_CODE int nnrt_model_run(nnrt_model *m, int entry, int64_t batch,
                   void *const *args) {
  if (!m) {
    nnrt_set_error("model is NULL");
    return NNRT_EINVAL;
  }
  const nnrt_model_desc *d = m->desc;
  if (entry < 0 || entry >= d->num_entries)
    return nnrt_model_fail(m, NNRT_ENOENT,
                      "entry %d does not exist (model '%s' has %d)", entry,
                      str_or(d->name, "?"), (int)d->num_entries);
  const nnrt_entry_desc *en = &d->entries[entry];
  if (batch < 1 || batch > m->max_batch)
    return nnrt_model_fail(m, NNRT_EBATCH,
                      "batch %lld is outside 1..%lld (the model was created "
                      "for batches up to %lld)",
                      (long long)batch, (long long)m->max_batch,
                      (long long)m->max_batch);
  /* An entry without arguments may be passed NULL: there is nothing to read. */
  if (!args && en->num_args > 0)
    return nnrt_model_fail(m, NNRT_EINVAL, "argument array of '%s' is NULL",
                      en->name);
  for (int32_t i = 0; i < en->num_args; ++i)
    if (!args[i] && en->args[i].role != NNRT_ARG_STATE_IN && en->args[i].role != NNRT_ARG_STATE_OUT)
      return nnrt_model_fail(m, NNRT_EINVAL, "argument '%s' of '%s' is NULL",
                        str_or(en->args[i].name, "?"), en->name);
  for (int32_t i = 0; i < en->num_args; ++i) {
    const nnrt_arg_desc *a = &en->args[i];
    if (a->classes <= 0 || a->dtype != NNRT_I32 ||
        (a->role != NNRT_ARG_INPUT && a->role != NNRT_ARG_TARGET))
      continue;
    /* Class labels: a value outside 0..N-1 would index past a row (or give
     * a NaN loss) instead of an error. */
    int64_t per = 1;
    for (int32_t k = 0; k < a->rank; ++k)
      per *= a->dims[k];
    int64_t count = a->batched ? per * batch : per;
    const int32_t *labels = (const int32_t *)args[i];
    for (int64_t j = 0; j < count; ++j)
      if ((labels[j] < 0 || labels[j] >= a->classes) && labels[j] != a->ignore_index)
        return nnrt_model_fail(m, NNRT_EINVAL,
                               "'%s' of sample %lld is %d; class(%lld) labels are 0..%lld",
                               str_or(a->name, "?"), (long long)(a->batched ? j / per : 0),
                               (int)labels[j], (long long)a->classes,
                               (long long)(a->classes - 1));
  }
  populate_state_for_updates(m, en);
  nnrt_pool *outer = nnrt_pool_enter(m->pool);
  nnrt_dropout_position(m->first_sample, batch);
  int rc = en->fn(m->state, m->workspace, batch, nnrt_carried_bind(m, en, args));
  nnrt_dropout_position(0, 0);
  nnrt_pool_enter(outer);
  if (rc != 0)
    return nnrt_model_fail(m, NNRT_EINVAL, "entry '%s' failed with code %d",
                      en->name, rc);
  nnrt_carried_commit(m, en, batch);
  m->error[0] = '\0';
  return NNRT_OK;
}

void *nnrt_model_param(nnrt_model *m, const char *name, int64_t *count,
                       int *dtype) {
  if (!m || !name)
    return NULL;
  for (int32_t i = 0; i < m->desc->num_tensors; ++i) {
    const nnrt_tensor_desc *t = &m->desc->tensors[i];
    if (strcmp(t->name, name) == 0) {
      if (count)
        *count = nnrt_tensor_count(t);
      if (dtype)
        *dtype = t->dtype;
      return (char *)m->state + t->offset;
    }
  }
  return nnrt_carried_find(m, name, count, dtype);
}

const char *nnrt_model_error(const nnrt_model *m) {
  return m ? m->error : "model is NULL";
}

int nnrt_model_set_vocab(nnrt_model *m, const uint32_t *code_points, int64_t count) {
  if (!m) {
    nnrt_set_error("model is NULL");
    return NNRT_EINVAL;
  }
  if (count < 0 || count > ((int64_t)1 << 30) || (count > 0 && !code_points))
    return nnrt_model_fail(m, NNRT_EINVAL, "bad vocabulary (%lld code points)", (long long)count);
  uint32_t *copy = NULL;
  if (count > 0) {
    copy = (uint32_t *)malloc(sizeof(uint32_t) * (size_t)count);
    if (!copy)
      return nnrt_model_fail(m, NNRT_ENOMEM, "out of memory");
    memcpy(copy, code_points, sizeof(uint32_t) * (size_t)count);
  }
  free(m->vocab);
  m->vocab = copy;
  m->vocab_size = count;
  return NNRT_OK;
}

int nnrt_model_set_early_stop(nnrt_model *m, const nnrt_early_stop *state) {
  if (!m) {
    nnrt_set_error("model is NULL");
    return NNRT_EINVAL;
  }
  if (!state) {
    m->has_early_stop = 0;
    return NNRT_OK;
  }
  if (state->monitor[0] == '\0' || !memchr(state->monitor, '\0', sizeof state->monitor))
    return nnrt_model_fail(m, NNRT_EINVAL, "bad early-stopping monitor name");
  m->early_stop = *state;
  m->has_early_stop = 1;
  return NNRT_OK;
}

int nnrt_model_early_stop(const nnrt_model *m, nnrt_early_stop *state) {
  if (!m || !m->has_early_stop)
    return 0;
  if (state)
    *state = m->early_stop;
  return 1;
}

const uint32_t *nnrt_model_vocab(const nnrt_model *m, int64_t *count) {
  if (count)
    *count = m ? m->vocab_size : 0;
  return m ? m->vocab : NULL;
}
