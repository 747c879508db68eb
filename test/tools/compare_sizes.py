#!/usr/bin/env python3
"""Prints the line counts of two files and whether they differ by at most
--within lines (scan_code_size.test: code size must not grow with T)."""
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("first")
parser.add_argument("second")
parser.add_argument("--within", type=int, required=True)
args = parser.parse_args()
counts = [sum(1 for _ in open(path)) for path in (args.first, args.second)]
print(f"lines: {counts[0]} and {counts[1]}")
print("same size" if abs(counts[0] - counts[1]) <= args.within else "sizes differ")
