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

} // namespace nnc
