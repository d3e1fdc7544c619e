"""Flash sale: many shoppers check out at the same moment for a shoe with few units.

    .venv/bin/python benchmarks/flash_sale.py [--shoppers 500] [--units 50] [--workers 4]

Serves the shop with gunicorn (4 workers) on a scratch PostgreSQL database.
Every shopper first gets a session and puts one pair in the cart (not timed);
then all of them press "Checkout" together. The script measures checkouts per
second and latency, and asserts that exactly `units` holds were made, every
other shopper was sent back to the cart with a sold-out message, and no
counter went negative (the ledger still sums to the counters).
"""

import argparse
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import generate  # noqa: E402
from benchmarks.harness import ROOT, gunicorn, replace_section, scratch_database  # noqa: E402
from storefront import create_app  # noqa: E402
from storefront.extensions import db  # noqa: E402
from storefront.inventory import service as inventory  # noqa: E402

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SECRET = "flash-sale-" + "s" * 40


def prepare_shopper(base, variant_id):
    shopper = requests.Session()
    page = shopper.get(f"{base}/products/flash-sale-shoe?size=9&width=M&colour=teal", timeout=30)
    token = TOKEN.search(page.text).group(1)
    added = shopper.post(f"{base}/cart/add", timeout=30, allow_redirects=False, data={
        "csrf_token": token, "variant_id": variant_id, "quantity": 1})
    assert added.status_code == 303, added.status_code
    cart = shopper.get(f"{base}/cart", timeout=30)
    return shopper, TOKEN.search(cart.text).group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=500)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()

    with scratch_database() as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
            variant_id = generate.flash_sale_product(args.units)
            db.engine.dispose()
        env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": "0"}
        with gunicorn("wsgi:app", env, args.workers) as (base, _):
            with ThreadPoolExecutor(32) as pool:
                shoppers = list(pool.map(lambda _: prepare_shopper(base, variant_id),
                                         range(args.shoppers)))
            print(f"{len(shoppers)} shoppers ready with one pair in their cart", flush=True)

            start = threading.Barrier(len(shoppers) + 1)
            outcomes = [None] * len(shoppers)

            def checkout(index):
                shopper, token = shoppers[index]
                start.wait()
                began = time.perf_counter()
                response = shopper.post(f"{base}/checkout", data={"csrf_token": token},
                                        allow_redirects=False, timeout=120)
                elapsed = (time.perf_counter() - began) * 1000
                location = response.headers.get("Location", "")
                if response.status_code == 303 and "/checkout/demo/" in location:
                    outcomes[index] = ("held", elapsed, "")
                elif response.status_code == 303 and location.endswith("/cart"):
                    message = shopper.get(f"{base}/cart", timeout=30).text
                    outcomes[index] = ("sold_out", elapsed, message)
                else:
                    outcomes[index] = (f"HTTP {response.status_code}", elapsed, "")

            threads = [threading.Thread(target=checkout, args=(i,))
                       for i in range(len(shoppers))]
            for thread in threads:
                thread.start()
            start.wait()
            began = time.perf_counter()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - began

        with app.app_context():
            levels = inventory.get_levels(variant_id)
            drift = inventory.reconcile()
            db.engine.dispose()

    held = [o for o in outcomes if o[0] == "held"]
    sold_out = [o for o in outcomes if o[0] == "sold_out"]
    other = [o for o in outcomes if o[0] not in ("held", "sold_out")]
    latencies = sorted(o[1] for o in outcomes)
    told = sum("sold out" in o[2].lower() for o in sold_out)

    assert len(held) == args.units, f"{len(held)} holds for {args.units} units"
    assert not other, f"unexpected answers: {sorted({o[0] for o in other})}"
    assert told == len(sold_out), f"{len(sold_out) - told} shoppers got no sold-out message"
    assert (levels.on_hand, levels.reserved, levels.committed) == (args.units, args.units, 0)
    assert levels.available == 0 and drift == []

    p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)]
    table = "\n".join([
        f"{args.shoppers} shoppers, {args.units} units, gunicorn {args.workers} sync workers, "
        "PostgreSQL on the same machine, all checkouts released at once.",
        "",
        "| checkouts | held | sold out (told so) | errors | checkouts/s | p50 ms | p99 ms | "
        "max ms | stock after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {len(outcomes)} | {len(held)} | {len(sold_out)} ({told}) | {len(other)} | "
        f"{len(outcomes) / wall:.0f} | {statistics.median(latencies):.0f} | {p99:.0f} | "
        f"{latencies[-1]:.0f} | on hand {levels.on_hand}, reserved {levels.reserved}, "
        f"available {levels.available}; ledger matches |",
    ])
    print(table)
    if not args.no_readme:
        replace_section(ROOT / "benchmarks" / "README.md", "flash-sale", table)


if __name__ == "__main__":
    main()
