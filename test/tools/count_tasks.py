"""For each --emit=llvm module named, prints how many task functions it has
and how many of them have a body of their own: a task whose body is one
tail call to another task is a copy that MergeFunctions folded
(codegen/Outline.cpp)."""
import re
import sys

THUNK = re.compile(r'define[^\n]*\n  tail call void @[\w.]+\.task[\w.]*\([^\n]*\n  ret void\n}\n$')
for path in sys.argv[1:]:
    text = open(path).read()
    functions = re.findall(r'(^define [^\n]*@([\w.]+)\(.*?\n}\n)', text, re.S | re.M)
    tasks = [body for body, name in functions if '.task' in name]
    own = [body for body in tasks if not THUNK.match(body)]
    print(f"tasks: {len(tasks)}, with a body of their own: {len(own)}")
