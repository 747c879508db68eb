/*===- profile.c - time spent per IR node (NNC_PROFILE=1) ------------------===*
 *
 * Code compiled with profiling calls enter/exit around every node's loop
 * nest; the totals are read back by the driver, which names the nodes. A
 * debugging aid for the thread that runs the entries: not synchronised.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 199309L
#include "nnrt.h"

#include <time.h>

#define MAX_NODES (1 << 16)

static int64_t total_ns[MAX_NODES], calls[MAX_NODES];
static int64_t started_ns;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void nnrt_profile_enter(int32_t node) {
  (void)node;
  started_ns = now_ns();
}

void nnrt_profile_exit(int32_t node) {
  if (node < 0 || node >= MAX_NODES)
    return;
  total_ns[node] += now_ns() - started_ns;
  calls[node]++;
}

int64_t nnrt_profile_read(int32_t node, int64_t *count) {
  if (node < 0 || node >= MAX_NODES)
    return 0;
  if (count)
    *count = calls[node];
  return total_ns[node];
}
