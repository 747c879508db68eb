# lit configuration for nnc. Run through ctest (one ctest test per file), or
# by hand:  python3 /usr/lib/llvm-19/build/utils/lit/lit.py -v \
#             --param nnc_build=build test/
import os

import lit.formats

config.name = "nnc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".nn", ".test"]
config.excludes = ["Inputs", "unit", "crashes"]
config.test_source_root = os.path.dirname(__file__)

build = lit_config.params.get("nnc_build")
if not build:
    lit_config.fatal("pass --param nnc_build=<cmake build directory>")
build = os.path.abspath(build)
# scripts/sanitize.sh: tests that cannot work under ASan say UNSUPPORTED: sanitize.
if lit_config.params.get("sanitize"):
    config.available_features.add("sanitize")
config.test_exec_root = os.path.join(build, "test-output")

source = os.path.dirname(config.test_source_root)
llvm_bin = "/usr/lib/llvm-19/bin"
config.environment["PATH"] = os.pathsep.join(
    [os.path.join(build, "bin"), llvm_bin, config.environment.get("PATH", "/usr/bin:/bin")])

config.substitutions.append(("%nnc", os.path.join(build, "bin", "nnc")))
config.substitutions.append(("%examples", os.path.join(source, "examples")))
config.substitutions.append(("%nnrt_include", os.path.join(source, "runtime", "include")))
config.substitutions.append(("%nnrt_lib", os.path.join(build, "runtime", "libnnrt.a")))
config.substitutions.append(("%cc", "cc"))
config.substitutions.append(("%python", "python3"))
config.substitutions.append(("%tools", os.path.join(config.test_source_root, "tools")))
