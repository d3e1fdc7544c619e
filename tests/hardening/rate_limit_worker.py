"""A second shop process for the shared rate-limit test.

Builds its own app from the JSON config in SHOP_WORKER_CONFIG, then for each
line on stdin ("cart <variant id>" or "checkout") posts that form as JSON and
prints the status code, so the test can interleave it with its own app.
"""

import json
import os
import re
import sys

from storefront import create_app


def main():
    app = create_app(json.loads(os.environ["SHOP_WORKER_CONFIG"]))
    client = app.test_client()
    page = client.get(os.environ["SHOP_WORKER_PAGE"]).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    print("ready", flush=True)
    for line in sys.stdin:
        action, *args = line.split()
        if action == "cart":
            response = client.post("/cart/add", json={"variant_id": int(args[0])},
                                   headers=headers)
        else:
            response = client.post("/checkout", json={}, headers=headers)
        print(response.status_code, flush=True)


if __name__ == "__main__":
    main()
