"""
Title: Time the demo's answer to a review through every model, one client and four at once
Description: starts `python -m tools.demo` on a free port of 127.0.0.1 serving the models
of --models, as make demo does, and sends POST /api/predict as the page does, the page's
example reviews in turn: --requests reviews one after the other, then --requests reviews
from --clients clients at once, each over a connection of its own kept open. Times every
answer, from sending the request to having read the whole answer. Writes
<output>/bench_demo.json: every answer's milliseconds, their median and 95th percentile,
answers per second, the models, the machine and the versions; fails if an answer under
load differs from the same review's answer alone.

    python -m tools.bench_demo --models results --output results/bench-demo
"""

import common

import argparse
import contextlib
import html
import http.client
import importlib.metadata
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from imdb_lstm import files, machine
from imdb_lstm.cli import add_output_flag, positive_int, title
from imdb_lstm.errors import UserError
from tools import demo

WARM_UP = 10  # answers not timed: the server's first ones
START_SECONDS = 300  # the most the demo may take to load its models


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument(
        "--models",
        default="results",
        metavar="DIR",
        help="the folder of trained models the demo serves (default: %(default)s)",
    )
    parser.add_argument(
        "--requests",
        type=positive_int,
        default=300,
        metavar="N",
        help="answers timed one after the other, and again at once (default: %(default)s)",
    )
    parser.add_argument(
        "--clients",
        type=positive_int,
        default=4,
        metavar="N",
        help="clients asking at once in the second part (default: %(default)s)",
    )
    add_output_flag(parser, "results/bench-demo", "bench_demo.json")
    return parser.parse_args(argv)


@contextlib.contextmanager
def running_demo(models: Path) -> Iterator[str]:
    """`python -m tools.demo` serving `models` on a free port of 127.0.0.1 while the block
    runs; its address."""
    command = [sys.executable, "-m", "tools.demo", "--output", str(models), "--port", "0"]
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        printed = []
        for line in process.stdout:
            printed.append(line)
            if line.startswith("serving the demo at "):
                break
        else:
            raise UserError("the demo did not start: " + " ".join(printed).strip())
        yield line.split()[4]
    finally:
        process.terminate()
        process.wait(timeout=START_SECONDS)


class Client:
    """One connection to the demo, kept open, as a browser keeps it."""

    def __init__(self, address: str) -> None:
        url = urllib.parse.urlsplit(address)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def ask(self, method: str, path: str, body: dict | None = None) -> tuple[float, dict]:
        """Seconds from sending the request to having read the answer, and the answer."""
        data = json.dumps(body).encode() if body is not None else None
        start = time.perf_counter()
        self.connection.request(method, path, data, {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        answer = json.loads(response.read())
        seconds = time.perf_counter() - start
        if response.status != 200:
            raise UserError(f"the demo answered {response.status}: {answer.get('error')}")
        return seconds, answer

    def predict(self, review: str) -> tuple[float, dict]:
        return self.ask("POST", "/api/predict", {"review": review})


def page_examples() -> list[str]:
    """The reviews of the page's example buttons, what a reader clicks first."""
    page = (demo.PAGE / "index.html").read_text()
    return [html.unescape(review) for review in re.findall(r'data-review="([^"]*)"', page)]


def summary(seconds: list[float], wall_seconds: float) -> dict:
    milliseconds = [s * 1000 for s in seconds]
    return {
        "answers": len(seconds),
        "median_ms": statistics.median(milliseconds),
        "p95_ms": statistics.quantiles(milliseconds, n=100)[94],
        "fastest_ms": min(milliseconds),
        "slowest_ms": max(milliseconds),
        "answers_per_second": len(seconds) / wall_seconds,
        "milliseconds": milliseconds,
    }


def timings(summary: dict) -> str:
    return f"median {summary['median_ms']:.0f} ms, 95th percentile {summary['p95_ms']:.0f} ms"


def one_after_the_other(client: Client, reviews: list[str]) -> tuple[dict, dict[str, dict]]:
    """The timings of answering `reviews` in turn, and each review's answer."""
    seconds, answers = [], {}
    start = time.perf_counter()
    for review in reviews:
        took, answers[review] = client.predict(review)
        seconds.append(took)
    return summary(seconds, time.perf_counter() - start), answers


def at_once(address: str, reviews: list[str], clients: int, expected: dict[str, dict]) -> dict:
    """The timings of `clients` clients sharing `reviews`; UserError if an answer differs
    from the same review's answer alone (answers mixed up)."""
    connections = [Client(address) for _ in range(clients)]
    shares = [reviews[i::clients] for i in range(clients)]

    def ask_all(n: int) -> list[float]:
        seconds = []
        for review in shares[n]:
            took, answer = connections[n].predict(review)
            if answer != expected[review]:
                raise UserError(f"an answer under load differs from the answer alone: {review}")
            seconds.append(took)
        return seconds

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        seconds = [s for share in pool.map(ask_all, range(clients)) for s in share]
    return {"clients": clients, **summary(seconds, time.perf_counter() - start)}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    examples = page_examples()
    reviews = [examples[i % len(examples)] for i in range(args.requests)]
    load_before = os.getloadavg()[0]
    with running_demo(Path(args.models)) as address:
        client = Client(address)
        _, listing = client.ask("GET", "/api/models")
        for review in reviews[:WARM_UP]:
            client.predict(review)
        sequential, answers = one_after_the_other(client, reviews)
        print(f"one client: {timings(sequential)}")
        concurrent = at_once(address, reviews, args.clients, answers)
        print(f"{args.clients} clients at once: {timings(concurrent)}")
    result = {
        # Other work on the machine slows the answers: the load over the last minute.
        "load_average_before_and_after": [load_before, os.getloadavg()[0]],
        "models": [m["name"] for m in listing["models"] if m["available"]],
        "models_folder": args.models,
        "reviews": examples,
        "warm_up_answers": WARM_UP,
        "server": {name: importlib.metadata.version(name) for name in ("starlette", "uvicorn")},
        "sequential": sequential,
        "concurrent": concurrent,
        **machine.provenance(),
    }
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    files.write_json(output / "bench_demo.json", result)
    print(f"wrote {output / 'bench_demo.json'}")


if __name__ == "__main__":
    common.run(main)
