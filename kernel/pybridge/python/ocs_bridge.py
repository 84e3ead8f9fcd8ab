"""Calls from Python code that ocs runs in a Jupyter kernel back to the ocs
process: shell commands, secrets and VCP operations are served there, so that
they are journaled in the build record and replayed on a resumed build.

The socket's path is in the environment variable OCS_BRIDGE. Requests and
replies are JSON lines; one call at a time on one connection per process.
"""

import json
import os
import socket
import sys
import threading

__all__ = ["BridgeError", "available", "call"]

ENV = "OCS_BRIDGE"


class BridgeError(Exception):
    """A call ocs could not serve; ename names the kind of failure."""

    def __init__(self, ename, evalue=""):
        super().__init__("%s: %s" % (ename, evalue) if evalue else ename)
        self.ename = ename
        self.evalue = evalue


_lock = threading.Lock()
_conn = None  # (pid, socket, reader) of this process's connection
_last_id = 0


def available():
    """Whether this process runs under ocs (a bridge socket is named)."""
    return bool(os.environ.get(ENV))


def _connect():
    global _conn
    # A forked child must not share its parent's connection: replies would
    # go to whichever process reads first.
    if _conn is not None and _conn[0] == os.getpid():
        return _conn
    _conn = None
    path = os.environ.get(ENV)
    if not path:
        raise BridgeError("NoBridge", "not running under ocs (%s is not set)" % ENV)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as err:
        sock.close()
        raise BridgeError("NoBridge", "cannot reach ocs at %s: %s" % (path, err.strerror or err)) from None
    _conn = (os.getpid(), sock, sock.makefile("rb"))
    return _conn


def _drop():
    global _conn
    if _conn is not None:
        _, sock, reader = _conn
        _conn = None
        for closable in (reader, sock):
            try:
                closable.close()
            except OSError:
                pass


def call(op, args=None, stdout=None, stderr=None):
    """Run op in the ocs process and return its result (a dict).

    Text the call streams goes to stdout and stderr (file-like objects; None
    means sys.stdout and sys.stderr as they are now). Raises BridgeError when
    the call fails. A KeyboardInterrupt closes the connection, which cancels
    the call in ocs, and is raised again.
    """
    global _last_id
    with _lock:
        _, sock, reader = _connect()
        _last_id += 1
        ident = _last_id
        request = json.dumps({"id": ident, "op": op, "args": args or {}}, ensure_ascii=False)
        try:
            sock.sendall(request.encode("utf-8") + b"\n")
            while True:
                line = reader.readline()
                if not line:
                    _drop()
                    raise BridgeError("BridgeClosed", "ocs closed the bridge during %s" % op)
                reply = json.loads(line)
                if reply.get("id") != ident:
                    continue
                if "stdout" in reply:
                    (stdout or sys.stdout).write(reply["stdout"])
                elif "stderr" in reply:
                    (stderr or sys.stderr).write(reply["stderr"])
                elif "error" in reply:
                    err = reply["error"] or {}
                    raise BridgeError(err.get("ename") or "OcsError", err.get("evalue") or "")
                else:
                    return reply.get("result") or {}
        except BridgeError:
            raise
        except OSError as err:
            _drop()
            raise BridgeError("BridgeClosed", "lost the bridge during %s: %s" % (op, err)) from None
        except BaseException:
            _drop()
            raise
