"""Logging as OCS's Jupyter environment sets it up: INFO and above from every
logger, one line each ("TIME - NAME - LEVEL - MESSAGE") on the cell's output.
Importing it is what templates do; it configures logging once."""

import logging
import sys

_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


class _CellStream(logging.StreamHandler):
    """Writes to sys.stdout as it is at each record: the kernel swaps it for
    each cell, so a handler holding the first one would print nowhere."""

    def __init__(self):
        super().__init__(sys.stdout)

    def emit(self, record):
        self.stream = sys.stdout
        super().emit(record)


def _setup():
    root = logging.getLogger()
    if any(isinstance(h, _CellStream) for h in root.handlers):
        return
    handler = _CellStream()
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


_setup()
