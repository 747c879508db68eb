//===- DataEval.h - evaluating constant expressions -------------*- C++ -*-===//
//
// Literal arrays, untyped constants and `data { }` blocks are evaluated at
// compile time to plain arrays; this is constant folding of declarations, not
// a path for model math (that always goes through the IR and codegen).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/AST.h"

#include <map>
#include <string>
#include <vector>

namespace nnc {

/// A compile-time array: row-major data with its dims ([] = scalar).
struct Literal {
  std::vector<int64_t> dims;
  std::vector<double> data;
  bool isScalar() const { return dims.empty(); }
};

/// Elementwise math functions known to both the evaluator and sema.
bool isUnaryFunction(const std::string &name);
double applyUnaryFunction(const std::string &name, double x);

/// Evaluates `e` with names looked up in `env`. Supports numbers, nested
/// arrays, `pi`, unary math functions, + - * / ^ with numpy broadcasting,
/// linspace(start, stop, count). Reports errors and throws CompileError.
Literal evalLiteral(const Expr &e, const std::map<std::string, Literal> &env,
                    DiagnosticEngine &diag);

/// True when `e` can be evaluated by evalLiteral with names from `env`.
bool isLiteralExpr(const Expr &e, const std::map<std::string, Literal> &env);

} // namespace nnc
