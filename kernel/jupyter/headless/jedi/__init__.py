# ocs starts IPython kernels headless: nothing asks them to complete code, so
# IPython need not import jedi for its completer (a seventh of the kernel's
# start). This stand-in is first on the kernel's path only while it starts;
# ocs's set-up code takes it off again, and `import jedi` in a cell finds the
# real one. IPython's completer then completes without jedi.
raise ImportError("ocs starts this kernel without jedi")
