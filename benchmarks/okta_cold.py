"""A cold Okta step: module import plus the first API call (the first page of users), each in a
fresh interpreter against the sandbox's Okta fake, as a Lambda's cold start pays it. Compares the
adapter (functions/adapters/okta.py: the Okta SDK's user, group and factor APIs only), the SDK's
whole client (`okta.client`), the access review's REST lists (functions/adapters/okta_lists.py)
and bare REST over httpx (the GitHub adapter's way). Prints the
figures (median of --runs); asserts nothing. The issue's target: under 1.5 s.

    .venv/bin/python benchmarks/okta_cold.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_TIMED = """
import time
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{call}
t2 = time.perf_counter()
print(f"{{(t1 - t0) * 1000:.1f}} {{(t2 - t1) * 1000:.1f}}")
"""

PATHS = {
    "adapter (SDK, narrow)": (
        "from functions.adapters.okta import Okta",
        "okta = Okta(URL, api_token=TOKEN)\nnext(okta.iter_users())\nokta.close()",
    ),
    "SDK whole client (okta.client)": (
        "from okta.client import Client",
        "import asyncio\n"
        "async def first():\n"
        "    client = Client({'orgUrl': URL, 'token': TOKEN, 'cache': {'enabled': False}})\n"
        "    return await client.list_users(limit=200)\n"
        "asyncio.run(first())",
    ),
    "REST lists (okta_lists.py)": (
        "from functions.adapters.okta_lists import OktaLists",
        "okta = OktaLists(URL, api_token=TOKEN)\nnext(okta.iter_users())\nokta.close()",
    ),
    "REST over httpx (bare)": (
        "import httpx",
        "with httpx.Client(base_url=URL, headers={'Authorization': 'SSWS ' + TOKEN, 'Accept': 'application/json'})"
        " as c:\n    c.get('/api/v1/users', params={'limit': 200}).raise_for_status()",
    ),
}


def cold_ms(imports: str, call: str, url: str, token: str) -> tuple[float, float]:
    code = f"URL, TOKEN = {url!r}, {token!r}\n" + _TIMED.format(imports=imports, call=call)
    # The SDK's whole client takes its plain-http (loopback) permission from the environment only.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OKTA_TESTING_TESTINGDISABLEHTTPSCHECK": "true"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a deployed package has its bytecode: let the warm-up write it
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    imported, called = done.stdout.split()[-2:]
    return float(imported), float(called)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from sandbox.fakes.credentials import OKTA_API_TOKEN
    from sandbox.fakes.org import load_org
    from sandbox.fakes.vendors import VendorSandbox

    with VendorSandbox(load_org(), services=["okta"]) as sandbox:
        url = sandbox.fakes["okta"].url
        print(f"cold Okta step against the Okta fake, median of {args.runs} fresh processes (target < 1500 ms):")
        print(f"  {'path':<32} {'import':>9} {'first call':>11} {'total':>9}")
        for name, (imports, call) in PATHS.items():
            cold_ms(imports, call, url, OKTA_API_TOKEN)  # warm-up: writes the bytecode cache, as a package has it
            runs = [cold_ms(imports, call, url, OKTA_API_TOKEN) for _ in range(args.runs)]
            imported = statistics.median(r[0] for r in runs)
            called = statistics.median(r[1] for r in runs)
            total = statistics.median(r[0] + r[1] for r in runs)
            print(f"  {name:<32} {imported:7.0f} ms {called:8.0f} ms {total:7.0f} ms")


if __name__ == "__main__":
    main()
