"""OCS shell semantics for IPython kernels that ocs runs.

Shell lines (`!cmd`) and captures (`x = !cmd`) run in the ocs process through
the bridge (ocs_bridge), so that each one is journaled in the build record and
answered from the journal when a build is resumed. As in the OCS Jupyter
environment, a `!` command that exits non-zero raises
RuntimeError('Unexpected exit code: N'). Everything else IPython does (its
other magics, the user's profile) is left alone: install() changes only the
shell instance's system and getoutput.
"""

import os

import ocs_bridge
from IPython.utils.text import LSString, SList

__all__ = ["install"]


def _run(command, capture):
    args = {"command": command, "cwd": os.getcwd()}
    if capture:
        args["capture"] = True
    return ocs_bridge.call("shell", args)


def install(shell):
    """Route shell's `!` lines and captures through ocs."""

    def system(cmd):
        # var_expand(depth=1) reads the frame that called this function: the
        # cell's, or the function in the cell whose locals {expr} names.
        command = shell.var_expand(cmd, depth=1)
        code = int(_run(command, False).get("exit", 0))
        shell.user_ns["_exit_code"] = code
        if code != 0:
            raise RuntimeError("Unexpected exit code: %d" % code)

    def getoutput(cmd, split=True, depth=0):
        command = shell.var_expand(cmd, depth=depth + 1)
        lines = _run(command, True).get("lines") or []
        if split:
            return SList(lines)
        return LSString("\n".join(lines))

    shell.system = system
    shell.system_piped = system
    shell.getoutput = getoutput
