//===- ASTBuilder.cpp - ANTLR parse tree to AST ---------------------------===//
//
// The only file that includes ANTLR-generated headers. ANTLR's console error
// listeners are replaced by one that reports through DiagnosticEngine, and
// any exception from the runtime is caught here.
//
//===----------------------------------------------------------------------===//
#include "frontend/AST.h"
#include "support/Suggest.h"

#include "NNLexer.h"
#include "NNParser.h"
#include "antlr4-runtime.h"

#include <algorithm>
#include <cstdio>
#include <cerrno>
#include <cstdlib>

namespace nnc {
namespace {

SourceLoc locOf(antlr4::Token *token) {
  if (!token)
    return {};
  return {static_cast<int>(token->getLine()),
          static_cast<int>(token->getCharPositionInLine()) + 1};
}

SourceLoc locOf(antlr4::ParserRuleContext *ctx) { return locOf(ctx->getStart()); }

SourceLoc locOf(antlr4::tree::TerminalNode *node) {
  return node ? locOf(node->getSymbol()) : SourceLoc{};
}

/// ANTLR's token names and sets in words: `{'(', ID, INT}` -> "an expression".
std::string describeExpected(std::string set) {
  if (set.size() > 1 && set.front() == '{')
    set = set.substr(1, set.size() - 2);
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= set.size()) {
    size_t comma = set.find(", ", start);
    std::string item = set.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty())
      items.push_back(item);
    if (comma == std::string::npos)
      break;
    start = comma + 2;
  }
  bool hasId = std::count(items.begin(), items.end(), "ID");
  bool hasNumber = std::count(items.begin(), items.end(), "NUMBER");
  if (hasId && hasNumber && std::count(items.begin(), items.end(), "'('"))
    return "an expression";
  if (items.size() > 6)
    return std::count(items.begin(), items.end(), "'return'") ? "a declaration or 'return'"
                                                               : "a declaration";
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string word = items[i] == "ID" ? "a name" : items[i] == "INT" ? "a whole number"
                       : items[i] == "NUMBER" ? "a number" : items[i] == "<EOF>" ? "end of file"
                       : items[i];
    out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + word;
  }
  return out;
}

std::string quoteToken(antlr4::Token *t) {
  if (!t || t->getType() == antlr4::Token::EOF)
    return "end of file";
  return "'" + t->getText() + "'";
}

/// The position just after a token: where a missing ')' belongs.
SourceLoc endOf(antlr4::Token *t) {
  return {static_cast<int>(t->getLine()),
          static_cast<int>(t->getCharPositionInLine() + t->getText().size()) + 1};
}

const std::vector<std::string> kKeywords = {"model", "input", "target", "param", "const",
                                            "output", "loss", "metric", "init", "def",
                                            "optimizer", "data", "train", "return"};

class SyntaxErrorListener : public antlr4::BaseErrorListener {
public:
  explicit SyntaxErrorListener(DiagnosticEngine &diag) : diag_(diag) {}

  void syntaxError(antlr4::Recognizer *recognizer, antlr4::Token *offending, size_t line,
                   size_t col, const std::string &msg, std::exception_ptr) override {
    SourceLoc loc{static_cast<int>(line), static_cast<int>(col) + 1};
    // Only the first error: later ones are usually echoes of it.
    if (diag_.errorCount() > 0)
      return;
    if (offending && offending->getType() == NNLexer::ERRCHAR) {
      diag_.error(loc, "unexpected character '" + offending->getText() + "'");
      return;
    }
    auto *parser = dynamic_cast<antlr4::Parser *>(recognizer);
    antlr4::Token *previous = parser ? parser->getTokenStream()->LT(-1) : nullptr;
    if (offending && offending->getType() == antlr4::Token::EOF && !previous) {
      // At the top, where the model should begin.
      diag_.error({1, 1}, "no model in the file; a model starts with 'model NAME'");
      return;
    }
    // `inptu x: ...` parses as the start of `inptu = ...`: say which
    // keyword was meant.
    if (parser && previous && previous->getType() == NNLexer::ID &&
        dynamic_cast<NNParser::LetDeclContext *>(parser->getContext()) &&
        parser->getContext()->getStart() == previous) {
      std::string keyword = closestName(previous->getText(), kKeywords);
      if (!keyword.empty()) {
        diag_.error(locOf(previous), "unknown keyword '" + previous->getText() +
                                         "'; did you mean '" + keyword + "'?");
        return;
      }
    }
    auto after = [&](const std::string &prefix) {
      return msg.rfind(prefix, 0) == 0 ? msg.substr(prefix.size()) : std::string();
    };
    std::string expecting;
    size_t at = msg.find(" expecting ");
    if (at != std::string::npos)
      expecting = describeExpected(msg.substr(at + 11));
    std::string text;
    if (msg.rfind("missing ", 0) == 0) {
      // "missing ')' at 'output'": put the caret where the ')' belongs.
      std::string what = msg.substr(8, msg.find(" at ") - 8);
      text = "expected " + describeExpected(what) + " before " + quoteToken(offending);
      if (previous)
        loc = endOf(previous);
    } else if (!after("mismatched input ").empty() || !after("extraneous input ").empty()) {
      text = "unexpected " + quoteToken(offending) + (expecting.empty() ? "" : "; expected " + expecting);
    } else if (!after("no viable alternative at input ").empty()) {
      text = "unexpected " + quoteToken(offending);
    } else {
      text = msg;
    }
    // At the end of the file, point just after the last token instead of at
    // an empty line.
    if (offending && offending->getType() == antlr4::Token::EOF && previous &&
        previous->getType() != antlr4::Token::EOF && msg.rfind("missing ", 0) != 0)
      loc = endOf(previous);
    diag_.error(loc, "syntax error: " + text);
  }

private:
  DiagnosticEngine &diag_;
};

/// Builds AST nodes from parse-tree contexts; one method per grammar rule.
class Builder {
public:
  // program : 'model' ID decl* EOF
  ModuleAST build(NNParser::ProgramContext *ctx) {
    ModuleAST module;
    module.name = ctx->ID()->getText();
    module.loc = locOf(ctx->ID());
    for (auto *d : ctx->decl())
      module.decls.push_back(decl(d));
    return module;
  }

private:
  // decl : one labelled alternative per declaration kind
  Decl decl(NNParser::DeclContext *ctx) {
    using K = Decl::Kind;
    if (auto *c = dynamic_cast<NNParser::InputDeclContext *>(ctx))
      return typed(K::Input, c, c->ID(), c->type());
    if (auto *c = dynamic_cast<NNParser::TargetDeclContext *>(ctx))
      return typed(K::Target, c, c->ID(), c->type());
    if (auto *c = dynamic_cast<NNParser::ParamDeclContext *>(ctx)) {
      Decl d = typed(K::Param, c, c->ID(), c->type());
      if (c->expr())
        d.value = expr(c->expr());
      for (auto *a : c->arg())
        d.entries.push_back(
            {a->argName() ? a->argName()->getText() : "", locOf(a), expr(a->expr())});
      return d;
    }
    if (auto *c = dynamic_cast<NNParser::MetricDeclContext *>(ctx)) {
      Decl d(K::Metric, locOf(c));
      if (c->ID()) {
        d.name = c->ID()->getText();
        d.nameLoc = locOf(c->ID());
      }
      d.value = expr(c->expr());
      return d;
    }
    if (auto *c = dynamic_cast<NNParser::InitDeclContext *>(ctx)) {
      Decl d(K::Init, locOf(c));
      d.value = expr(c->expr(0));
      if (c->ID())
        d.entries.push_back({c->ID()->getText(), locOf(c->ID()), expr(c->expr(1))});
      return d;
    }
    if (auto *c = dynamic_cast<NNParser::DefExprContext *>(ctx)) {
      Decl d = named(K::Def, c, c->ID());
      d.params = paramList(c->paramList());
      d.value = expr(c->expr());
      return d;
    }
    if (auto *c = dynamic_cast<NNParser::DefBlockContext *>(ctx)) {
      Decl d = named(K::Def, c, c->ID());
      d.params = paramList(c->paramList());
      for (auto *inner : c->decl())
        d.body.push_back(decl(inner));
      d.value = expr(c->expr());
      return d;
    }
    if (auto *c = dynamic_cast<NNParser::ConstDeclContext *>(ctx)) {
      Decl d = named(K::Const, c, c->ID());
      if (c->type())
        d.type = type(c->type());
      d.value = expr(c->expr());
      return d;
    }
    if (auto *c = dynamic_cast<NNParser::OutputDeclContext *>(ctx)) {
      Decl d = named(K::Output, c, c->ID());
      if (c->type()) // `output y: bool = ...`
        d.type = type(c->type());
      if (c->expr())
        d.value = expr(c->expr());
      return d;
    }
    if (auto *c = dynamic_cast<NNParser::LossDeclContext *>(ctx)) {
      Decl d(K::Loss, locOf(c));
      d.value = expr(c->expr());
      for (auto *a : c->arg())
        d.entries.push_back(
            {a->argName() ? a->argName()->getText() : "", locOf(a), expr(a->expr())});
      return d;
    }
    if (auto *c = dynamic_cast<NNParser::OptimizerDeclContext *>(ctx)) {
      Decl d = named(K::Optimizer, c, c->ID());
      if (c->argList())
        for (auto *a : c->argList()->arg())
          d.entries.push_back(
              {a->argName() ? a->argName()->getText() : "", locOf(a), expr(a->expr())});
      return d;
    }
    if (auto *c = dynamic_cast<NNParser::DataDeclContext *>(ctx)) {
      Decl d(K::Data, locOf(c));
      d.name = c->ID() ? c->ID()->getText() : "train";
      d.nameLoc = c->ID() ? locOf(c->ID()) : locOf(c);
      d.entries = entries(c->dataEntry());
      return d;
    }
    if (auto *c = dynamic_cast<NNParser::TrainDeclContext *>(ctx)) {
      Decl d(K::Train, locOf(c));
      d.entries = entries(c->dataEntry());
      return d;
    }
    auto *c = dynamic_cast<NNParser::LetDeclContext *>(ctx);
    Decl d = named(K::Let, c, c->ID());
    d.loc = d.nameLoc;
    d.value = expr(c->expr());
    return d;
  }

  Decl named(Decl::Kind kind, antlr4::ParserRuleContext *ctx,
             antlr4::tree::TerminalNode *id) {
    Decl d(kind, locOf(ctx));
    d.name = id->getText();
    d.nameLoc = locOf(id);
    return d;
  }

  Decl typed(Decl::Kind kind, antlr4::ParserRuleContext *ctx,
             antlr4::tree::TerminalNode *id, NNParser::TypeContext *t) {
    Decl d = named(kind, ctx, id);
    d.type = type(t);
    return d;
  }

  std::vector<std::string> paramList(NNParser::ParamListContext *ctx) {
    std::vector<std::string> names;
    if (ctx)
      for (auto *id : ctx->ID())
        names.push_back(id->getText());
    return names;
  }

  // type : ID ('[' dims ']')? | '[' dims ']' | ID '(' dim ')' ('[' dims ']')?
  TypeSpec type(NNParser::TypeContext *ctx) {
    TypeSpec t;
    t.dtype = ctx->ID() ? ctx->ID()->getText() : "f32";
    t.loc = locOf(ctx);
    if (ctx->classes) {
      std::string name;
      t.classes = size(ctx->classes, name);
      t.classesName = name;
      t.classesLoc = locOf(ctx->classes);
      if (t.classesName.empty())
        t.classes = std::max<int64_t>(t.classes, 0);
      else
        t.classes = 1; // resolved by sema
    }
    if (ctx->dims())
      for (auto *dim : ctx->dims()->dim()) {
        std::string name;
        t.dims.push_back(size(dim, name));
        t.dimNames.push_back(name);
        t.dimLocs.push_back(locOf(dim));
      }
    return t;
  }

  /// A size as written: the number (saturated on overflow; sema rejects
  /// absurd sizes), or 0 and the constant's name.
  int64_t size(NNParser::DimContext *dim, std::string &name) {
    if (dim->ID()) {
      name = dim->ID()->getText();
      return 0;
    }
    errno = 0;
    long long v = std::strtoll(dim->INT()->getText().c_str(), nullptr, 10);
    return errno ? INT64_MAX : v;
  }

  // dataEntry : ID ':' expr
  std::vector<KeyValue> entries(const std::vector<NNParser::DataEntryContext *> &list) {
    std::vector<KeyValue> result;
    for (auto *e : list)
      result.push_back({e->ID()->getText(), locOf(e->ID()), expr(e->expr())});
    return result;
  }

  ExprPtr expr(NNParser::ExprContext *ctx) {
    if (auto *c = dynamic_cast<NNParser::PrimaryExprContext *>(ctx))
      return primary(c->primary());
    if (auto *c = dynamic_cast<NNParser::PowExprContext *>(ctx))
      return binary("^", c->expr(0), c->expr(1), locOf(c->op));
    if (auto *c = dynamic_cast<NNParser::NegExprContext *>(ctx)) {
      auto e = std::make_unique<Expr>(Expr::Kind::Neg, locOf(c));
      e->operands.push_back(expr(c->expr()));
      return e;
    }
    if (auto *c = dynamic_cast<NNParser::MulExprContext *>(ctx))
      return binary(c->op->getText(), c->expr(0), c->expr(1), locOf(c->op));
    if (auto *c = dynamic_cast<NNParser::AddExprContext *>(ctx))
      return binary(c->op->getText(), c->expr(0), c->expr(1), locOf(c->op));
    if (auto *c = dynamic_cast<NNParser::CompareExprContext *>(ctx))
      return binary(c->op->getText(), c->expr(0), c->expr(1), locOf(c->op));
    // pipeExpr : expr '|>' ID ('(' argList? ')')?   ==>   ID(expr, args...)
    auto *c = dynamic_cast<NNParser::PipeExprContext *>(ctx);
    auto call = std::make_unique<Expr>(Expr::Kind::Call, locOf(c->ID()));
    call->name = c->ID()->getText();
    call->argLocs.push_back(locOf(c->expr()));
    call->operands.push_back(expr(c->expr()));
    call->argNames.push_back("");
    if (c->argList())
      addArgs(*call, c->argList());
    return call;
  }

  ExprPtr binary(const std::string &op, NNParser::ExprContext *lhs, NNParser::ExprContext *rhs,
                 SourceLoc loc) {
    auto e = std::make_unique<Expr>(Expr::Kind::Binary, loc);
    e->op = op;
    e->operands.push_back(expr(lhs));
    e->operands.push_back(expr(rhs));
    return e;
  }

  ExprPtr primary(NNParser::PrimaryContext *ctx) {
    if (auto *c = dynamic_cast<NNParser::NumberLitContext *>(ctx)) {
      auto e = std::make_unique<Expr>(Expr::Kind::Number, locOf(c));
      e->number = std::strtod(c->getText().c_str(), nullptr);
      return e;
    }
    if (auto *c = dynamic_cast<NNParser::CallExprContext *>(ctx)) {
      auto e = std::make_unique<Expr>(Expr::Kind::Call, locOf(c));
      e->name = c->ID()->getText();
      if (c->argList())
        addArgs(*e, c->argList());
      return e;
    }
    if (auto *c = dynamic_cast<NNParser::NameRefContext *>(ctx)) {
      auto e = std::make_unique<Expr>(Expr::Kind::Name, locOf(c));
      e->name = c->ID()->getText();
      return e;
    }
    if (auto *c = dynamic_cast<NNParser::QuotedNameContext *>(ctx)) {
      auto e = std::make_unique<Expr>(Expr::Kind::Name, locOf(c));
      std::string text = c->STRING()->getText();
      e->name = text.substr(1, text.size() - 2);
      e->quoted = true;
      return e;
    }
    if (auto *c = dynamic_cast<NNParser::ParenExprContext *>(ctx))
      return expr(c->expr());
    if (auto *c = dynamic_cast<NNParser::IndexExprContext *>(ctx)) {
      auto e = std::make_unique<Expr>(Expr::Kind::Index, locOf(c->getStart()));
      e->loc = locOf(dynamic_cast<antlr4::tree::TerminalNode *>(c->children.at(1))); // the [
      e->operands.push_back(primary(c->primary()));
      for (auto *item : c->indexItem()) {
        IndexItem it;
        it.loc = locOf(item);
        if (auto *point = dynamic_cast<NNParser::IndexPointContext *>(item)) {
          it.lo = expr(point->expr());
        } else {
          auto *range = dynamic_cast<NNParser::IndexRangeContext *>(item);
          it.range = true;
          if (range->lo)
            it.lo = expr(range->lo);
          if (range->hi)
            it.hi = expr(range->hi);
        }
        e->indices.push_back(std::move(it));
      }
      return e;
    }
    auto *c = dynamic_cast<NNParser::ArrayLitContext *>(ctx);
    auto e = std::make_unique<Expr>(Expr::Kind::Array, locOf(c));
    for (auto *item : c->expr())
      e->operands.push_back(expr(item));
    return e;
  }

  // argList : arg (',' arg)* ;  arg : (ID ':')? expr
  void addArgs(Expr &call, NNParser::ArgListContext *list) {
    for (auto *a : list->arg()) {
      call.argNames.push_back(a->argName() ? a->argName()->getText() : "");
      call.argLocs.push_back(locOf(a));
      call.operands.push_back(expr(a->expr()));
    }
  }
};

} // namespace

/// Rejects what ANTLR's recursive parser (and everything after it, which
/// recurses over the tree) should not be given: brackets nested more than
/// 256 deep, and expressions of more than 10,000 operators (a chain of '-'
/// or '^' nests one level per operator, and parsing time grows faster than
/// the length).
static void checkNesting(const SourceFile &file, DiagnosticEngine &diag) {
  const int kMaxDepth = 256;
  const int kMaxOperators = 10000;
  int depth = 0, line = 1, col = 0, operators = 0;
  bool comment = false;
  for (char c : file.text()) {
    ++col;
    if (c == '\n') {
      ++line;
      col = 0;
      comment = false;
      continue;
    }
    if (comment || c == '#') {
      comment = true;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') {
      if (++depth > kMaxDepth)
        diag.fatal({line, col}, "brackets nest more than " + std::to_string(kMaxDepth) +
                                    " levels deep");
    } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    // A separator ends the operand list of one expression (roughly: an
    // entry of a list or block, or the right side of a declaration).
    if (c == ',' || c == '=' || c == ':' || c == '{' || c == '}') {
      operators = 0;
    } else if (c == '+' || c == '-' || c == '*' || c == '/' || c == '@' || c == '^' ||
               c == '>' || c == '<' || c == '!') {
      if (++operators > kMaxOperators)
        diag.fatal({line, col}, "expression has more than " + std::to_string(kMaxOperators) +
                                    " operators; split it into named steps");
    }
  }
}

/// ANTLR decodes its input as UTF-8 and throws on anything else: reject bad
/// bytes first, at their position.
static void checkUtf8(const SourceFile &file, DiagnosticEngine &diag) {
  const std::string &t = file.text();
  int line = 1, col = 1;
  for (size_t i = 0; i < t.size();) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
    size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    bool ok = len > 0 && i + len <= t.size();
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(t[i + k]);
      unsigned char lo = 0x80, hi = 0xBF;
      if (k == 1 && c == 0xE0) lo = 0xA0;
      if (k == 1 && c == 0xED) hi = 0x9F;
      if (k == 1 && c == 0xF0) lo = 0x90;
      if (k == 1 && c == 0xF4) hi = 0x8F;
      ok = d >= lo && d <= hi;
    }
    if (!ok || c == 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      diag.fatal({line, col}, std::string(c == 0 ? "NUL byte" : "invalid UTF-8 byte ") +
                                  (c == 0 ? "" : hex) + " in the source");
    }
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    i += len;
  }
}

ModuleAST parseModule(const SourceFile &file, DiagnosticEngine &diag) {
  if (file.text().find_first_not_of(" \t\r\n") == std::string::npos)
    diag.fatal({}, "the file is empty; a model starts with 'model NAME'");
  checkUtf8(file, diag);
  checkNesting(file, diag);
  antlr4::ANTLRInputStream input;
  try {
    input.load(file.text());
  } catch (const std::exception &) {
    diag.fatal({1, 1}, "the source is not valid UTF-8");
  }
  NNLexer lexer(&input);
  antlr4::CommonTokenStream tokens(&lexer);
  NNParser parser(&tokens);
  SyntaxErrorListener listener(diag);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&listener);
  parser.removeErrorListeners();
  parser.addErrorListener(&listener);

  NNParser::ProgramContext *tree = nullptr;
  try {
    tree = parser.program();
  } catch (const std::exception &e) {
    diag.fatal({}, std::string("parser failure: ") + e.what());
  }
  diag.checkpoint();
  return Builder().build(tree);
}

} // namespace nnc
