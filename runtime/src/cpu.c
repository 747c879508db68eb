/*===- cpu.c - does this CPU have what a compiled model was built for? ----===*
 *
 * An object compiled with --cpu NAME may use instructions (AVX-512, FMA, ...)
 * that the machine running it lacks, and would die with SIGILL on the first
 * kernel. PREFIX_create calls nnrt_cpu_check first, so the application gets
 * NULL and a message naming the missing features instead.
 *
 *===----------------------------------------------------------------------===*/
#include "nnrt.h"
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* 1 when `name` is one of the comma-separated words of `list`. */
static int has_word(const char *list, const char *name, size_t len) {
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == len && strncmp(p, name, len) == 0)
      return 1;
    p = end ? end + 1 : NULL;
  }
  return 0;
}

int nnrt_cpu_missing(const char *required, const char *available,
                     char *missing, size_t size) {
  int count = 0;
  size_t used = 0;
  if (size)
    missing[0] = '\0';
  for (const char *p = required; p && *p;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n && !has_word(available, p, n)) {
      /* Appends ", name" while it fits; the count stays exact. */
      int w = snprintf(missing + used, size > used ? size - used : 0, "%s%.*s",
                       count ? ", " : "", (int)n, p);
      if (w > 0 && used + (size_t)w < size)
        used += (size_t)w;
      ++count;
    }
    p = end ? end + 1 : NULL;
  }
  return count;
}

/* The features nnc may list, in LLVM's spelling, which __builtin_cpu_supports
 * shares. The builtin needs a literal, hence one line per feature. */
const char *nnrt_cpu_features(void) {
  static _Thread_local char list[512];
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define NNRT_FEATURE(f) if (__builtin_cpu_supports(f)) { strcat(list, f ","); }
  list[0] = '\0';
  __builtin_cpu_init(); /* may run before constructors */
  NNRT_FEATURE("sse3") NNRT_FEATURE("ssse3") NNRT_FEATURE("sse4.1")
  NNRT_FEATURE("sse4.2") NNRT_FEATURE("popcnt") NNRT_FEATURE("avx")
  NNRT_FEATURE("avx2") NNRT_FEATURE("fma") NNRT_FEATURE("f16c")
  NNRT_FEATURE("bmi") NNRT_FEATURE("bmi2") NNRT_FEATURE("lzcnt")
  NNRT_FEATURE("movbe") NNRT_FEATURE("avxvnni") NNRT_FEATURE("avx512f")
  NNRT_FEATURE("avx512dq") NNRT_FEATURE("avx512cd") NNRT_FEATURE("avx512bw")
  NNRT_FEATURE("avx512vl") NNRT_FEATURE("avx512vbmi") NNRT_FEATURE("avx512ifma")
  NNRT_FEATURE("avx512vnni") NNRT_FEATURE("avx512bf16") NNRT_FEATURE("avx512vbmi2")
  NNRT_FEATURE("avx512bitalg") NNRT_FEATURE("avx512vpopcntdq")
  NNRT_FEATURE("avx512fp16")
#undef NNRT_FEATURE
#else
  list[0] = '\0';
#endif
  return list;
}

int nnrt_cpu_check(const char *model, const char *required) {
  char missing[NNRT_ERROR_SIZE / 2];
  int n = nnrt_cpu_missing(required, nnrt_cpu_features(), missing, sizeof missing);
  if (n == 0)
    return NNRT_OK;
  nnrt_set_error("model '%s' was compiled for a CPU with %s, which this CPU "
                 "lacks (recompile with nnc compile --cpu x86-64-v3, generic "
                 "or native)", model ? model : "?", missing);
  return NNRT_EINVAL;
}
