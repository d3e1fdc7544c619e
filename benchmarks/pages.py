"""Page speed as a ratio to a bare Flask app, both under the same gunicorn settings.

    .venv/bin/python benchmarks/pages.py [--seconds 5] [--rounds 3] [--connections 32]

Creates a scratch PostgreSQL database (BENCH_DATABASE_URL's server), fills it
with 500 products / 5,000 variants and 50 articles, serves the shop and
benchmarks/hello.py side by side with gunicorn.conf.py, and measures with wrk
in rounds: each round measures hello and then every page, so a busy moment
on a shared machine hits the ceiling and the pages alike. Each page's ratio is
taken against the hello of its own round; the table shows medians of the
rounds, and is written into benchmarks/README.md.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import generate  # noqa: E402
from benchmarks.harness import (  # noqa: E402
    ROOT,
    gunicorn,
    replace_section,
    scratch_database,
    worker_peak_rss_mb,
    wrk,
)
from storefront import create_app  # noqa: E402
from storefront.gunicorn_settings import default_workers  # noqa: E402

TARGETS = {"Product page": 0.50, "Catalogue page (24 cards)": 0.30,
           "Article page with product cards": 0.40}


def prepare(url, articles):
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-" + "k" * 40)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        generate.catalogue(500, 10)
        article = generate.articles(articles)
    return env, article


RETURNING = "returning visitor (session cookie)"


def pages(article_slug):
    rows = [
        ("Home page", "/"),
        ("Catalogue page (24 cards)", "/products"),
        ("Filtered catalogue page", "/products?size=8&width=W&in_stock=1&sort=price_asc"),
        ("Product page", "/products/bench-shoe-42"),
        (f"Product page, {RETURNING}", "/products/bench-shoe-42"),
        ("Product JSON", "/products/bench-shoe-42.json"),
    ]
    rows.insert(5, ("Article page with product cards", f"/blog/{article_slug}"))
    return rows


def session_cookie(base, path):
    """The session cookie a shopper gets from a page with a form (its CSRF token)."""
    with urllib.request.urlopen(base + path) as response:  # noqa: S310 (our own server)
        cookie = response.headers["Set-Cookie"]
    return cookie.split(";", 1)[0]


def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()

    with scratch_database() as url:
        env, article = prepare(url, 50)
        shop_env = {k: env[k] for k in ("DATABASE_URL", "SECRET_KEY")}
        rows = [("Bare Flask hello (ceiling)", "/", "hello"),
                *((name, path, "shop") for name, path in pages(article))]
        runs = {name: [] for name, _, _ in rows}
        with gunicorn("benchmarks.hello:app", {}, args.workers) as (hello, _), \
                gunicorn("wsgi:app", shop_env, args.workers) as (shop, master):
            bases = {"hello": hello, "shop": shop}
            # wrk sends no cookies, like a first visit; one row replays a shopper's cookie.
            cookie = ("Cookie: " + session_cookie(shop, f"/blog/{article}"),)
            headers = {name: cookie if RETURNING in name else () for name, _, _ in rows}
            for name, path, server in rows:  # warm up: caches, connections, pages
                wrk(bases[server] + path, args.connections, 2, headers=headers[name])
            for round_number in range(1, args.rounds + 1):
                ceiling = None
                for name, path, server in rows:
                    measured = wrk(bases[server] + path, args.connections, args.seconds,
                                   headers=headers[name])
                    ceiling = ceiling or measured["rps"]
                    measured["ratio"] = measured["rps"] / ceiling
                    runs[name].append(measured)
                    print(f"round {round_number}: {name:<34} {measured['rps']:>8.0f} req/s "
                          f"({measured['ratio']:.0%})", flush=True)
            peaks = worker_peak_rss_mb(master)

    lines = [
        f"Measured on {platform.node() or 'this machine'}: {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, gunicorn "
        f"{args.workers} sync workers (gunicorn.conf.py), PostgreSQL on the same machine, "
        f"wrk with {args.connections} connections; medians of {args.rounds} rounds of "
        f"{args.seconds} s per page, each page's ratio taken against the hello of its round.",
        "",
        "| page | path | req/s | ratio to hello | p50 ms | p99 ms | target | non-2xx |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for name, path, _ in rows:
        ratio, p99 = median_of(runs[name], "ratio"), median_of(runs[name], "p99")
        target = TARGETS.get(name)
        verdict = "" if target is None else (
            f"≥ {target:.0%} {'met' if ratio >= target and p99 < 50 else 'NOT met'}")
        lines.append(
            f"| {name} | `{path}` | {median_of(runs[name], 'rps'):.0f} | {ratio:.0%} | "
            f"{median_of(runs[name], 'p50'):.1f} | {p99:.1f} | {verdict} | "
            f"{sum(run['non_2xx'] for run in runs[name])} |")
    lines += ["", "Peak RSS per shop worker after the run: "
              + ", ".join(f"{p:.0f} MiB" for p in sorted(peaks)) + "."]
    table = "\n".join(lines)
    print(table)
    if not args.no_readme:
        replace_section(ROOT / "benchmarks" / "README.md", "pages", table)


if __name__ == "__main__":
    main()
