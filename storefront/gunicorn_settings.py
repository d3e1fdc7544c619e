"""Defaults shared by gunicorn.conf.py and the deploy check."""

import multiprocessing


def default_workers():
    """Two workers per core plus one: a classic sync-worker starting point."""
    return multiprocessing.cpu_count() * 2 + 1
