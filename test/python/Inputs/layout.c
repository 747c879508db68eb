/* test/python/abi_layout.test: nnrt.h's descriptor layout, as runtime/python/nnc
 * mirrors it in ctypes: each struct's size and each field's offset. */
#include "nnrt.h"

#include <stddef.h>
#include <stdio.h>

#define FIELD(T, f) printf(" %s=%zu", #f, offsetof(T, f))

int main(void) {
  printf("abi %d\n", NNRT_ABI_VERSION);
  printf("_TensorDesc size=%zu", sizeof(nnrt_tensor_desc));
  FIELD(nnrt_tensor_desc, name); FIELD(nnrt_tensor_desc, dtype); FIELD(nnrt_tensor_desc, kind);
  FIELD(nnrt_tensor_desc, rank); FIELD(nnrt_tensor_desc, init); FIELD(nnrt_tensor_desc, dims);
  FIELD(nnrt_tensor_desc, offset); FIELD(nnrt_tensor_desc, init_a); FIELD(nnrt_tensor_desc, init_b);
  FIELD(nnrt_tensor_desc, init_data);
  printf("\n_ArgDesc size=%zu", sizeof(nnrt_arg_desc));
  FIELD(nnrt_arg_desc, name); FIELD(nnrt_arg_desc, dtype); FIELD(nnrt_arg_desc, role);
  FIELD(nnrt_arg_desc, rank); FIELD(nnrt_arg_desc, batched); FIELD(nnrt_arg_desc, dims);
  FIELD(nnrt_arg_desc, classes); FIELD(nnrt_arg_desc, ignore_index);
  printf("\n_EntryDesc size=%zu", sizeof(nnrt_entry_desc));
  FIELD(nnrt_entry_desc, name); FIELD(nnrt_entry_desc, fn); FIELD(nnrt_entry_desc, num_args);
  FIELD(nnrt_entry_desc, args); FIELD(nnrt_entry_desc, ws_fixed); FIELD(nnrt_entry_desc, ws_per_sample);
  printf("\n_ModelDesc size=%zu", sizeof(nnrt_model_desc));
  FIELD(nnrt_model_desc, abi_version); FIELD(nnrt_model_desc, num_tensors);
  FIELD(nnrt_model_desc, num_entries); FIELD(nnrt_model_desc, reserved); FIELD(nnrt_model_desc, name);
  FIELD(nnrt_model_desc, tensors); FIELD(nnrt_model_desc, entries); FIELD(nnrt_model_desc, state_bytes);
  FIELD(nnrt_model_desc, max_batch); FIELD(nnrt_model_desc, num_params);
  printf("\n");
  return 0;
}
