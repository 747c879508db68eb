#define _POSIX_C_SOURCE 200809L /* fileno, fsync */
/*===- checkpoint.c - binary checkpoints (docs/checkpoint.md) ------------===*
 *
 * A checkpoint is a magic string and a sequence of records, each
 *   u32 tag | u64 payload length | payload | u32 CRC-32 of tag+length+payload
 * all little-endian. Saving writes a temporary file beside the target and
 * renames it (atomic_file.c), so a failure never destroys the previous
 * checkpoint. Loading
 * reads and checks the whole file before it changes the model, so a bad
 * file never leaves a half-loaded model.
 *
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char kMagic[8] = {'N', 'N', 'C', 'K', 'P', 'T', '\r', '\n'};
#define NNRT_CKPT_VERSION 1u

enum {
  TAG_MODEL = 0x4C444F4D,  /* "MODL": u32 version, name, u64 structure hash */
  TAG_TRAIN = 0x4E415254,  /* "TRAN": u64 step, epoch, position, seed */
  TAG_TENSOR = 0x534E4554, /* "TENS": name, i32 dtype, i32 kind, u32 rank, i64 dims, data */
  TAG_VOCAB = 0x42434F56,  /* "VOCB": u64 count, u32 code points */
  TAG_STOP = 0x504F5453,   /* "STOP": monitor, u32 maximize, f64 best, u64 best step, u64 bad */
  TAG_END = 0x20444E45     /* "END " */
};

/*--- CRC-32 (IEEE, as zlib) --------------------------------------------------*/

/* Byte-at-a-time with a 256-entry table, 8x faster than bit-at-a-time (a
 * 40 MB checkpoint loads in a fraction of a second). The table is built per
 * call (2K steps, nothing next to the data) so threads share no state. */
static uint32_t crc32_update(uint32_t crc, const void *data, size_t n) {
  uint32_t table[256];
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    table[i] = c;
  }
  const unsigned char *p = (const unsigned char *)data;
  crc = ~crc;
  for (size_t i = 0; i < n; ++i)
    crc = (crc >> 8) ^ table[(crc ^ p[i]) & 0xFFu];
  return ~crc;
}

/*--- a growable byte buffer ----------------------------------------------------*/

typedef struct {
  unsigned char *data;
  size_t size, cap;
  int failed;
} buffer;

static void put(buffer *b, const void *p, size_t n) {
  if (b->failed)
    return;
  if (b->size + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->size + n)
      cap *= 2;
    unsigned char *d = (unsigned char *)realloc(b->data, cap);
    if (!d) {
      b->failed = 1;
      return;
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->size, p, n);
  b->size += n;
}

static void put_u32(buffer *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 24)};
  put(b, x, 4);
}

static void put_u64(buffer *b, uint64_t v) {
  put_u32(b, (uint32_t)v);
  put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(buffer *b, const char *s) {
  uint32_t n = (uint32_t)strlen(s);
  put_u32(b, n);
  put(b, s, n);
}

/* Appends one record: the payload was built in `payload`. */
static void put_record(buffer *b, uint32_t tag, const buffer *payload) {
  size_t start = b->size;
  put_u32(b, tag);
  put_u64(b, payload->size);
  put(b, payload->data, payload->size);
  if (!b->failed)
    put_u32(b, crc32_update(0, b->data + start, b->size - start));
}

/*--- the model's structure -----------------------------------------------------*/

/* FNV-1a over every tensor's name, dtype, kind and dims: two models agree
 * on it exactly when their state has the same layout. */
static uint64_t structure_hash(const nnrt_model_desc *d) {
  uint64_t h = 1469598103934665603ull;
#define MIX(p, n)                                                              \
  for (size_t i_ = 0; i_ < (size_t)(n); ++i_)                                  \
    h = (h ^ ((const unsigned char *)(p))[i_]) * 1099511628211ull;
  for (int32_t t = 0; t < d->num_tensors; ++t) {
    const nnrt_tensor_desc *x = &d->tensors[t];
    MIX(x->name, strlen(x->name) + 1);
    MIX(&x->dtype, sizeof x->dtype);
    MIX(&x->kind, sizeof x->kind);
    MIX(&x->rank, sizeof x->rank);
    MIX(x->dims, sizeof(int64_t) * (size_t)x->rank);
  }
#undef MIX
  return h;
}

int nnrt_model_save(const nnrt_model *cm, const char *path, const nnrt_train_state *train) {
  nnrt_model *m = (nnrt_model *)cm;
  if (!m)
    return NNRT_EINVAL;
  if (!path)
    return nnrt_model_fail(m, NNRT_EINVAL, "checkpoint path is NULL");
  const nnrt_model_desc *d = m->desc;
  buffer out = {0}, rec = {0};
  put(&out, kMagic, sizeof kMagic);

  put_u32(&rec, NNRT_CKPT_VERSION);
  put_str(&rec, d->name);
  put_u64(&rec, structure_hash(d));
  put_record(&out, TAG_MODEL, &rec);

  nnrt_train_state none = {0, 0, 0, 0, 0, 0};
  if (!train)
    train = &none;
  rec.size = 0;
  put_u64(&rec, train->step);
  put_u64(&rec, train->epoch);
  put_u64(&rec, train->position);
  put_u64(&rec, train->seed);
  put_u64(&rec, train->batch);
  put_u64(&rec, train->samples);
  put_record(&out, TAG_TRAIN, &rec);

  for (int32_t t = 0; t < d->num_tensors; ++t) {
    const nnrt_tensor_desc *x = &d->tensors[t];
    rec.size = 0;
    put_str(&rec, x->name);
    put_u32(&rec, (uint32_t)x->dtype);
    put_u32(&rec, (uint32_t)x->kind);
    put_u32(&rec, (uint32_t)x->rank);
    for (int32_t i = 0; i < x->rank; ++i)
      put_u64(&rec, (uint64_t)x->dims[i]);
    /* Element data is stored in the machine's order, which is little-endian
     * on every target nnc supports (x86-64, aarch64). */
    put(&rec, (const char *)m->state + x->offset,
        (size_t)(nnrt_tensor_count(x) * nnrt_dtype_size(x->dtype)));
    put_record(&out, TAG_TENSOR, &rec);
  }
  if (m->vocab_size > 0) {
    rec.size = 0;
    put_u64(&rec, (uint64_t)m->vocab_size);
    for (int64_t i = 0; i < m->vocab_size; ++i)
      put_u32(&rec, m->vocab[i]);
    put_record(&out, TAG_VOCAB, &rec);
  }
  if (m->has_early_stop) {
    rec.size = 0;
    put_str(&rec, m->early_stop.monitor);
    put_u32(&rec, (uint32_t)m->early_stop.maximize);
    uint64_t best;
    memcpy(&best, &m->early_stop.best, sizeof best);
    put_u64(&rec, best);
    put_u64(&rec, m->early_stop.best_step);
    put_u64(&rec, m->early_stop.bad_evaluations);
    put_record(&out, TAG_STOP, &rec);
  }
  rec.size = 0;
  put_record(&out, TAG_END, &rec);
  free(rec.data);
  if (out.failed || rec.failed) {
    free(out.data);
    return nnrt_model_fail(m, NNRT_ENOMEM, "out of memory writing checkpoint '%s'", path);
  }

  /* Temporary file beside the target, synced, renamed over it (atomic_file.c). */
  char message[NNRT_ERROR_SIZE];
  int rc = nnrt_write_file_atomic(path, out.data, out.size, message, sizeof message);
  free(out.data);
  if (rc != NNRT_OK)
    return nnrt_model_fail(m, rc, "%s", message);
  m->error[0] = '\0';
  return NNRT_OK;
}

/*--- reading -----------------------------------------------------------------*/

typedef struct {
  const unsigned char *p;
  size_t left;
  int bad;
} reader;

static uint64_t get_u(reader *r, int bytes) {
  if (r->bad || r->left < (size_t)bytes) {
    r->bad = 1;
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= (uint64_t)r->p[i] << (8 * i);
  r->p += bytes;
  r->left -= (size_t)bytes;
  return v;
}

/* A length-prefixed string, copied into `out` (truncated to n-1). */
static void get_str(reader *r, char *out, size_t n) {
  uint32_t len = (uint32_t)get_u(r, 4);
  if (r->bad || len > r->left) {
    r->bad = 1;
    out[0] = '\0';
    return;
  }
  size_t c = len < n - 1 ? len : n - 1;
  memcpy(out, r->p, c);
  out[c] = '\0';
  r->p += len;
  r->left -= len;
}

/* A VOCB payload: u64 count, then that many u32 code points (at most
 * 2^30, each a Unicode scalar value). */
static int read_vocab(reader *body, uint32_t **out, int64_t *count) {
  uint64_t n = get_u(body, 8);
  if (body->bad || n > ((uint64_t)1 << 30) || body->left != n * 4)
    return NNRT_EFORMAT;
  uint32_t *v = (uint32_t *)malloc(sizeof(uint32_t) * (size_t)(n ? n : 1));
  if (!v)
    return NNRT_ENOMEM;
  for (uint64_t i = 0; i < n; ++i) {
    v[i] = (uint32_t)get_u(body, 4);
    if (v[i] > 0x10FFFF || (v[i] >= 0xD800 && v[i] <= 0xDFFF)) {
      free(v);
      return NNRT_EFORMAT;
    }
  }
  free(*out);
  *out = v;
  *count = (int64_t)n;
  return NNRT_OK;
}

/* The whole file (error set when it cannot be read). It stops after the
 * first 8 bytes when they are not the magic ones (then the caller says the
 * file is no checkpoint), and fails beyond `limit` bytes, so that a device
 * or pipe that never ends (/dev/zero) costs neither time nor memory. */
static int read_whole(const char *path, buffer *file, uint64_t limit) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    nnrt_set_error("cannot open checkpoint '%s': %s", path, strerror(errno));
    return NNRT_EIO;
  }
  unsigned char chunk[65536];
  size_t got;
  int tooLarge = 0;
  while ((got = fread(chunk, 1, file->size < sizeof kMagic ? sizeof kMagic - file->size
                                                          : sizeof chunk, f)) > 0) {
    if ((uint64_t)file->size + got > limit) {
      tooLarge = 1;
      break;
    }
    put(file, chunk, got);
    if (file->size == sizeof kMagic && memcmp(file->data, kMagic, sizeof kMagic) != 0)
      break;
  }
  int readError = ferror(f);
  fclose(f);
  if (tooLarge) {
    nnrt_set_error("checkpoint '%s' holds more than %llu bytes, more than this model's "
                   "checkpoint can", path, (unsigned long long)limit);
    return NNRT_EFORMAT;
  }
  if (readError || file->failed) {
    nnrt_set_error("cannot read checkpoint '%s'", path);
    return NNRT_EIO;
  }
  return NNRT_OK;
}

int nnrt_checkpoint_vocab(const char *path, uint32_t **code_points, int64_t *count) {
  if (!path || !code_points || !count) {
    nnrt_set_error("nnrt_checkpoint_vocab: NULL argument");
    return NNRT_EINVAL;
  }
  *code_points = NULL;
  *count = 0;
  buffer file = {0};
  int status = read_whole(path, &file, (uint64_t)1 << 36); /* no model: any size it could be */
  if (status != NNRT_OK) {
    free(file.data);
    return status;
  }
  if (file.size < sizeof kMagic || memcmp(file.data, kMagic, sizeof kMagic) != 0) {
    free(file.data);
    nnrt_set_error("'%s' is not an nnc checkpoint (bad magic bytes)", path);
    return NNRT_EFORMAT;
  }
  reader r = {file.data + sizeof kMagic, file.size - sizeof kMagic, 0};
  while (r.left > 0) {
    size_t at = file.size - r.left;
    const unsigned char *start = r.p;
    uint32_t tag = (uint32_t)get_u(&r, 4);
    uint64_t len = get_u(&r, 8);
    if (r.bad || len > r.left || r.left - len < 4) {
      nnrt_set_error("checkpoint '%s' is truncated (record at byte %zu)", path, at);
      status = NNRT_EFORMAT;
      break;
    }
    uint32_t crc = crc32_update(0, start, 12 + (size_t)len);
    reader body = {r.p, (size_t)len, 0};
    r.p += len;
    r.left -= (size_t)len;
    if ((uint32_t)get_u(&r, 4) != crc) {
      nnrt_set_error("checkpoint '%s' is corrupted (checksum mismatch in the record at byte %zu)",
                     path, at);
      status = NNRT_EFORMAT;
      break;
    }
    if (tag == TAG_VOCAB && (status = read_vocab(&body, code_points, count)) != NNRT_OK) {
      nnrt_set_error("checkpoint '%s' has a damaged vocabulary record", path);
      break;
    }
    if (tag == TAG_END)
      break;
  }
  if (status != NNRT_OK) {
    free(*code_points);
    *code_points = NULL;
    *count = 0;
  }
  free(file.data);
  return status;
}

int nnrt_model_load(nnrt_model *m, const char *path, nnrt_train_state *train) {
  if (!m)
    return NNRT_EINVAL;
  if (!path)
    return nnrt_model_fail(m, NNRT_EINVAL, "checkpoint path is NULL");
  const nnrt_model_desc *d = m->desc;
  /* This model's checkpoint: its state, a record header and name per
   * tensor, and a vocabulary of up to 2^24 characters. */
  uint64_t limit = (uint64_t)d->state_bytes + 4096 * (uint64_t)(d->num_tensors + 4) + (64u << 20);
  buffer file = {0};
  int status = read_whole(path, &file, limit);
  if (status != NNRT_OK) {
    free(file.data);
    return nnrt_model_fail(m, status, "%s", nnrt_last_error());
  }
  /* Everything lands in a copy of the state; it replaces the model's only
   * once the whole file has been checked. */
  void *staged = malloc((size_t)(d->state_bytes ? d->state_bytes : 1));
  unsigned char *seen = (unsigned char *)calloc((size_t)d->num_tensors + 1, 1);
  nnrt_train_state ts = {0, 0, 0, 0, 0, 0};
  uint32_t *vocab = NULL;
  int64_t vocabSize = 0;
  int hasStop = 0;
  nnrt_early_stop stop;
  memset(&stop, 0, sizeof stop);
  if (!staged || !seen) {
    status = nnrt_model_fail(m, NNRT_ENOMEM, "out of memory reading checkpoint '%s'", path);
    goto done;
  }
  memcpy(staged, m->state, (size_t)d->state_bytes);
  if (file.size < sizeof kMagic || memcmp(file.data, kMagic, sizeof kMagic) != 0) {
    status = nnrt_model_fail(m, NNRT_EFORMAT, "'%s' is not an nnc checkpoint (bad magic bytes)", path);
    goto done;
  }
  reader r = {file.data + sizeof kMagic, file.size - sizeof kMagic, 0};
  int sawModel = 0, sawEnd = 0;
  while (!sawEnd) {
    size_t at = file.size - r.left;
    const unsigned char *start = r.p;
    uint32_t tag = (uint32_t)get_u(&r, 4);
    uint64_t len = get_u(&r, 8);
    if (r.bad || len > r.left || r.left - len < 4) {
      status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' is truncated (record at byte %zu)",
                               path, at);
      goto done;
    }
    uint32_t crc = crc32_update(0, start, 12 + (size_t)len);
    reader body = {r.p, (size_t)len, 0};
    r.p += len;
    r.left -= (size_t)len;
    if ((uint32_t)get_u(&r, 4) != crc) {
      status = nnrt_model_fail(m, NNRT_EFORMAT,
                               "checkpoint '%s' is corrupted (checksum mismatch in the record at "
                               "byte %zu)", path, at);
      goto done;
    }
    if (!sawModel && tag != TAG_MODEL) {
      status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' does not start with a model record", path);
      goto done;
    }
    char name[256];
    if (tag == TAG_MODEL) {
      uint32_t version = (uint32_t)get_u(&body, 4);
      get_str(&body, name, sizeof name);
      uint64_t hash = get_u(&body, 8);
      if (body.bad || version != NNRT_CKPT_VERSION) {
        status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' has format version %u; this "
                                 "runtime reads version %u", path, version, NNRT_CKPT_VERSION);
        goto done;
      }
      if (strcmp(name, d->name) != 0) {
        status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' is for model '%s', not '%s'",
                                 path, name, d->name);
        goto done;
      }
      if (hash != structure_hash(d)) {
        /* Same name, different layout: the tensor records say what differs;
         * report it once they are read, else here. */
        sawModel = 2;
        continue;
      }
      sawModel = 1;
    } else if (tag == TAG_TRAIN) {
      /* 4 fields, or 6 since batch and samples are saved. */
      if (body.left != 32 && body.left != 48) {
        status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' has a training-state record "
                                 "of %zu bytes (expected 32 or 48)", path, body.left);
        goto done;
      }
      ts.step = get_u(&body, 8);
      ts.epoch = get_u(&body, 8);
      ts.position = get_u(&body, 8);
      ts.seed = get_u(&body, 8);
      if (body.left >= 16) {
        ts.batch = get_u(&body, 8);
        ts.samples = get_u(&body, 8);
      }
      /* What a run can write: a step count an f64 holds exactly, at most one
       * epoch per step, a position within the data. */
      const uint64_t limit = (uint64_t)1 << 53;
      if (ts.step > limit || ts.epoch > ts.step || ts.position > limit || ts.batch > limit ||
          ts.samples > limit || (ts.batch > 0 && ts.samples > 0 && ts.position > ts.samples)) {
        status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' has an impossible training "
                                 "state (step %llu, epoch %llu, position %llu, batch %llu, "
                                 "samples %llu)", path, (unsigned long long)ts.step,
                                 (unsigned long long)ts.epoch, (unsigned long long)ts.position,
                                 (unsigned long long)ts.batch, (unsigned long long)ts.samples);
        goto done;
      }
    } else if (tag == TAG_TENSOR) {
      get_str(&body, name, sizeof name);
      int32_t dtype = (int32_t)get_u(&body, 4), kind = (int32_t)get_u(&body, 4);
      uint32_t rank = (uint32_t)get_u(&body, 4);
      if (!body.bad && (kind < NNRT_PARAM || kind > NNRT_BUFFER)) {
        status = nnrt_model_fail(m, NNRT_EFORMAT, "tensor '%s' in checkpoint '%s' has unknown "
                                 "kind %d", name, path, (int)kind);
        goto done;
      }
      int32_t t = 0;
      while (t < d->num_tensors && strcmp(d->tensors[t].name, name) != 0)
        ++t;
      if (t == d->num_tensors) {
        status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' has tensor '%s', which model '%s' "
                                 "does not", path, name, d->name);
        goto done;
      }
      const nnrt_tensor_desc *x = &d->tensors[t];
      int same = !body.bad && dtype == x->dtype && rank == (uint32_t)x->rank;
      for (uint32_t i = 0; i < rank && i < 16; ++i) {
        uint64_t dim = get_u(&body, 8);
        if (same && (int64_t)dim != x->dims[i])
          same = 0;
      }
      size_t bytes = (size_t)(nnrt_tensor_count(x) * nnrt_dtype_size(x->dtype));
      if (!same || body.bad || body.left != bytes) {
        status = nnrt_model_fail(m, NNRT_EFORMAT, "tensor '%s' in checkpoint '%s' has a different "
                                 "type or shape than in model '%s'", name, path, d->name);
        goto done;
      }
      memcpy((char *)staged + x->offset, body.p, bytes);
      seen[t] = 1;
    } else if (tag == TAG_VOCAB) {
      if (read_vocab(&body, &vocab, &vocabSize) != NNRT_OK) {
        status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' has a damaged vocabulary record",
                                 path);
        goto done;
      }
    } else if (tag == TAG_STOP) {
      get_str(&body, stop.monitor, sizeof stop.monitor);
      stop.maximize = (int32_t)get_u(&body, 4);
      uint64_t best = get_u(&body, 8);
      memcpy(&stop.best, &best, sizeof best);
      stop.best_step = get_u(&body, 8);
      stop.bad_evaluations = get_u(&body, 8);
      if (body.bad || body.left != 0 || stop.monitor[0] == '\0' || stop.maximize > 1 ||
          stop.best_step > ((uint64_t)1 << 53) || stop.bad_evaluations > ((uint64_t)1 << 53)) {
        status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' has a damaged early-stopping "
                                 "record", path);
        goto done;
      }
      hasStop = 1;
    } else if (tag == TAG_END) {
      sawEnd = 1;
    }
    /* Unknown tags are skipped: later versions may add records. */
  }
  for (int32_t t = 0; t < d->num_tensors; ++t)
    if (!seen[t]) {
      status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' lacks tensor '%s' of model '%s'",
                               path, d->tensors[t].name, d->name);
      goto done;
    }
  if (sawModel == 2) {
    status = nnrt_model_fail(m, NNRT_EFORMAT, "checkpoint '%s' was saved by a different version "
                             "of model '%s' (its tensors differ)", path, d->name);
    goto done;
  }
  memcpy(m->state, staged, (size_t)d->state_bytes);
  free(m->vocab);
  m->vocab = vocab;
  m->vocab_size = vocabSize;
  vocab = NULL;
  m->has_early_stop = hasStop;
  m->early_stop = stop;
  if (train)
    *train = ts;
  m->error[0] = '\0';
done:
  free(vocab);
  free(staged);
  free(seen);
  free(file.data);
  return status;
}

int nnrt_is_checkpoint(const char *path) {
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f)
    return 0;
  char head[sizeof kMagic];
  size_t n = fread(head, 1, sizeof head, f);
  fclose(f);
  return n == sizeof head && memcmp(head, kMagic, sizeof head) == 0;
}
