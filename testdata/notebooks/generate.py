#!/usr/bin/python3
"""Writes the round-trip corpus with Jupyter's own writer (Debian's
python3-nbformat), so every file here is byte for byte what Jupyter saves.
Run from this directory: /usr/bin/python3 generate.py"""
import base64
import nbformat
from nbformat import v4

PNG = base64.b64encode(bytes(range(256)) * 3).decode() + "\n"


def save(nb, name, split_lines=True):
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT, split_lines=split_lines)
    nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    with open(name, "w", encoding="utf-8") as f:
        f.write(text)
        if not text.endswith("\n"):
            f.write("\n")


def ids(nb, prefix):
    for i, c in enumerate(nb.cells):
        c["id"] = f"{prefix}-{i:02d}"


def all_types():
    nb = v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "ocs-go", "display_name": "Go (ocs)", "language": "go"},
        "language_info": {"name": "go", "file_extension": ".go"},
        "lc_notebook_meme": {"current": "6a1c-4d2e", "lc_server_signature": {"history": []}},
        "toc": {"base_numbering": 1, "nav_menu": {}, "number_sections": True, "toc_window_display": False},
        "vcp": {"ratio": 0.1, "tiny": 1e-05, "huge": 1e16, "whole": 123.0, "negzero": -0.0, "big": 12345678901234567890},
    }
    md = v4.new_markdown_cell("# Moodle 環境の構築\n\nこのノートブックは **VC ノード** を起動します。\n\n![diagram](attachment:diagram.png)")
    md.attachments = {"diagram.png": {"image/png": PNG}}
    md.metadata = {"heading_collapsed": True, "lc_cell_meme": {"current": "a-1", "next": "a-2", "previous": None}}
    code1 = v4.new_code_cell("ugroup_name := \"moodle\" // unit group\nprintln(ugroup_name)", execution_count=1)
    code1.metadata = {"tags": ["parameters", "vcp:parameters"], "run_through_control": {"frozen": True}, "pinned_outputs": [], "lc_wrapper": {}}
    code1.outputs = [
        v4.new_output("stream", name="stdout", text="moodle\n"),
        v4.new_output("stream", name="stderr", text="警告: テスト\nsecond line\n"),
    ]
    code2 = v4.new_code_cell("ug.DFNodes()", execution_count=2)
    code2.metadata = {"scrolled": "auto", "collapsed": False, "execution": {"iopub.status.busy": "2026-11-25T10:00:00.000001Z", "shell.execute_reply": "2026-11-25T10:00:01.5Z"}}
    code2.outputs = [
        v4.new_output("display_data", data={"text/html": "<table>\n<tr><td>ノード</td></tr>\n</table>", "text/plain": "node  state\nn1    RUNNING"}, metadata={"isolated": True}),
        v4.new_output("display_data", data={"image/png": PNG, "application/json": {"nodes": [1, 2.5, None, True, "x"]}, "application/vnd.custom+json": [1, {"a": {}}]}, metadata={"image/png": {"width": 640}, "custom": {"vcp:origin": "sdk"}}),
        v4.new_output("execute_result", data={"text/plain": "3"}, execution_count=2, metadata={}),
    ]
    code3 = v4.new_code_cell("!ping -c 1 {addr}", execution_count=3)
    code3.metadata = {"tags": ["raises-exception"]}
    code3.outputs = [v4.new_output("error", ename="ShellError", evalue="command exited with status 1", traceback=["\u001b[31mShellError\u001b[0m: ping -c 1 127.0.0.9", "  at cell line 1"])]
    never = v4.new_code_cell("// not run yet")
    raw = v4.new_raw_cell("raw \\ text with \"quotes\" and\ttabs")
    raw.metadata = {"format": "text/x-rst", "name": "raw-one"}
    raw.attachments = {}
    nb.cells = [md, code1, code2, code3, never, raw]
    ids(nb, "all")
    save(nb, "v4.5-all-types.ipynb")


def escapes():
    nb = v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "ocs-go", "display_name": "Go (ocs)"}}
    text = "ctl:\u0001\u0007\b\f\u001f del:\u007f ls:\u2028 ps:\u2029 nel:\u0085 vt:\u000b emoji:🚀 slash:/ back:\\ quote:\" cr:\r crlf:\r\n end"
    c = v4.new_code_cell(text, execution_count=None)
    c.outputs = [v4.new_output("stream", name="stdout", text=text + "\n")]
    nb.cells = [c, v4.new_markdown_cell("")]
    ids(nb, "esc")
    save(nb, "v4.5-escapes.ipynb")


def string_sources():
    nb = v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "ocs-go", "display_name": "Go (ocs)"}}
    c = v4.new_code_cell("x := 1\nx", execution_count=4)
    c.outputs = [
        v4.new_output("stream", name="stdout", text="one\ntwo\n"),
        v4.new_output("execute_result", data={"text/plain": "1\n2"}, execution_count=4),
    ]
    nb.cells = [v4.new_markdown_cell("## 文字列のソース\nsingle string form"), c]
    ids(nb, "str")
    save(nb, "v4.5-string-sources.ipynb", split_lines=False)


def old_minor(minor, name, with_execution=False):
    nb = v4.new_notebook()
    nb.nbformat_minor = minor
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "version": "3.8.6", "codemirror_mode": {"name": "ipython", "version": 3}},
    }
    if minor >= 2:
        nb.metadata["title"] = "OpenHPC の構築"
    md = v4.new_markdown_cell("# About: 計算ノードの追加\n\n---\n\n説明文。")
    md.metadata = {"hidden": True, "lc_cell_meme": {"current": "m-1", "history": [{"current": "m-0"}]}}
    params = v4.new_code_cell("ugroup_name = ")
    params.metadata = {"tags": ["vcp:parameters", "vcp:skip"], "hidden": True}
    shell = v4.new_code_cell("!ansible {ugroup_name} -m ping\n!ansible {target_hub} -b -m file -a \\\n    'path={{{{base_dir}}}}/metadata state=directory'")
    shell.metadata = {"tags": ["vcp:rewrite:vcpsdk", "vcp:wait:180"], "scrolled": True}
    ran = v4.new_code_cell("print(1)", execution_count=7)
    ran.outputs = [v4.new_output("stream", name="stdout", text="1\n")]
    if with_execution:
        ran.metadata = {"execution": {"iopub.execute_input": "2026-01-01T00:00:00.000000Z"}, "collapsed": True}
    nb.cells = [md, params, shell, ran]
    for c in nb.cells:
        c.pop("id", None)
    save(nb, name)


def large_output():
    nb = v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "ocs-go", "display_name": "Go (ocs)", "language": "go"}}
    lines = "".join(f"line {i:06d} ログ出力 {'x' * 40}\n" for i in range(20000))
    c = v4.new_code_cell("for i := 0; i < 20000; i++ { fmt.Printf(\"line %06d\\n\", i) }", execution_count=1)
    c.outputs = [v4.new_output("stream", name="stdout", text=lines)]
    nb.cells = [c]
    ids(nb, "big")
    save(nb, "v4.5-large-output.ipynb")


all_types()
escapes()
string_sources()
old_minor(0, "v4.0-minimal.ipynb")
old_minor(2, "v4.2-ocs-style.ipynb")
old_minor(4, "v4.4-execution.ipynb", with_execution=True)
large_output()
