//===- ASTPrinter.cpp - `--emit=ast` --------------------------------------===//
#include "frontend/AST.h"

#include <sstream>

namespace nnc {

const Expr *Expr::namedArg(const std::string &key) const {
  for (size_t i = 0; i < argNames.size(); ++i)
    if (argNames[i] == key)
      return operands[i].get();
  return nullptr;
}

namespace {

std::string formatNumber(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

void printExpr(const Expr &e, std::ostream &os, int indent) {
  std::string pad(indent * 2, ' ');
  os << pad;
  switch (e.kind) {
  case Expr::Kind::Number:
    os << "Number " << formatNumber(e.number);
    break;
  case Expr::Kind::Name:
    os << "Name " << e.name;
    break;
  case Expr::Kind::Call:
    os << "Call " << e.name;
    break;
  case Expr::Kind::Neg:
    os << "Neg";
    break;
  case Expr::Kind::Binary:
    os << "Binary '" << e.op << "'";
    break;
  case Expr::Kind::Array:
    os << "Array [" << e.operands.size() << "]";
    break;
  case Expr::Kind::Index:
    os << "Index [" << e.indices.size() << "]";
    break;
  }
  os << " @" << e.loc.line << ':' << e.loc.col << '\n';
  for (size_t i = 0; i < e.operands.size(); ++i) {
    if (e.kind == Expr::Kind::Call && !e.argNames[i].empty())
      os << pad << "  " << e.argNames[i] << ":\n";
    printExpr(*e.operands[i], os, indent + 1);
  }
  for (const IndexItem &item : e.indices) {
    os << pad << "  " << (item.range ? "range" : "point") << ":\n";
    if (item.lo)
      printExpr(*item.lo, os, indent + 2);
    if (item.hi) {
      os << pad << "    to:\n";
      printExpr(*item.hi, os, indent + 2);
    }
  }
}

const char *kindName(Decl::Kind k) {
  switch (k) {
  case Decl::Kind::Input: return "Input";
  case Decl::Kind::Target: return "Target";
  case Decl::Kind::Param: return "Param";
  case Decl::Kind::Const: return "Const";
  case Decl::Kind::Output: return "Output";
  case Decl::Kind::Loss: return "Loss";
  case Decl::Kind::Metric: return "Metric";
  case Decl::Kind::Init: return "Init";
  case Decl::Kind::Def: return "Def";
  case Decl::Kind::Optimizer: return "Optimizer";
  case Decl::Kind::Data: return "Data";
  case Decl::Kind::Train: return "Train";
  case Decl::Kind::Let: return "Let";
  }
  return "?";
}

} // namespace

static void printDecls(const std::vector<Decl> &decls, std::ostream &os, int indent);

void printAST(const ModuleAST &module, std::ostream &os) {
  os << "Model " << module.name << '\n';
  printDecls(module.decls, os, 1);
}

static void printDecls(const std::vector<Decl> &decls, std::ostream &os, int indent) {
  std::string pad(indent * 2, ' ');
  for (const Decl &d : decls) {
    os << pad << kindName(d.kind);
    if (!d.name.empty())
      os << ' ' << d.name;
    if (d.type.present()) {
      os << " : " << d.type.dtype;
      if (d.type.classes)
        os << '(' << (d.type.classesName.empty() ? std::to_string(d.type.classes)
                                                 : d.type.classesName) << ')';
      if (!d.type.dims.empty()) {
        os << '[';
        for (size_t i = 0; i < d.type.dims.size(); ++i) {
          os << (i ? ", " : "");
          if (i < d.type.dimNames.size() && !d.type.dimNames[i].empty())
            os << d.type.dimNames[i];
          else
            os << d.type.dims[i];
        }
        os << ']';
      }
    }
    if (d.kind == Decl::Kind::Def) {
      os << '(';
      for (size_t i = 0; i < d.params.size(); ++i)
        os << (i ? ", " : "") << d.params[i];
      os << ')';
    }
    os << " @" << d.loc.line << ':' << d.loc.col << '\n';
    printDecls(d.body, os, indent + 1);
    if (d.value)
      printExpr(*d.value, os, indent + 1);
    for (const KeyValue &e : d.entries) {
      os << pad << "  " << (e.key.empty() ? "_" : e.key) << ":\n";
      printExpr(*e.value, os, indent + 2);
    }
  }
}

} // namespace nnc
