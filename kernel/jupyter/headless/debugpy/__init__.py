# ocs starts IPython kernels headless: no frontend attaches a debugger, so
# ipykernel need not import debugpy (a fifth of its start). This stand-in is
# first on the kernel's path only while it starts; ocs's set-up code takes
# it off again, and `import debugpy` in a cell finds the real one.
raise ImportError("ocs starts this kernel without its debugger")
