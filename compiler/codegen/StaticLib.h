//===- StaticLib.h - one archive with a model and the runtime ---*- C++ -*-===//
#pragma once

#include <string>

namespace nnc {

/// libnnrt.a next to this nnc: <bin>/../<libdir>/libnnrt.a when installed,
/// <build>/runtime/libnnrt.a in a build tree. Empty when neither exists.
std::string findRuntimeArchive();

/// Writes (atomically) a GNU archive holding `object` as member `objectName`
/// followed by every member of the runtime archive `runtime`.
bool writeStaticLib(const std::string &path, const std::string &object,
                    const std::string &objectName, const std::string &runtime,
                    std::string &error);

/// Links (atomically) a shared library at `path` holding `object`, every
/// member of the runtime archive `runtime` and a small loader stub exporting
/// `nnc_model_prefix()` and `nnc_model_desc()`, so that a program with no
/// header (python/nnc) finds the model's C API. The system C compiler `cc`
/// (found on PATH) links it with -Bsymbolic: the runtime's calls stay inside
/// the library, so several such libraries load into one process.
bool writeSharedLib(const std::string &path, const std::string &object,
                    const std::string &prefix, const std::string &runtime,
                    std::string &error);

} // namespace nnc
