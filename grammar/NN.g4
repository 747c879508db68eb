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
  | 'param' ID ':' type ('=' expr)? (',' arg)*          # paramDecl
  | 'const' ID (':' type)? '=' expr                     # constDecl
  | 'output' ID (':' type)? ('=' expr)?                  # outputDecl
  | 'loss' expr (',' arg)*                              # lossDecl
  | 'metric' (ID '=')? expr                             # metricDecl
  | 'init' expr (',' ID ':'? expr)?                     # initDecl
  | 'def' ID '(' paramList? ')' '=' expr                # defExpr
  | 'def' ID '(' paramList? ')' '{' decl* 'return' expr '}'  # defBlock
  | 'optimizer' ID '(' argList? ')'                     # optimizerDecl
  | 'data' ID? '{' dataEntry (',' dataEntry)* ','? '}'  # dataDecl
  | 'train' '{' dataEntry (',' dataEntry)* ','? '}'     # trainDecl
  | ID '=' expr                                         # letDecl
  ;

type
  : ID ('[' dims ']')?
  | '[' dims ']'                   // f32, the default element type
  | ID '(' classes=dim ')' ('[' dims ']')?  // class(10), class(V)[T]: class indices
  ;

dims
  : dim (',' dim)*
  ;

// A size: a number, or the name of a constant (a def's number argument).
dim
  : INT | ID
  ;

paramList
  : ID (',' ID)*
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
  | expr op=('<' | '<=' | '>' | '>=' | '==' | '!=') expr  # compareExpr
  | expr '|>' ID ('(' argList? ')')?            # pipeExpr
  ;

// x[1], x[0:2], x[:, -1]: integer constants; an index drops its axis.
indexItem
  : expr                                        # indexPoint
  | lo=expr? ':' hi=expr?                       # indexRange
  ;

primary
  : (NUMBER | INT)                              # numberLit
  | ID '(' argList? ')'                         # callExpr
  | ID                                          # nameRef
  | STRING                                      # quotedName
  | '(' expr ')'                                # parenExpr
  | '[' expr (',' expr)* ','? ']'               # arrayLit
  | primary '[' indexItem (',' indexItem)* ']'  # indexExpr
  ;

argList
  : arg (',' arg)*
  ;

arg
  : (argName ':')? expr
  ;

// Keywords may name arguments: dense(x, 10, init: zeros()).
argName
  : ID | 'init' | 'input' | 'target' | 'param' | 'const' | 'output' | 'loss'
  | 'metric' | 'def' | 'optimizer' | 'data' | 'train' | 'model' | 'return'
  ;

ID      : [a-zA-Z_] [a-zA-Z_0-9]* ;
// A quoted name: only a layer's or a parameter's `name:` (an imported
// model's "layer1.0.conv1"); no escapes, no line breaks.
STRING  : '"' ~["\r\n]* '"' ;
INT     : [0-9]+ ;
NUMBER  : [0-9]+ '.' [0-9]* EXP? | '.' [0-9]+ EXP? | [0-9]+ EXP ;
fragment EXP : [eE] [+-]? [0-9]+ ;
COMMENT : '#' ~[\r\n]* -> skip ;
WS      : [ \t\r\n]+ -> skip ;
// Any other character becomes a token the parser rejects with a clear error.
ERRCHAR : . ;
