"""test/python/abi_layout.test: runtime/python/nnc's ctypes mirrors of nnrt.h, in the
format Inputs/layout.c prints for the C structs."""
import nnc

print("abi %d" % nnc.ABI_VERSION)
for struct in (nnc._TensorDesc, nnc._ArgDesc, nnc._EntryDesc, nnc._ModelDesc):
    fields = "".join(" %s=%d" % (name, getattr(struct, name).offset) for name, _ in struct._fields_)
    print("%s size=%d%s" % (struct.__name__, __import__("ctypes").sizeof(struct), fields))
