"""Shared pieces of the benchmarks: a scratch PostgreSQL database, gunicorn, wrk, RSS."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def scratch_database(base_url=None):
    """A throwaway PostgreSQL database next to BENCH_DATABASE_URL's, dropped afterwards."""
    base = make_url(base_url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    name = f"storefront_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(target, env, workers):
    """Serve `target` with the project's gunicorn.conf.py and `workers` workers."""
    port = free_port()
    env = dict(os.environ, **env, PORT=str(port), WEB_CONCURRENCY=str(workers),
               LOG_LEVEL="WARNING")
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn for {target} did not start: "
                               f"{proc.stderr.read1(4000).decode()}")
        time.sleep(1.0)  # let every worker boot
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * _UNITS[unit]


def wrk(url, connections=32, seconds=10, threads=2, headers=()):
    """Run wrk against `url`; returns requests/s, p50 and p99 latency (ms) and errors."""
    extra = [arg for header in headers for arg in ("-H", header)]
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", *extra, url],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non_2xx": int(errors.group(1)) if errors else 0}


def worker_peak_rss_mb(master):
    """Peak resident memory (VmHWM) of each gunicorn worker of `master`, in MiB."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    peaks = []
    for pid in children:
        with contextlib.suppress(FileNotFoundError):
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    return peaks


def replace_section(readme, marker, body):
    """Replace the text between <!-- marker:start --> and <!-- marker:end --> in a file."""
    path = Path(readme)
    text_ = path.read_text() if path.exists() else ""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text_:
        text_ = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text_,
                       flags=re.S)
    else:
        text_ = text_.rstrip() + "\n\n" + block + "\n"
    path.write_text(text_)
