//===- main.cpp - the nnc command-line driver -----------------------------===//
//
// Exit codes: 0 success, 1 a problem with the user's model, data or files,
// 2 a usage error (bad command line), 3 an internal error (a bug in nnc),
// reported in two lines asking for a report, never as a stack dump.
//
//===----------------------------------------------------------------------===//
#include "driver/Session.h"

#include "llvm/Support/ErrorHandling.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <pthread.h>
#include <stdexcept>
#include <unistd.h>

namespace {

constexpr int kInternalError = 3;
const char kPleaseReport[] = "please report this at the nnc issue tracker, with the model and "
                             "the command that triggered it\n";

struct Run {
  nnc::Session session;
  int exitCode = 0;
};

/// The test suite's way into the internal-error paths (no model triggers a
/// known bug): NNC_TEST_INTERNAL_ERROR=exception|crash.
void testHook(const std::string &hook) {
  if (hook == "exception")
    throw std::logic_error("test of the internal error path");
  if (hook == "crash")
    std::raise(SIGSEGV);
}

void *runOnBigStack(void *arg) {
  Run &run = *static_cast<Run *>(arg);
  try {
    testHook(run.session.opts.testInternalError);
    run.exitCode = nnc::runCommand(run.session);
  } catch (const std::bad_alloc &) {
    std::cerr << "nnc: error: out of memory\n";
    run.exitCode = 1;
  } catch (const std::exception &e) {
    // A bug in nnc, not in the user's model: say so briefly, no stack dump.
    std::cerr << "nnc: internal error: " << e.what() << '\n' << kPleaseReport;
    run.exitCode = kInternalError;
  } catch (...) {
    std::cerr << "nnc: internal error: unknown exception\n" << kPleaseReport;
    run.exitCode = kInternalError;
  }
  return nullptr;
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__has_feature)
#define NNC_CRASH_HANDLER 1
#elif defined(__has_feature)
#if !__has_feature(address_sanitizer)
#define NNC_CRASH_HANDLER 1
#endif
#endif

#ifdef NNC_CRASH_HANDLER
/// A crash (a bug) ends with the same short message; only async-signal-safe
/// calls here. Sanitizer builds keep their own, more detailed reports.
void onCrash(int sig) {
  const char head[] = "nnc: internal error: ";
  const char *name = sig == SIGSEGV ? "segmentation fault" : sig == SIGBUS ? "bus error"
                     : sig == SIGFPE ? "arithmetic exception" : sig == SIGILL ? "illegal instruction"
                                                                              : "abort";
  ssize_t ignored = write(2, head, sizeof head - 1);
  ignored = write(2, name, std::strlen(name));
  ignored = write(2, "\n", 1);
  ignored = write(2, kPleaseReport, sizeof kPleaseReport - 1);
  (void)ignored;
  _exit(kInternalError);
}

void installCrashHandlers() {
  struct sigaction action {};
  action.sa_handler = onCrash;
  action.sa_flags = SA_ONSTACK; // a stack overflow needs another stack
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
    sigaction(sig, &action, nullptr);
}

/// Each thread needs its own alternate stack for SA_ONSTACK.
void useAlternateStack() {
  static thread_local char stack[64 * 1024];
  stack_t ss{};
  ss.ss_sp = stack;
  ss.ss_size = sizeof stack;
  sigaltstack(&ss, nullptr);
}
#else
void installCrashHandlers() {}
void useAlternateStack() {}
#endif

void *runThread(void *arg) {
  useAlternateStack();
  return runOnBigStack(arg);
}

void onLLVMFatalError(void *, const char *reason, bool) {
  std::cerr << "nnc: internal error: LLVM: " << reason << '\n' << kPleaseReport;
  std::_Exit(kInternalError);
}

} // namespace

int main(int argc, char **argv) {
  installCrashHandlers();
  useAlternateStack();
  llvm::install_fatal_error_handler(onLLVMFatalError);
  Run run;
  int exitCode = 0;
  if (!nnc::parseOptions(argc, argv, run.session.opts, exitCode))
    return exitCode;
  // Training prints progress as it goes: line-buffered also into a pipe or
  // a file (`> train.log`, `| tee`, a batch scheduler's log), where stdio
  // would otherwise hold it back in 4 KB blocks. Before any output.
  if (run.session.opts.command == "train")
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // The parser, AST builder and sema recurse over expressions; a 512 MiB
  // stack (reserved, touched only as needed) keeps very long formulas from
  // overflowing it. Nesting depth itself is limited by the parser.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t(512) << 20);
  pthread_t thread;
  if (pthread_create(&thread, &attr, runThread, &run) != 0) {
    runOnBigStack(&run);
    return run.exitCode;
  }
  pthread_join(thread, nullptr);
  return run.exitCode;
}
