"""Writes testdata/ocs-like: a small tree shaped like the public
ocs-templates repository (numbered notebooks, README notebooks, sub-folders,
Japanese headings, python3 kernelspec, nbformat 4.2 without cell ids).
The text is written for these tests. Run: python3 generate.py"""
import json, os, shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ocs-like")
PY = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
      "language_info": {"name": "python", "version": "3.10.4"}}
GO = {"kernelspec": {"display_name": "Go (ocs)", "language": "go", "name": "ocs-go"}}

def lines(s):
    out = s.split("\n")
    return [l + "\n" for l in out[:-1]] + ([out[-1]] if out[-1] else [])

def md(s):
    return {"cell_type": "markdown", "metadata": {}, "source": lines(s)}

def code(s, tags=None):
    meta = {"tags": tags} if tags else {}
    return {"cell_type": "code", "execution_count": None, "metadata": meta, "outputs": [], "source": lines(s)}

def write(path, cells, meta=PY):
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    nb = {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 2}
    with open(full, "w", encoding="utf-8") as f:
        json.dump(nb, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")

def text(path, s):
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as f:
        f.write(s)

shutil.rmtree(ROOT, ignore_errors=True)
text("README.md", "# テスト用テンプレート集\n\nノートブックではないファイルは無視される。\n")

write("Moodle-Mini/000-README.ipynb", [
    md("# 小さなMoodle環境の構築\n\nこのテンプレートは、学習管理システム **Moodle** を一台のVCノードに構築する手順をまとめたものです。\n\n## 構成\n\n図は省略します。"),
    md("## ノートブックの一覧\n\n1. パラメータを設定する\n2. Moodleを起動する"),
    code("from nb_utils import setup_nb_workdir\nsetup_nb_workdir('work')"),
])
write("Moodle-Mini/notebooks/011-パラメータの設定.ipynb", [
    md("# パラメータの設定\n\nVCノードを作成するためのパラメータを設定します。"),
    md("## UnitGroup名\n\n<a id='ugroup'></a>利用者ごとに異なる名前を指定してください。"),
    code("ugroup_name = ", ["vcp:parameters", "vcp:skip"]),
    md("## VCノードの作成"),
    code("!ansible -m ping all"),
])
write("Moodle-Mini/notebooks/021-Moodleの起動.ipynb", [
    md("# Moodleコンテナの起動\n\nコンテナを起動して、HTTPで接続できることを確かめます。"),
    md("## 前提条件\n\n「011-パラメータの設定.ipynb」を実行しておくこと。"),
    md("### 起動の確認"),
])
write("Moodle-Mini/notebooks/911-環境の停止.ipynb", [
    md("# 環境の停止\n\nVCノードを停止します。"),
])
text("Moodle-Mini/group_vars/all.yml", "moodle_version: '4.1'\n")
text("Moodle-Mini/scripts/group.py", "def load_group_vars(name):\n    pass\n")

write("HPC-Learning/1.learning_system/1010-学習システムの構築.ipynb", [
    md("# 学習システムの構築\n\nGPUノードで手書き数字の認識モデルを学習させます。"),
    md("## GPUノードの起動"),
])
write("HPC-Learning/1.learning_system/1911-学習システムの停止.ipynb", [md("# 学習システムの停止")])
write("HPC-Learning/2.recognition_system/2001-認識システムの構築.ipynb", [
    md("# 認識システムの構築\n\nCPUノードで認識を行います。"),
])
write("HPC-Learning/2.recognition_system/2004-ジョブの実行.ipynb",
      [md("# ジョブの実行\n\nbashカーネルで書かれた手順です。")],
      {"kernelspec": {"display_name": "Bash", "language": "bash", "name": "bash"}})

write("JupyterHub-Small/001-JupyterHub環境構築.ipynb", [
    md("# JupyterHub環境構築\n\n少人数向けのJupyterHubを構築します。"),
    md("## 事前準備"),
])
write("JupyterHub-Small/files/sample-notebook.ipynb", [md("# 配布用のサンプル")])

text("NoNotebooks/scripts/run.sh", "#!/bin/sh\necho no notebooks here\n")

write("greeter.ipynb", [
    md("# Greeter\n\nA one-notebook Go template at the root of a source."),
    code('who := "world" // who to greet\ntimes := 2     // how often', ["parameters"]),
    code('for i := 0; i < times; i++ { fmt.Println("hello,", who) }'),
], GO)
