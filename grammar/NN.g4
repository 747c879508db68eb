// NN.g4 - the nnc model language.
//
// A model is a list of declarations. Newlines are not significant: every
// declaration starts with a keyword or with `name =`, so none is ambiguous.
// Shapes are per sample; the batch dimension is implicit and leading.
grammar NN;

program
  : 'model' ID decl* EOF
  ;

decl
  : 'input' ID ':' type                                 # inputDecl
  | 'target' ID ':' type                                # targetDecl
  | 'param' ID ':' type ('=' expr)?                     # paramDecl
  | 'const' ID (':' type)? '=' expr                     # constDecl
  | 'output' ID ('=' expr)?                             # outputDecl
  | 'loss' expr                                         # lossDecl
  | 'optimizer' ID '(' argList? ')'                     # optimizerDecl
  | 'data' ID? '{' dataEntry (',' dataEntry)* ','? '}'  # dataDecl
  | 'train' '{' dataEntry (',' dataEntry)* ','? '}'     # trainDecl
  | ID '=' expr                                         # letDecl
  ;

type
  : ID ('[' INT (',' INT)* ']')?
  ;

dataEntry
  : ID ':' expr
  ;

// Earlier alternatives bind tighter. `-x^2` is `-(x^2)` as in Python.
expr
  : primary                                     # primaryExpr
  | <assoc=right> expr op='^' expr              # powExpr
  | '-' expr                                    # negExpr
  | expr op=('*' | '/' | '@') expr              # mulExpr
  | expr op=('+' | '-') expr                    # addExpr
  | expr '|>' ID ('(' argList? ')')?            # pipeExpr
  ;

primary
  : (NUMBER | INT)                              # numberLit
  | ID '(' argList? ')'                         # callExpr
  | ID                                          # nameRef
  | '(' expr ')'                                # parenExpr
  | '[' expr (',' expr)* ','? ']'               # arrayLit
  ;

argList
  : arg (',' arg)*
  ;

arg
  : (ID ':')? expr
  ;

ID      : [a-zA-Z_] [a-zA-Z_0-9]* ;
INT     : [0-9]+ ;
NUMBER  : [0-9]+ '.' [0-9]* EXP? | '.' [0-9]+ EXP? | [0-9]+ EXP ;
fragment EXP : [eE] [+-]? [0-9]+ ;
COMMENT : '#' ~[\r\n]* -> skip ;
WS      : [ \t\r\n]+ -> skip ;
// Any other character becomes a token the parser rejects with a clear error.
ERRCHAR : . ;
