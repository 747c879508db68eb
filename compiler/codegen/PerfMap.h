//===- PerfMap.h - JIT symbols for perf (NNC_PERF_MAP=1) -------*- C++ -*-===//
//
// `perf record` sees JIT-compiled code as bare addresses. perf reads names
// for such code from /tmp/perf-PID.map ("START SIZE NAME" per line, hex);
// with NNC_PERF_MAP=1 the JIT writes one line per function it links, task
// functions and GEMM kernels included, so `perf report` names them.
//===----------------------------------------------------------------------===//
#ifndef NNC_CODEGEN_PERFMAP_H
#define NNC_CODEGEN_PERFMAP_H

namespace llvm::orc {
class LLJIT;
}

namespace nnc {

/// Makes `jit` append each linked function to /tmp/perf-PID.map. False when
/// the JIT does not link with JITLink (then nothing is written).
bool writePerfMap(llvm::orc::LLJIT &jit);

} // namespace nnc

#endif
