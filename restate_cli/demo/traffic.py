"""The demo's sample traffic: requests that put the sample services' invocations into every
status. ``dev --demo`` sends it once per store; against a Restate server of your own:

    python -m restate_cli.demo.traffic http://127.0.0.1:8080/
"""

from __future__ import annotations

import json
import sys
from typing import Any

TRAFFIC = [
    ("call", "Shop/greet", "newcomer", None),
    ("call", "Shop/reject", "order-7", None),
    ("send", "Shop/flaky_payment", "order-8", None),
    ("send", "Shop/fragile_export", "order-9", None),
    ("send", "Shop/wait_for_delivery", 24, None),
    ("send", "Shop/crunch", 3600, None),
    ("send", "Shop/greet", "tomorrow", "1h"),
    ("send", "Cart/alice/hold", 24, None),
    ("send", "Cart/alice/add", "book", None),
    ("send", "Shop/checkout", "order-10", None),
]


async def send_traffic(http: Any, ingress_url: str) -> list[int]:
    """POST each sample request to the ingress (an ``httpx.AsyncClient``); their statuses."""
    base = ingress_url if ingress_url.endswith("/") else ingress_url + "/"
    statuses = []
    for kind, target, body, delay in TRAFFIC:
        url = f"{base}{target}" + ("/send" if kind == "send" else "")
        if delay:
            url += f"?delay={delay}"
        r = await http.post(url, content=json.dumps(body), headers={"content-type": "application/json"})
        statuses.append(r.status_code)
    return statuses


def main(argv: list[str]) -> int:
    import asyncio

    import httpx

    if len(argv) != 1 or argv[0].startswith("-"):
        sys.stderr.write("usage: python -m restate_cli.demo.traffic INGRESS_URL\n")
        return 2

    async def go() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as http:
            return await send_traffic(http, argv[0])

    try:
        statuses = asyncio.run(go())
    except httpx.HTTPError as e:
        sys.stderr.write(f"Error: cannot send the sample traffic to {argv[0]}: {e}\n")
        return 3
    refused = [s for s in statuses if s >= 400 and s != 422]  # Shop/reject answers 422 on purpose
    if refused:
        sys.stderr.write(
            f"Error: the ingress refused {len(refused)} of {len(statuses)} requests ({refused[0]}): "
            "are the sample services registered?\n"
        )
        return 1
    print(f"sent {len(statuses)} requests; try `restate-cli invocations list --all`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
