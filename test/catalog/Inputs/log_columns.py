#!/usr/bin/env python3
"""Prints columns of an `nnc train --log FILE.csv` as JSON for json_close.py.

usage: log_columns.py FILE.csv COLUMN...
Each column becomes a list of its non-empty cells, in row order, so
test_loss gives the evaluations only: {"lr": [...], "test_loss": [...]}.
"""
import csv
import json
import sys

rows = list(csv.DictReader(open(sys.argv[1])))
print(json.dumps({c: [float(r[c]) for r in rows if r[c] != ""] for c in sys.argv[2:]}))
