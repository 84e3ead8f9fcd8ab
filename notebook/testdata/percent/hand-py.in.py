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
# ---

# %% [markdown]
# # Written by hand
#
# No cell has an id: each gets one derived from its place and source.

# %% tags=["parameters"]
nodes = 2

# %%
print(nodes)
