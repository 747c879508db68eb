/*===- carried.c - state a stateful layer carries from call to call -------===*
 *
 * A stateful recurrent layer's final h (and c) after one call is its initial
 * state in the next: the entries take it as an NNRT_ARG_STATE_IN argument
 * and write it as NNRT_ARG_STATE_OUT. The runtime owns both buffers, one row
 * per batch position for up to max_batch rows, so a caller's batch row r
 * continues the sequence that row r of the previous call was reading (the
 * B streams of truncated backpropagation through time). The new state is
 * written to a second buffer and copied over the first only after the entry
 * succeeded, so the entry never reads what it is writing.
 *
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static int64_t row_elements(const nnrt_arg_desc *a) {
  int64_t n = 1;
  for (int32_t k = 0; k < a->rank; ++k)
    n *= a->dims[k];
  return n;
}

static nnrt_carried *find(nnrt_model *m, const char *name) {
  for (int32_t i = 0; i < m->num_carried; ++i)
    if (strcmp(m->carried[i].name, name) == 0)
      return &m->carried[i];
  return NULL;
}

int nnrt_carried_create(nnrt_model *m) {
  const nnrt_model_desc *d = m->desc;
  const char *mname = d->name ? d->name : "?";
  int32_t most_args = 1, names = 0;
  for (int32_t e = 0; e < d->num_entries; ++e) {
    if (d->entries[e].num_args > most_args)
      most_args = d->entries[e].num_args;
    names += d->entries[e].num_args;
  }
  m->bound = calloc((size_t)most_args, sizeof(void *));
  m->carried = calloc((size_t)(names ? names : 1), sizeof(nnrt_carried));
  if (!m->bound || !m->carried) {
    nnrt_set_error("out of memory creating model '%s'", mname);
    return NNRT_ENOMEM;
  }
  /* Every STATE_IN name once; a STATE_OUT must match one exactly. */
  for (int pass = 0; pass < 2; ++pass)
    for (int32_t e = 0; e < d->num_entries; ++e)
      for (int32_t i = 0; i < d->entries[e].num_args; ++i) {
        const nnrt_arg_desc *a = &d->entries[e].args[i];
        int32_t want = pass == 0 ? NNRT_ARG_STATE_IN : NNRT_ARG_STATE_OUT;
        if (a->role != want)
          continue;
        int64_t elements = row_elements(a), size = nnrt_dtype_size(a->dtype);
        if (!a->name || !a->batched || elements <= 0 || size == 0 ||
            elements > INT64_MAX / size / m->max_batch) {
          nnrt_set_error("model '%s': carried state '%s' of '%s' has a bad descriptor", mname,
                         a->name ? a->name : "?", d->entries[e].name);
          return NNRT_EINVAL;
        }
        nnrt_carried *c = find(m, a->name);
        if (c && (c->dtype != a->dtype || c->row_bytes != elements * size)) {
          nnrt_set_error("model '%s': carried state '%s' has two shapes", mname, a->name);
          return NNRT_EINVAL;
        }
        if (c)
          continue;
        if (pass == 1) {
          nnrt_set_error("model '%s': '%s' writes carried state '%s' that no entry reads",
                         mname, d->entries[e].name, a->name);
          return NNRT_EINVAL;
        }
        c = &m->carried[m->num_carried++];
        c->name = a->name;
        c->dtype = a->dtype;
        c->row_bytes = elements * size;
        c->rows = calloc((size_t)m->max_batch, (size_t)c->row_bytes);
        c->next = calloc((size_t)m->max_batch, (size_t)c->row_bytes);
        if (!c->rows || !c->next) {
          nnrt_set_error("out of memory allocating carried state '%s' of model '%s'", a->name,
                         mname);
          return NNRT_ENOMEM;
        }
      }
  return NNRT_OK;
}

void nnrt_carried_destroy(nnrt_model *m) {
  for (int32_t i = 0; m->carried && i < m->num_carried; ++i) {
    free(m->carried[i].rows);
    free(m->carried[i].next);
  }
  free(m->carried);
  free(m->bound);
}

void *const *nnrt_carried_bind(nnrt_model *m, const nnrt_entry_desc *en, void *const *args) {
  int any = 0;
  for (int32_t i = 0; i < en->num_args; ++i) {
    const nnrt_arg_desc *a = &en->args[i];
    nnrt_carried *c = a->role == NNRT_ARG_STATE_IN || a->role == NNRT_ARG_STATE_OUT
                          ? find(m, a->name)
                          : NULL;
    m->bound[i] = !c ? args[i] : a->role == NNRT_ARG_STATE_IN ? c->rows : c->next;
    any |= c != NULL;
  }
  return any ? m->bound : args;
}

void nnrt_carried_commit(nnrt_model *m, const nnrt_entry_desc *en, int64_t batch) {
  for (int32_t i = 0; i < en->num_args; ++i)
    if (en->args[i].role == NNRT_ARG_STATE_OUT) {
      nnrt_carried *c = find(m, en->args[i].name);
      memcpy(c->rows, c->next, (size_t)(batch * c->row_bytes));
    }
}

void *nnrt_carried_find(nnrt_model *m, const char *name, int64_t *count, int *dtype) {
  nnrt_carried *c = find(m, name);
  if (!c)
    return NULL;
  if (count)
    *count = m->max_batch * c->row_bytes / nnrt_dtype_size(c->dtype);
  if (dtype)
    *dtype = c->dtype;
  return c->rows;
}

int nnrt_model_reset_state(nnrt_model *m) {
  if (!m) {
    nnrt_set_error("model is NULL");
    return NNRT_EINVAL;
  }
  for (int32_t i = 0; i < m->num_carried; ++i)
    memset(m->carried[i].rows, 0, (size_t)(m->max_batch * m->carried[i].row_bytes));
  return NNRT_OK;
}

int nnrt_model_carried_count(const nnrt_model *m) { return m ? m->num_carried : 0; }
