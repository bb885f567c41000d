"""
Title: Try the trained models on your own review, side by side, in a browser
Description: `make demo` serves a page on this machine (http://127.0.0.1:8000 by default)
where a review typed or pasted in goes through every model found in the output folder
(the four variants and the extensions, results/<variant>.keras), showing each one's
probability that the review is positive, its label and its test accuracy, and the review
word by word as the models read it: words among the kept vocabulary, words outside it
(read as "unknown") and words cut off by the 500-word limit. /?review=... opens the page
with a review already classified. A JSON API serves the same answers: POST /api/predict
with {"review": "..."} answers per model what `predict.py --json` prints (one function
computes both); GET /api/models lists the models. The page loads nothing from another
host: it works offline. Starlette with uvicorn (docs/demo.md says why).

    python -m tools.demo --output results --port 8000
"""

import common

import argparse
import contextlib
import errno
import json
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import predict
from imdb_lstm import text_files
from imdb_lstm.cli import non_negative_int, title
from imdb_lstm.encoding import OOV_INDEX, TextEncoding, tokenize
from imdb_lstm.errors import UserError
from imdb_lstm.paths import CHECKOUT
from imdb_lstm.results import SAME_RUN
from imdb_lstm.variants import EXTENSIONS, VARIANTS

PAGE = Path(__file__).resolve().parent / "demo_page"  # the page's HTML, CSS and JavaScript
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_PORT = 65535
# A request body holds one review: at its limit, every character spelled as JSON's
# longest escape (\\uXXXX, 6 bytes), and room for the list of models.
MAX_BODY_BYTES = 6 * text_files.MAX_REVIEW_CHARACTERS + (64 << 10)
MAX_RESULTS_BYTES = 1 << 20  # a results JSON (<variant>.json) is a few kilobytes
CUT_WORDS_SHOWN = 100  # of the words cut off a long review, the last ones shown
STOP_SECONDS = 300  # the most a demo started by running_demo may take to stop
SERVING = "serving the demo at"  # the line that says it serves, and where
# The page allows itself only what this server sends: no other host's script, style,
# font or picture, even if one were linked by mistake.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def port_number(text: str) -> int:
    port = non_negative_int(text)
    if port > MAX_PORT:
        raise argparse.ArgumentTypeError(f"a port is at most {MAX_PORT}, got {port}")
    return port


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument(
        "--output",
        default="results",
        metavar="DIR",
        help="the folder of the trained models, <variant>.keras (default: %(default)s)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to serve on; another than this machine's own lets other "
        "machines use the page (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=8000,
        help="the port to serve on; 0 takes any free one (default: %(default)s)",
    )
    return parser.parse_args(argv)


@dataclass
class Model:
    """A model file found in the output folder: loaded, or the reason it could not be."""

    name: str
    model: Any = None
    encoding: TextEncoding | None = None
    run: dict | None = None  # its results file, <variant>.json
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, text: str) -> dict:
        """predict.py --json's answer for `text`, but for its source."""
        with self.lock:  # one review at a time through a model; the models side by side
            return predict.answers(self.model, self.encoding, [text])[0]

    def description(self) -> dict:
        """What GET /api/models says of it."""
        if self.error:
            return {"name": self.name, "available": False, "error": self.error}
        run = self.run or {}
        accuracy = run.get("test_accuracy")
        return {
            "name": self.name,
            "available": True,
            "test_accuracy": accuracy if isinstance(accuracy, float) else None,
            "settings": {name: run.get(name) for name in SAME_RUN},
            "num_words": self.encoding.num_words,
            "maxlen": self.encoding.maxlen,
        }


def read_run(path: Path) -> dict | None:
    """A results file, if there is a readable one of sensible size: only shown."""
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_RESULTS_BYTES + 1)
        run = json.loads(raw, parse_constant=refuse) if len(raw) <= MAX_RESULTS_BYTES else None
    except (OSError, ValueError, RecursionError):
        return None
    return run if isinstance(run, dict) else None


def refuse(constant: str) -> None:
    """NaN and Infinity, which Python's JSON reads but no JSON answer may hold."""
    raise ValueError(f"{constant} is not JSON")


def load_models(output: Path) -> list[Model]:
    """Every variant's model in `output`, in the tutorial's order, then the extensions;
    each loaded with predict.py's bounded reader and run once, so that the first review
    is as fast as the next."""
    models = []
    for name in VARIANTS + EXTENSIONS:
        path = output / f"{name}.keras"
        if not path.exists():
            continue
        try:
            model, encoding = predict.load_classifier(path)
            predict.answers(model, encoding, ["warm up"])
        except UserError as error:
            models.append(Model(name, error=str(error)))
            continue
        models.append(Model(name, model, encoding, read_run(output / f"{name}.json")))
    return models


def reading(encoding: TextEncoding, text: str) -> dict:
    """The review word by word as a model with `encoding` reads it: each word "known",
    "unknown" (outside the vocabulary) or "cut" (before the last maxlen words). Of the
    words cut, only the last CUT_WORDS_SHOWN are listed; `cut` counts them all."""
    words = tokenize(text)
    cut = encoding.words_cut(len(words))
    first = max(0, cut - CUT_WORDS_SHOWN)
    marked = [
        {"word": word, "index": index, "mark": mark(position < cut, index)}
        for position, (word, index) in enumerate(
            zip(words[first:], encoding.indices(words[first:]), strict=True), start=first
        )
    ]
    return {"cut": cut, "words": marked}


def mark(cut: bool, index: int) -> str:
    if cut:
        return "cut"
    return "unknown" if index == OOV_INDEX else "known"


class Demo:
    """The models of one output folder, and the answers for a review."""

    def __init__(self, output: Path, models: list[Model]) -> None:
        self.output = output
        self.models = {model.name: model for model in models}
        # Each model reads the review in a thread of its own: the two cores share them.
        self.threads = ThreadPoolExecutor(max(1, len(models)), "model")

    @property
    def available(self) -> list[Model]:
        return [model for model in self.models.values() if model.error is None]

    def train_commands(self) -> list[str]:
        """What to run for models in this output folder: all of them, or one."""
        default = Path(parse_args([]).output)
        where = "" if self.output == default else f" OUTPUT={shlex.quote(str(self.output))}"
        return [f"make run-all{where}", f"make lstm_basic{where}"]

    def no_models(self) -> str:
        run_all, one = self.train_commands()
        return f"no trained models in {self.output}/: run {run_all} (or {one}) first"

    def chosen(self, names: list[str] | None) -> list[Model]:
        """The models asked for (all available ones when None); HTTPException otherwise."""
        if not self.available:
            raise HTTPException(503, self.no_models())
        if names is None:
            return self.available
        for name in names:
            if name not in self.models:
                raise HTTPException(
                    400, f"no model {name!r} here; the models are {', '.join(self.models)}"
                )
            if self.models[name].error:
                raise HTTPException(409, f"model {name} is unavailable: {self.models[name].error}")
        return [self.models[name] for name in dict.fromkeys(names)]

    def answer(self, text: str, names: list[str] | None) -> dict:
        """Each chosen model's answer (predict.py --json's, but for its source), and the
        review as they read it: once for each vocabulary they hold."""
        models = self.chosen(names)
        running = {model.name: self.threads.submit(model.answer, text) for model in models}
        answers = {name: future.result() for name, future in running.items()}
        readings: list[tuple[TextEncoding, list[str]]] = []
        for model in models:
            same = [names for encoding, names in readings if encoding == model.encoding]
            if same:
                same[0].append(model.name)
            else:
                readings.append((model.encoding, [model.name]))
        return {
            "models": answers,
            "readings": [
                {"models": names, **reading(encoding, text)} for encoding, names in readings
            ],
        }


async def read_body(request: Request) -> bytes:
    """The request body, refused (413) once it is larger than MAX_BODY_BYTES, before
    the rest of it is read."""
    too_large = HTTPException(
        413, f"the request is larger than {MAX_BODY_BYTES:,} bytes; send one review at a time"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    return bytes(body)


def parse_request(body: bytes) -> tuple[str, list[str] | None]:
    """The review and the models asked for in a POST /api/predict body; HTTPException
    (400 or 413) saying what is wrong otherwise."""
    try:
        data = json.loads(text_files.decode(body, "the request body"))
    except UserError as error:
        raise HTTPException(400, str(error)) from None
    except (ValueError, RecursionError):
        raise HTTPException(400, 'the request body is not JSON: send {"review": "..."}') from None
    if not isinstance(data, dict) or not isinstance(data.get("review"), str):
        raise HTTPException(400, 'the request needs a review as text: {"review": "..."}')
    unknown = sorted(set(data) - {"review", "models"})
    if unknown:
        raise HTTPException(400, f"unknown fields {unknown}: send review and, if you like, models")
    review, names = data["review"], data.get("models")
    if names is not None and not (
        isinstance(names, list) and names and all(isinstance(n, str) for n in names)
    ):
        raise HTTPException(400, 'models should be a list of model names: ["lstm_basic"]')
    if not review.strip():
        raise HTTPException(400, "the review is empty")
    if len(review) > text_files.MAX_REVIEW_CHARACTERS:
        raise HTTPException(
            413, f"the review is longer than a review may be ({text_files.REVIEW_LIMIT})"
        )
    return review, names


def create_app(demo: Demo) -> Starlette:
    """The page, its files and the API, on one server."""

    async def page(request: Request) -> FileResponse:
        return FileResponse(PAGE / "index.html", headers=PAGE_HEADERS)

    async def models(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "output": str(demo.output),
                "train_commands": demo.train_commands(),
                "models": [model.description() for model in demo.models.values()],
            }
        )

    async def predict_review(request: Request) -> JSONResponse:
        review, names = parse_request(await read_body(request))
        return JSONResponse(await run_in_threadpool(demo.answer, review, names))

    async def error(request: Request, exception: Exception) -> JSONResponse:
        assert isinstance(exception, HTTPException)
        return JSONResponse({"error": exception.detail}, exception.status_code)

    routes = [
        Route("/", page),
        Route("/api/models", models),
        Route("/api/predict", predict_review, methods=["POST"]),
        Mount("/static", StaticFiles(directory=PAGE)),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: error})


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or UserError saying why there can be none."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as error:
        reason = f"cannot serve on {host} port {port} ({error.strerror or error})"
        if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
            raise UserError(f"{reason}; give an address of this machine, e.g. 127.0.0.1") from None
        raise UserError(
            f"{reason}; choose another port: make demo PORT=8001, or --port 8001"
        ) from None


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


@contextlib.contextmanager
def running_demo(models: Path) -> Iterator[str]:
    """`python -m tools.demo` serving `models` on a free port of 127.0.0.1 while the block
    runs (for tests and make bench-demo); its address."""
    command = [sys.executable, "-m", "tools.demo", "--output", str(models), "--port", "0"]
    process = subprocess.Popen(
        command, cwd=CHECKOUT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        printed = []
        for line in process.stdout:
            printed.append(line)
            if line.startswith(SERVING):
                break
        else:
            raise UserError("the demo did not start: " + " ".join(printed).strip())
        yield line.split()[4]
    finally:
        process.terminate()
        process.wait(timeout=STOP_SECONDS)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sock = bind(args.host, args.port)  # first: a port in use fails before models load
    if args.host not in LOOPBACK:
        print(
            f"warning: --host {args.host} lets other machines use the page and its API, "
            "which have no login; the default, 127.0.0.1, keeps them to this machine",
            file=sys.stderr,
        )
    output = Path(args.output)
    demo = Demo(output, load_models(output))
    for model in demo.models.values():
        print(f"{model.name}: {'unavailable: ' + model.error if model.error else 'loaded'}")
    if not demo.available:
        print(demo.no_models())
    print(f"{SERVING} {address(sock)} (Ctrl-C stops it)", flush=True)
    config = uvicorn.Config(create_app(demo), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    common.run(main)
