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
import sys

import ocs_bridge
from IPython.utils.text import LSString, SList

__all__ = ["install", "quicken"]


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


def quicken(shell):
    """Take off every cell two waits that only matter to other clients.

    ipykernel sleeps 0.5 ms before each execute_reply, for clients that take
    the reply as the end of a cell's output; ocs waits for the kernel's idle
    status, which comes after all of it. And it flushes stdout and stderr
    before the reply and again before the idle status, each flush a round
    trip to its IOPub thread (about 0.4 ms here) even when nothing was
    written; an empty stream now skips the round trip. Each is changed only
    where the kernel has it as ipykernel 6 does.
    """
    kernel = getattr(shell, "kernel", None)
    if isinstance(getattr(kernel, "_execute_sleep", None), float):
        kernel._execute_sleep = 0.0
    for stream in (sys.stdout, sys.stderr):
        _skip_empty_flush(stream)


def _skip_empty_flush(stream):
    attrs = ("_flush_pending", "_subprocess_flush_pending", "_buffer", "_buffer_lock", "echo")
    if not all(hasattr(stream, a) for a in attrs) or hasattr(stream, "_ocs_flush"):
        return
    full_flush = stream.flush

    def flush():
        # write() puts text in _buffer and then marks a flush pending, so
        # a stream with neither has nothing to send; echo is flushed by the
        # full flush only.
        if stream.echo is None and not stream._flush_pending and not stream._subprocess_flush_pending:
            with stream._buffer_lock:
                if stream._buffer.tell() == 0:
                    return
        full_flush()

    stream._ocs_flush = full_flush
    stream.flush = flush
