/*===- nnrt.h - the nnc runtime: C API shared by generated code and hosts -===*
 *
 * libnnrt is what a compiled model links against, and all it links against:
 * plain C99 with libc and libm only. A compiled model (JIT or object file)
 * contains its kernels plus one constant `nnrt_model_desc` describing its
 * state tensors and entry points; the runtime owns allocation, initialisation,
 * argument checking and error messages, so generated code stays pure math.
 *
 *===----------------------------------------------------------------------===*/
#ifndef NNRT_H
#define NNRT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the descriptor layout below; generated code stores it. */
#define NNRT_ABI_VERSION 2

/** Element types (also the `dtype` reported by PREFIX_param). */
enum nnrt_dtype { NNRT_F32 = 0, NNRT_F64 = 1, NNRT_I32 = 2 };

/** Return codes of every `int` function: 0 on success. */
enum nnrt_status {
  NNRT_OK = 0,
  NNRT_EINVAL = 1, /* null pointer or bad argument */
  NNRT_EBATCH = 2, /* batch <= 0 or above the limit the model was built for */
  NNRT_ENOMEM = 3, /* allocation failed */
  NNRT_ENOENT = 4, /* unknown entry point or name */
  NNRT_EIO = 5,    /* file could not be read or written */
  NNRT_EFORMAT = 6 /* file is not what it should be */
};

/** Kinds of state tensors. */
enum nnrt_tensor_kind {
  NNRT_PARAM = 0,     /* trainable parameter */
  NNRT_FROZEN = 1,    /* parameter not updated by training */
  NNRT_OPT_STATE = 2, /* optimizer state (momentum buffers, step counts) */
  NNRT_BUFFER = 3     /* not trained, saved with the parameters (running stats) */
};

/** How a state tensor is initialised by nnrt_model_create. */
enum nnrt_init_kind {
  NNRT_INIT_ZEROS = 0,
  NNRT_INIT_CONSTANT = 1,         /* every element = a */
  NNRT_INIT_DATA = 2,             /* copy `data` (count elements of dtype) */
  NNRT_INIT_UNIFORM = 3,          /* U(a, b) */
  NNRT_INIT_NORMAL = 4,           /* N(mean a, std b) */
  NNRT_INIT_TRUNCATED_NORMAL = 5, /* N(a, b), redrawn beyond 2 std (TensorFlow) */
  NNRT_INIT_SEED = 6              /* the creation seed (mod 2^52), for dropout */
};

/** Argument roles of an entry point. */
enum nnrt_arg_role {
  NNRT_ARG_INPUT = 0,
  NNRT_ARG_TARGET = 1,
  NNRT_ARG_OUTPUT = 2, /* written by the entry */
  /* Carried state (a stateful recurrent layer's h and c): the runtime owns
   * it, one row per batch position, and supplies these two itself (callers
   * pass anything, NULL included). STATE_IN is read at the start; after a
   * successful run the STATE_OUT of the same name becomes the next call's
   * STATE_IN for the batch's rows. */
  NNRT_ARG_STATE_IN = 3,
  NNRT_ARG_STATE_OUT = 4,
};

/** One state tensor: a parameter or optimizer state living in the model. */
typedef struct nnrt_tensor_desc {
  const char *name;
  int32_t dtype;       /* enum nnrt_dtype */
  int32_t kind;        /* enum nnrt_tensor_kind */
  int32_t rank;
  int32_t init;        /* enum nnrt_init_kind */
  const int64_t *dims; /* rank entries */
  int64_t offset;      /* byte offset in the state block, 64-byte aligned */
  double init_a, init_b;
  const void *init_data; /* NNRT_INIT_DATA: the elements; any other kind: NULL,
                            or one int64, a row of dim 0 then set to zero (an
                            embedding's padding_idx) */
} nnrt_tensor_desc;

/** One argument of an entry point: a caller buffer, row-major, batch first
 *  when `batched` (then it holds batch * prod(dims) elements). */
typedef struct nnrt_arg_desc {
  const char *name;
  int32_t dtype;
  int32_t role;    /* enum nnrt_arg_role */
  int32_t rank;
  int32_t batched; /* 1: a leading batch dimension precedes dims */
  const int64_t *dims;
  int64_t classes;      /* class(N) labels (NNRT_I32 inputs and targets): N; else 0 */
  int64_t ignore_index; /* a label value also accepted (a loss's ignore_index), or
                           INT64_MIN for none */
} nnrt_arg_desc;

/** Generated kernel entry: reads/writes `state`, uses `workspace` as scratch,
 *  args as described. Returns 0. */
typedef int (*nnrt_entry_fn)(void *state, void *workspace, int64_t batch,
                             void *const *args);

typedef struct nnrt_entry_desc {
  const char *name; /* "predict", "train_step", "eval", "grad", "trace" */
  nnrt_entry_fn fn;
  int32_t num_args;
  const nnrt_arg_desc *args;
  int64_t ws_fixed;      /* workspace bytes = ws_fixed + ws_per_sample*batch */
  int64_t ws_per_sample;
} nnrt_entry_desc;

/** Everything the runtime needs to know about one compiled model. */
typedef struct nnrt_model_desc {
  int32_t abi_version; /* NNRT_ABI_VERSION */
  int32_t num_tensors;
  int32_t num_entries;
  int32_t reserved;
  const char *name;
  const nnrt_tensor_desc *tensors;
  const nnrt_entry_desc *entries;
  int64_t state_bytes;
  int64_t max_batch;  /* default batch limit (nnc compile --max-batch) */
  int64_t num_params; /* learnable scalars (kind NNRT_PARAM and NNRT_FROZEN) */
} nnrt_model_desc;

typedef struct nnrt_model nnrt_model;
typedef struct nnrt_pool nnrt_pool;

/** Scratch bytes each thread of a model's pool owns (kernel packing space). */
#define NNRT_SCRATCH_BYTES (8 << 20)

/** A slice [begin, end) of a parallel loop, run with this thread's scratch. */
typedef void (*nnrt_task_fn)(void *ctx, int64_t begin, int64_t end,
                             void *scratch);

/** Called by generated code: runs fn over [0, n) split into one contiguous
 *  chunk per thread of the running model's pool (the caller takes the
 *  first), and returns when all are done. */
void nnrt_parallel_for(int64_t n, nnrt_task_fn fn, void *ctx);

/** The same loop on the calling thread alone (with its scratch): for work
 *  too small to pay for waking the other threads. Same results. */
void nnrt_serial_for(int64_t n, nnrt_task_fn fn, void *ctx);

/** Called by code compiled with profiling (NNC_PROFILE=1 nnc train ...)
 *  around each IR node; nnrt_profile_read returns a node's total
 *  nanoseconds (and call count). Not thread-safe: a debugging aid. */
void nnrt_profile_enter(int32_t node);
void nnrt_profile_exit(int32_t node);
int64_t nnrt_profile_read(int32_t node, int64_t *count);

/** Number of threads the model's kernels use: 0 (the default at create)
 *  means one per online CPU. Results do not depend on it: kernels split
 *  only independent outputs. Returns 0 or NNRT_EINVAL/NNRT_ENOMEM. */
int nnrt_model_set_threads(nnrt_model *m, int threads);
int nnrt_model_threads(const nnrt_model *m);

/** Runs fn over [0, n) on the model's threads as nnrt_parallel_for does (a
 *  contiguous chunk per thread, the caller taking the first), for a caller's
 *  own work between entry calls, such as gathering the next batch. Returns
 *  0, or NNRT_EINVAL (NULL model or fn, or called from inside an entry). */
int nnrt_model_parallel_for(nnrt_model *m, int64_t n, nnrt_task_fn fn, void *ctx);

/** Data-parallel training (nnrt_mpi.h): the index, in the global batch, of
 *  the first sample of the batches this instance gets (rank * local batch).
 *  Dropout masks are drawn by global sample, so N ranks draw what one
 *  process with the whole batch would. 0 (the default) for one process. */
int nnrt_model_set_first_sample(nnrt_model *m, int64_t first_sample);

/** Message of the last failure on this thread (never NULL). */
const char *nnrt_last_error(void);

/** Called by PREFIX_create of objects compiled for a named CPU: 0 when this
 *  CPU has every feature in `required` (comma-separated, LLVM's names such
 *  as "avx2,fma,avx512f"); otherwise NNRT_EINVAL with nnrt_last_error()
 *  naming the missing ones. */
int nnrt_cpu_check(const char *model, const char *required);
/** This CPU's features that nnc may require, comma-separated. */
const char *nnrt_cpu_features(void);

/** Allocates state and workspace (for batches up to `max_batch`, or the
 *  descriptor's when 0) and initialises every tensor from `seed`. NULL on
 *  failure, reason in nnrt_last_error(). */
nnrt_model *nnrt_model_create(const nnrt_model_desc *desc, uint64_t seed,
                              int64_t max_batch);
/** Like nnrt_model_create, with the state read from a checkpoint instead of
 *  initialised (nnrt_model_load's checks; the seed is not drawn from): the
 *  quick start for a trained model. NULL on failure, reason in
 *  nnrt_last_error(). */
nnrt_model *nnrt_model_open(const nnrt_model_desc *desc, const char *path,
                            int64_t max_batch);
void nnrt_model_destroy(nnrt_model *m);
const nnrt_model_desc *nnrt_model_describe(const nnrt_model *m);

/** Index of the entry point called `name`, or -1. */
int nnrt_model_find_entry(const nnrt_model *m, const char *name);

/** Checks m, batch (1..max batch), every pointer and every class label
 *  (0..N-1 for class(N), or the ignore_index), then runs the entry.
 *  On failure returns a status and sets the model's error message. */
int nnrt_model_run(nnrt_model *m, int entry, int64_t batch,
                   void *const *args);

/** Pointer to a state tensor's data, NULL if unknown; count and dtype are
 *  written when not NULL. Carried state (NNRT_ARG_STATE_IN) is found by its
 *  name too: max batch rows, row r being batch position r's. */
void *nnrt_model_param(nnrt_model *m, const char *name, int64_t *count,
                       int *dtype);

/** Sets all carried state (the rows of every NNRT_ARG_STATE_IN) to zero,
 *  as at create: the start of new sequences. Returns 0 or NNRT_EINVAL. */
int nnrt_model_reset_state(nnrt_model *m);
/** Number of carried state tensors (0 for a model without stateful layers). */
int nnrt_model_carried_count(const nnrt_model *m);

/** Message for the last non-zero return on this model ("" if none). */
const char *nnrt_model_error(const nnrt_model *m);

/** Element count of a tensor descriptor, and its size in bytes. */
int64_t nnrt_tensor_count(const nnrt_tensor_desc *t);
int64_t nnrt_dtype_size(int32_t dtype);

/** The counter-based generator all initialisation draws come from:
 *  Philox4x32-10 keyed by seed; (stream, index) is the counter, so element
 *  i of tensor s gets the same value on every machine and in every order.
 *  Returns a double uniform in [0, 1). */
double nnrt_philox_uniform(uint64_t seed, uint64_t stream, uint64_t index);

/** Where training stands, saved with the parameters so that training can
 *  resume exactly: global step, epoch, position within the epoch's shuffled
 *  order (in batches), the seed the run started from, and the batch size and
 *  sample count that position counts in (0: not known, a checkpoint written
 *  before they were saved). */
typedef struct nnrt_train_state {
  uint64_t step, epoch, position, seed, batch, samples;
} nnrt_train_state;

/** Writes every state tensor (parameters, buffers, optimizer state) and
 *  `train` (may be NULL) as a checkpoint (docs/checkpoint.md): to a
 *  temporary file beside it, synced, then renamed over `path` (and the
 *  directory synced). A symbolic link is written through (its target is
 *  replaced); a `path` that exists and is not a regular file (directory,
 *  device, FIFO) is refused with NNRT_EINVAL. A failed write (EFBIG from a
 *  file-size limit, ENOSPC) returns NNRT_EIO, the temporary file removed and
 *  the old file untouched. Temporary files of saves killed mid-write are
 *  removed by the next save of the same path. */
int nnrt_model_save(const nnrt_model *m, const char *path, const nnrt_train_state *train);

/** Test hook (fault injection): the next saves of this process stop dead
 *  (SIGKILL, as a crash or `kill -9` would) after writing `after_bytes`
 *  bytes of the temporary file (-1: never), or right after the rename when
 *  `after_rename` is 1. nnc sets it from NNC_FAULT_SAVE; nothing else should. */
void nnrt_set_save_fault(int64_t after_bytes, int after_rename);
/** Test hook (fault injection): the next saves of this process fail as a
 *  full disk would, the write returning `error` (e.g. ENOSPC) after
 *  `after_bytes` bytes of the temporary file (-1: never). nnc sets it from
 *  NNC_FAULT_SAVE=enospc:BYTES; nothing else should. */
void nnrt_set_save_error(int64_t after_bytes, int error);

/** Reads a checkpoint written by nnrt_model_save for the same model. The
 *  whole file is checked (magic, version, CRC of every record, model name,
 *  every tensor's dtype and shape) before the model changes; on failure the
 *  model is untouched. `train` (may be NULL) receives the training state. */
int nnrt_model_load(nnrt_model *m, const char *path, nnrt_train_state *train);

/** Early stopping and save-best (nnc train --early-stop, --save-best): the
 *  monitored log name (e.g. "val_loss"), whether larger is better, the best
 *  value so far, the step it was reached at, and the evaluations since
 *  without improvement. Saved with every checkpoint (a `STOP` record) and
 *  replaced by the one a loaded checkpoint holds (cleared when it holds
 *  none). */
typedef struct nnrt_early_stop {
  char monitor[128];
  int32_t maximize;
  double best;
  uint64_t best_step, bad_evaluations;
} nnrt_early_stop;
/** Sets the record (NULL clears it); NNRT_EINVAL when the monitor name is
 *  empty or does not fit. */
int nnrt_model_set_early_stop(nnrt_model *m, const nnrt_early_stop *state);
/** 1 and *state filled when the model has a record, else 0. */
int nnrt_model_early_stop(const nnrt_model *m, nnrt_early_stop *state);

/** Text models (nnc train --text): the vocabulary, token i being the
 *  Unicode code point code_points[i]. It is copied, saved with every
 *  checkpoint (a `VOCB` record) and replaced by the one a loaded checkpoint
 *  holds (cleared when it holds none). count 0 clears it. */
int nnrt_model_set_vocab(nnrt_model *m, const uint32_t *code_points, int64_t count);
/** The model's vocabulary; NULL (and *count = 0) when it has none. */
const uint32_t *nnrt_model_vocab(const nnrt_model *m, int64_t *count);
/** The vocabulary a checkpoint file holds, without a model: *code_points
 *  (malloc'd, the caller frees it; NULL when the file holds none) and
 *  *count. Returns 0, or NNRT_EIO / NNRT_EFORMAT / NNRT_ENOMEM with the
 *  reason in nnrt_last_error(). */
int nnrt_checkpoint_vocab(const char *path, uint32_t **code_points, int64_t *count);

/** Draws the next token from one position's `count` logits (dtype 0 float,
 *  1 double): softmax(logits / temperature) over the top_k largest logits
 *  (ties with the k-th kept; top_k <= 0 keeps all); temperature 0 picks
 *  the first largest. The draw is Philox keyed by `seed` at counter `step`,
 *  so a (seed, step) pair always gives the same token: nnc generate uses
 *  step = the number of tokens generated before. Returns the token index,
 *  or -1 (with nnrt_last_error()) for bad arguments or non-finite logits. */
int64_t nnrt_sample_logits(const void *logits, int32_t dtype, int64_t count, double temperature,
                           int64_t top_k, uint64_t seed, uint64_t step);

/** 1 when `path` starts with the checkpoint magic bytes. */
int nnrt_is_checkpoint(const char *path);

/** Called by generated code in training mode: writes `count` dropout-mask
 *  elements (dtype 0 float, 1 double) that are 1/(1-rate) with probability
 *  1-rate and 0 otherwise, drawn from Philox keyed by seed at counter
 *  (stream, element index in the global batch; see
 *  nnrt_model_set_first_sample). */
void nnrt_dropout_mask(void *out, int32_t dtype, int64_t count, double rate,
                       uint64_t seed, uint64_t stream);

/** A generated mask kernel: elements [begin, end) of the mask, element i
 *  drawn at Philox counter (base + i, stream) under key seed, kept (scale)
 *  when the top 53 bits of words 0:1 are below `threshold`, else 0. */
typedef void (*nnrt_mask_kernel)(void *out, int64_t begin, int64_t end, uint64_t seed,
                                 uint64_t stream, uint64_t base, uint64_t threshold,
                                 double scale);
/** nnrt_dropout_mask with the per-element work done by `kernel` (code
 *  generated for the model's CPU, vectorised); the same bits. */
void nnrt_dropout_mask_with(void *out, int32_t dtype, int64_t count, double rate,
                            uint64_t seed, uint64_t stream, nnrt_mask_kernel kernel);

#ifdef __cplusplus
}
#endif
#endif /* NNRT_H */
