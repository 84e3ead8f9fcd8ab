# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: "1.3"
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   language_info:
#     name: python
# ---

# %% [markdown] id="py-intro"
# # Python
#
# The percent format for Python.

# %% id="py-bash"
%%bash
ls -l

# %% tags=["a", "b"] id="py-code"
!pip list
x = 1
x
