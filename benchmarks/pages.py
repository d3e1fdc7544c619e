"""Page speed as a ratio to a bare Flask app, both under the same gunicorn settings.

    .venv/bin/python benchmarks/pages.py [--seconds 10] [--connections 32]

Creates a scratch PostgreSQL database (BENCH_DATABASE_URL's server), fills it
with 500 products / 5,000 variants and 50 articles,
serves the shop and benchmarks/hello.py with gunicorn.conf.py, measures each
page with wrk and writes the table into benchmarks/README.md.
"""

import argparse
import os
import platform
import subprocess
import sys
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


def pages(article_slug):
    rows = [
        ("Home page", "/"),
        ("Catalogue page (24 cards)", "/products"),
        ("Filtered catalogue page", "/products?size=8&width=W&in_stock=1&sort=price_asc"),
        ("Product page", "/products/bench-shoe-42"),
        ("Product JSON", "/products/bench-shoe-42.json"),
    ]
    rows.insert(4, ("Article page with product cards", f"/blog/{article_slug}"))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()

    with scratch_database() as url:
        env, article = prepare(url, 50)
        results = []
        with gunicorn("benchmarks.hello:app", {}, args.workers) as (base, _):
            wrk(base + "/", args.connections, 2)  # warm up
            ceiling = wrk(base + "/", args.connections, args.seconds)
        results.append(("Bare Flask hello (ceiling)", "/", ceiling))
        shop_env = {k: env[k] for k in ("DATABASE_URL", "SECRET_KEY")}
        with gunicorn("wsgi:app", shop_env, args.workers) as (base, master):
            for name, path in pages(article):
                wrk(base + path, args.connections, 2)
                measured = wrk(base + path, args.connections, args.seconds)
                results.append((name, path, measured))
                print(f"{name:<34} {measured['rps']:>8.0f} req/s", flush=True)
            peaks = worker_peak_rss_mb(master)

    lines = [
        f"Measured on {platform.node() or 'this machine'}: {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, gunicorn "
        f"{args.workers} sync workers (gunicorn.conf.py), PostgreSQL on the same machine, "
        f"wrk with {args.connections} connections for {args.seconds} s per page.",
        "",
        "| page | path | req/s | ratio to hello | p50 ms | p99 ms | target | non-2xx |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for name, path, r in results:
        ratio = r["rps"] / ceiling["rps"]
        target = TARGETS.get(name)
        verdict = "" if target is None else (
            f"≥ {target:.0%} {'met' if ratio >= target and r['p99'] < 50 else 'NOT met'}")
        lines.append(f"| {name} | `{path}` | {r['rps']:.0f} | {ratio:.0%} | {r['p50']:.1f} | "
                     f"{r['p99']:.1f} | {verdict} | {r['non_2xx']} |")
    lines += ["", "Peak RSS per shop worker after the run: "
              + ", ".join(f"{p:.0f} MiB" for p in sorted(peaks)) + "."]
    table = "\n".join(lines)
    print(table)
    if not args.no_readme:
        replace_section(ROOT / "benchmarks" / "README.md", "pages", table)


if __name__ == "__main__":
    main()
