//===- AST.h - the abstract syntax tree of a .nn model ---------*- C++ -*-===//
//
// Plain structs built by ASTBuilder from ANTLR's parse tree. Nothing after
// the AST knows ANTLR exists. The pipe `x |> f(a)` is already desugared here
// into the call `f(x, a)`.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "support/Diagnostics.h"

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace nnc {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// One item of `x[...]`: a point `i` (drops the axis) or a range `lo:hi`.
struct IndexItem {
  bool range = false;
  std::unique_ptr<Expr> lo, hi; // either may be null in a range
  SourceLoc loc;
};

struct Expr {
  enum class Kind { Number, Name, Call, Neg, Binary, Array, Index };
  Kind kind;
  SourceLoc loc;
  double number = 0;           // Number
  std::string name;            // Name; callee of Call
  bool quoted = false;         // Name written "in quotes" (only `name:` takes one)
  std::string op;              // Binary: + - * / @ ^ < <= > >= == !=
  std::vector<ExprPtr> operands;     // Neg: 1, Binary: 2, Array/Call: n, Index: base
  std::vector<IndexItem> indices;    // Index
  std::vector<std::string> argNames; // Call: "" for positional arguments
  std::vector<SourceLoc> argLocs;    // Call: where each argument starts

  Expr(Kind kind, SourceLoc loc) : kind(kind), loc(loc) {}
  /// The named argument `key` of a call, or nullptr.
  const Expr *namedArg(const std::string &key) const;
};

/// `f64[2, 2]`, `class(10)` or `class(V)[T]` (classes > 0); dtype empty when
/// no type was written. A size may be a constant's name (`[d, 4]`): sema
/// resolves it, `dims` holds 0 there until then.
struct TypeSpec {
  std::string dtype;
  std::vector<int64_t> dims;
  std::vector<std::string> dimNames; // per dim: "" for a number
  std::vector<SourceLoc> dimLocs; // where each dimension is written
  int64_t classes = 0;
  std::string classesName; // class(V): the constant giving the count
  SourceLoc classesLoc;
  SourceLoc loc;
  bool present() const { return !dtype.empty(); }
};

/// One `key: value` entry of a data/train block or an optimizer argument.
struct KeyValue {
  std::string key;
  SourceLoc loc;
  ExprPtr value;
};

struct Decl {
  enum class Kind { Input, Target, Param, Const, Output, Loss, Metric, Init,
                    Def, Optimizer, Data, Train, Let };
  Kind kind;
  SourceLoc loc;      // the keyword (or the name of a Let)
  std::string name;   // value name; optimizer name; data block name
  SourceLoc nameLoc;
  TypeSpec type;
  ExprPtr value;      // may be null (param without init, `output o`); Def: result
  std::vector<KeyValue> entries; // Optimizer/Param args, Data/Train entries, Init's bias
  std::vector<std::string> params; // Def
  std::vector<Decl> body;          // Def with a block

  Decl(Kind kind, SourceLoc loc) : kind(kind), loc(loc) {}
};

struct ModuleAST {
  std::string name;
  SourceLoc loc;
  std::vector<Decl> decls;
};

/// Parses `file` into an AST; syntax errors are reported to `diag` and
/// CompileError is thrown when there was any.
ModuleAST parseModule(const SourceFile &file, DiagnosticEngine &diag);

/// Prints the AST as an indented tree (`--emit=ast`).
void printAST(const ModuleAST &module, std::ostream &os);

} // namespace nnc
