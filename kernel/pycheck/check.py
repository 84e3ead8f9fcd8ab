# Reads a JSON list of cell sources on stdin and writes, for each, null or
# the syntax error it has ({"line", "column", "msg"}), as IPython would
# see it: transformed by IPython's TransformerManager, then compiled.
import json
import sys
import warnings

from IPython.core.inputtransformer2 import TransformerManager

warnings.simplefilter("ignore")
manager = TransformerManager()
results = []
for source in json.load(sys.stdin):
    try:
        code = manager.transform_cell(source)
        compile(code, "<cell>", "exec", dont_inherit=True)
        results.append(None)
    except SyntaxError as e:
        results.append({"line": e.lineno or 0, "column": e.offset or 0, "msg": e.msg or str(e)})
    except Exception as e:  # a transformation that fails is a problem of the cell too
        results.append({"line": 0, "column": 0, "msg": "%s: %s" % (type(e).__name__, e)})
json.dump(results, sys.stdout)
