"""Helpers OCS templates import before the VCP SDK (`from common import
logsetting`)."""
