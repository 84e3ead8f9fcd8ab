#!/usr/bin/python3
"""The referee for notebooks ocs reads and writes: Jupyter's own nbformat.

Usage: nbcheck.py FILE...   (reads file names from stdin when none are given)
Prints one JSON object per file, in order:
  {"file": ..., "valid": bool, "error": str, "relayout_equal": bool}
valid: nbformat.validate accepts it (schema of its own minor, no repair).
relayout_equal: nbformat's writer, given what it read, produces the same bytes
(list-form multiline strings), i.e. the file has Jupyter's exact layout."""
import json
import sys
import warnings

import nbformat
from nbformat.validator import ValidationError


def check(path):
    out = {"file": path, "valid": False, "error": "", "relayout_equal": False}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        nb = json.loads(text)
        if not isinstance(nb, dict):
            raise ValidationError("not a JSON object")
        nbformat.validate(nb, repair_duplicate_cell_ids=False, strip_invalid_metadata=False)
        out["valid"] = True
    except Exception as e:  # any failure is "invalid" for the referee
        out["error"] = f"{type(e).__name__}: {e}"[:500]
        return out
    try:
        node = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        again = nbformat.writes(node, version=nbformat.NO_CONVERT)
        if not again.endswith("\n"):
            again += "\n"
        out["relayout_equal"] = again == text
    except Exception as e:
        out["error"] = f"relayout: {type(e).__name__}: {e}"[:500]
    return out


warnings.simplefilter("ignore")
files = sys.argv[1:] or [line.rstrip("\n") for line in sys.stdin if line.strip()]
for path in files:
    print(json.dumps(check(path)), flush=True)
