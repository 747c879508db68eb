"""Compares the probabilities classify printed for its first image with
`nnc predict`'s JSON output for the same image: prints the largest difference
and "same" when it is below 1e-5.
usage: compare_probs.py CLASSIFY_OUTPUT PREDICT_JSON"""
import json
import sys

line = open(sys.argv[1]).readline()
aot = [float(v) for v in line.split("probabilities")[1].split()]
jit = json.load(open(sys.argv[2]))["probs"][0]
diff = max(abs(a - b) for a, b in zip(aot, jit))
print("%d classes, max difference %.2e: %s" % (len(aot), diff, "same" if len(aot) == len(jit) and diff < 1e-5 else "DIFFERENT"))
