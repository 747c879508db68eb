"""test/python/clean_env.test: importing nnc loads nothing outside Python's
standard library but numpy (and nnc itself)."""
import sys
import sysconfig

before = set(sys.modules)
import nnc  # noqa: E402

stdlib = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
others = set()
for name in set(sys.modules) - before:
    path = getattr(sys.modules[name], "__file__", None)
    top = name.split(".")[0]
    if path and not path.startswith(stdlib) and top not in ("numpy", "nnc"):
        others.add(top)
print("nnc from", nnc.__file__)
print("modules beyond the standard library and numpy:", sorted(others) or "none")
