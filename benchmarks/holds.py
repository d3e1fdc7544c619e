"""Checkout holds per second on one hot variant, next to the database's own ceiling.

Every checkout of the same shoe queues on one stock_level row lock, so the
rate is set by how long each transaction keeps that lock. Two workloads run
in the same session, at each concurrency:

- ceiling: the least any correct hold must do, straight through psycopg: the
  conditional `UPDATE ... WHERE on_hand - reserved - committed >= 1` and a
  stock_movement INSERT in one transaction;
- ceiling, one statement: the same UPDATE and INSERT sent as one statement
  (a data-modifying CTE), one round trip fewer under the lock;
- service: `inventory.hold()` as checkout calls it (Flask app context,
  SQLAlchemy session, expired-hold check, hold row, ledger row).

Workers are processes, each with one connection, so Python's GIL never caps
the numbers. The stock is large enough that no hold is ever refused.

    make bench-holds                     # 8 and 32 connections, 3 rounds, README updated
    python -m benchmarks.holds --seconds 10 --rounds 5 --connections 8 16 32

BENCH_DATABASE_URL names the PostgreSQL server (default: the local test
one); a scratch database is created and dropped around the run.
"""

import argparse
import multiprocessing
import os
import platform
import queue
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import scratch_database

README = Path(__file__).resolve().parent / "README.md"
RESULTS_BEGIN = "<!-- bench-holds:results -->"
RESULTS_END = "<!-- /bench-holds:results -->"
WARMUP_SECONDS = 1.0
STOCK = 1_000_000


def app_config(url):
    return {
        "SECRET_KEY": "benchmark-only-secret-key-not-used-for-anything",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0},
    }


def prepare(url):
    """Build the schema and the demo catalogue; stock one variant for the whole run."""
    from storefront import create_app
    from storefront.catalogue import demo
    from storefront.extensions import db
    from storefront.inventory import service as inventory
    from storefront.inventory.models import StockLevel

    app = create_app(app_config(url))
    with app.app_context():
        db.create_all()
        demo.load()
        variant_id = db.session.scalar(
            db.select(StockLevel.variant_id).order_by(StockLevel.variant_id).limit(1))
        current = inventory.get_levels(variant_id).on_hand
        inventory.adjust(variant_id, STOCK - current, "received", actor="benchmark",
                         note="stock for the holds benchmark")
        db.engine.dispose()
    return variant_id


def ceiling_worker(url, variant_id):
    """Return a callable doing the bare conditional UPDATE plus ledger INSERT."""
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(dsn)

    def once(reference):
        with conn.transaction():
            row = conn.execute(
                "UPDATE stock_level SET reserved = reserved + 1 WHERE variant_id = %s "
                "AND on_hand - reserved - committed >= 1 "
                "RETURNING on_hand, reserved, committed",
                (variant_id,),
            ).fetchone()
            if row is None:
                raise RuntimeError("the benchmark ran out of stock")
            conn.execute(
                "INSERT INTO stock_movement (variant_id, on_hand_delta, reserved_delta, "
                "committed_delta, on_hand_after, reserved_after, committed_after, reason, "
                "actor, reference, note, created_at) "
                "VALUES (%s, 0, 1, 0, %s, %s, %s, 'hold', 'system', %s, '', now())",
                (variant_id, *row, reference),
            )

    return once, conn.close


def service_worker(url, variant_id):
    """Return a callable holding one unit through the inventory service."""
    from storefront import create_app
    from storefront.extensions import db
    from storefront.inventory import service as inventory

    app = create_app(app_config(url))
    context = app.app_context()
    context.push()
    expires_at = datetime.now(UTC) + timedelta(hours=1)

    def once(reference):
        inventory.hold(reference, {variant_id: 1}, expires_at)

    def close():
        db.session.remove()
        db.engine.dispose()
        context.pop()

    return once, close


def one_statement_ceiling_worker(url, variant_id):
    """Return a callable doing the same UPDATE and INSERT as one statement (a CTE)."""
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(dsn)

    def once(reference):
        with conn.transaction():
            row = conn.execute(
                "WITH moved AS (UPDATE stock_level SET reserved = reserved + 1 "
                "WHERE variant_id = %s AND on_hand - reserved - committed >= 1 "
                "RETURNING variant_id, on_hand, reserved, committed) "
                "INSERT INTO stock_movement (variant_id, on_hand_delta, reserved_delta, "
                "committed_delta, on_hand_after, reserved_after, committed_after, reason, "
                "actor, reference, note, created_at) "
                "SELECT variant_id, 0, 1, 0, on_hand, reserved, committed, 'hold', 'system', "
                "%s, '', now() FROM moved RETURNING id",
                (variant_id, reference),
            ).fetchone()
            if row is None:
                raise RuntimeError("the benchmark ran out of stock")

    return once, conn.close


WORKLOADS = {
    "ceiling": ceiling_worker,
    "ceiling, one statement": one_statement_ceiling_worker,
    "service": service_worker,
}


def run_worker(workload, url, variant_id, tag, seconds, ready, results):
    try:
        results.put(("ok", timed_loop(workload, url, variant_id, tag, seconds, ready)))
    except Exception as exc:  # noqa: BLE001 (reported to the parent, which stops the run)
        ready.abort()  # free the siblings waiting at the start line
        results.put(("error", f"{tag}: {exc!r}"))


def timed_loop(workload, url, variant_id, tag, seconds, ready):
    once, close = WORKLOADS[workload](url, variant_id)
    once(f"bench:{tag}:warm")  # connect and prepare before the clock starts
    ready.wait(timeout=120)
    begin = time.perf_counter()
    measure_from, measure_to = begin + WARMUP_SECONDS, begin + WARMUP_SECONDS + seconds
    latencies = []
    n = 0
    while True:
        n += 1
        started = time.perf_counter()
        if started >= measure_to:
            break
        once(f"bench:{tag}:{n}")
        if started >= measure_from:
            latencies.append(time.perf_counter() - started)
    close()
    return latencies


def measure(workload, url, variant_id, connections, seconds, round_number=1):
    """Run `connections` worker processes for `seconds`; returns ops/s, p50 and p99 in ms."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(connections)
    results = context.Queue()
    tag = f"{workload.replace(' ', '')}-{connections}-r{round_number}"
    workers = [
        context.Process(target=run_worker, args=(workload, url, variant_id, f"{tag}-{i}",
                                                 seconds, ready, results), daemon=True)
        for i in range(connections)
    ]
    for worker in workers:
        worker.start()
    latencies, failures = [], []
    try:
        for _ in workers:
            kind, value = results.get(timeout=180 + seconds)
            (latencies.extend if kind == "ok" else failures.append)(value)
    except queue.Empty:
        failures.append("a worker neither finished nor failed within the time limit")
    for worker in workers:
        worker.join(timeout=10)
        if worker.is_alive():
            worker.terminate()
    if failures:
        raise SystemExit(f"{workload} with {connections} connections failed: {failures[:3]}")
    latencies.sort()
    cut = statistics.quantiles(latencies, n=100)
    return len(latencies) / seconds, cut[49] * 1000, cut[98] * 1000


def machine():
    cores = os.cpu_count()
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else model
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{cores} cores ({model}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, load average before the run {load}")


def table(rows):
    lines = [
        "| connections (processes) | workload | holds/s | p50 ms | p99 ms | share of ceiling |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for connections, workload, rate, p50, p99, share in rows:
        lines.append(f"| {connections} | {workload} | {rate:,.0f} | {p50:.2f} | {p99:.2f} "
                     f"| {share:.0%} |")
    return "\n".join(lines)


def write_readme(text):
    content = README.read_text()
    if RESULTS_BEGIN not in content or RESULTS_END not in content:
        raise SystemExit(f"{README} has no {RESULTS_BEGIN} ... {RESULTS_END} block to fill.")
    before, rest = content.split(RESULTS_BEGIN, 1)
    _, after = rest.split(RESULTS_END, 1)
    README.write_text(f"{before}{RESULTS_BEGIN}\n{text}\n{RESULTS_END}{after}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3,
                        help="repeat every measurement; the table shows medians")
    parser.add_argument("--write", action="store_true",
                        help=f"put the results into {README.name}'s Stock holds section")
    args = parser.parse_args()

    about = machine()
    runs = {}
    with scratch_database() as url:
        variant_id = prepare(url)
        # Rounds interleave the workloads, so a busy moment on the box hits them all.
        for round_number in range(1, args.rounds + 1):
            for connections in args.connections:
                for workload in WORKLOADS:
                    print(f"round {round_number}: {workload}, {connections} connections",
                          flush=True)
                    runs.setdefault((connections, workload), []).append(
                        measure(workload, url, variant_id, connections, args.seconds,
                                round_number))
    rows = []
    for connections in args.connections:
        ceiling = statistics.median(r[0] for r in runs[(connections, "ceiling")])
        for workload in WORKLOADS:
            rate, p50, p99 = (statistics.median(column)
                              for column in zip(*runs[(connections, workload)], strict=True))
            rows.append((connections, workload, rate, p50, p99, rate / ceiling))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"Measured {stamp}: medians of {args.rounds} rounds of {args.seconds:g} s "
            f"after a {WARMUP_SECONDS:g} s warm-up, on {about}.\n\n{table(rows)}")
    print()
    print(text)
    if args.write:
        write_readme(text)
        print(f"\nWrote the results into {README}.")


if __name__ == "__main__":
    main()
