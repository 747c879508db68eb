/*===- error.c - per-thread last-error message ---------------------------===*/
#include "nnrt.h"
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

/* Zero-initialised, so nnrt_last_error() reads "" before any failure. Each
 * thread has its own copy: a host may run several models on several threads. */
static _Thread_local char last_error[NNRT_ERROR_SIZE];

void nnrt_set_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  /* vsnprintf truncates and always terminates when the size is non-zero. */
  if (vsnprintf(last_error, sizeof last_error, fmt, ap) < 0)
    last_error[0] = '\0';
  va_end(ap);
}

const char *nnrt_last_error(void) { return last_error; }
