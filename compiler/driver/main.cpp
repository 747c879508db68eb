//===- main.cpp - the nnc command-line driver -----------------------------===//
#include "driver/Session.h"

#include <exception>
#include <iostream>
#include <pthread.h>

namespace {

struct Run {
  nnc::Session session;
  int exitCode = 0;
};

void *runOnBigStack(void *arg) {
  Run &run = *static_cast<Run *>(arg);
  try {
    run.exitCode = nnc::runCommand(run.session);
  } catch (const std::exception &e) {
    // A bug in nnc, not in the user's model: say so briefly, no stack dump.
    std::cerr << "nnc: internal error: " << e.what()
              << "\nplease report this with the model that triggered it\n";
    run.exitCode = 3;
  }
  return nullptr;
}

} // namespace

int main(int argc, char **argv) {
  Run run;
  int exitCode = 0;
  if (!nnc::parseOptions(argc, argv, run.session.opts, exitCode))
    return exitCode;
  // The parser, AST builder and sema recurse over expressions; a 512 MiB
  // stack (reserved, touched only as needed) keeps very long formulas from
  // overflowing it. Nesting depth itself is limited by the parser.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t(512) << 20);
  pthread_t thread;
  if (pthread_create(&thread, &attr, runOnBigStack, &run) != 0) {
    runOnBigStack(&run);
    return run.exitCode;
  }
  pthread_join(thread, nullptr);
  return run.exitCode;
}
