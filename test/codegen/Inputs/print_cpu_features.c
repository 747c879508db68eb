/* Prints the runtime's view of this CPU (nnrt_cpu_features). */
#include "nnrt.h"

#include <stdio.h>

int main(void) {
  printf("%s\n", nnrt_cpu_features());
  return 0;
}
