//===- main.cpp - the nnc command-line driver -----------------------------===//
#include "driver/Session.h"

#include <exception>
#include <iostream>

int main(int argc, char **argv) {
  nnc::Session session;
  int exitCode = 0;
  if (!nnc::parseOptions(argc, argv, session.opts, exitCode))
    return exitCode;
  try {
    return nnc::runCommand(session);
  } catch (const std::exception &e) {
    // A bug in nnc, not in the user's model: say so briefly, no stack dump.
    std::cerr << "nnc: internal error: " << e.what()
              << "\nplease report this with the model that triggered it\n";
    return 3;
  }
}
