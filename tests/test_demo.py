"""make demo (tools/demo.py): the API answers what predict.py --json prints, every bad
input is a 4xx line and the server goes on; a real server refuses a large request before
reading it and keeps concurrent answers apart; and headless Chromium (marked browser,
make test-browser) shows on the page what predict.py prints. The models are make
run-all's on the suite's tiny reviews (conftest.run_all_output), loaded once."""

import contextlib
import http.client
import io
import json
import os
import re
import shutil
import socket
import statistics
import sys
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT, assert_clean_error, run_command
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from starlette.testclient import TestClient

import predict
from imdb_lstm import text_files
from tools import demo

ALL_MODELS = [
    "lstm_basic", "lstm_dropout_layers", "lstm_recurrent_dropout", "cnn_lstm",
    "cnn_lstm_dropout", "bidirectional_lstm", "lstm_masked",
]  # fmt: skip
# Words of the suite's reviews (conftest), all in the tiny vocabulary, and one that is not.
REVIEW = "The film: a superb and moving scene of it's actor. Zyxwv!"
REVIEW_WORDS = ["the", "film", "a", "superb", "and", "moving", "scene", "of", "it's", "actor"]


@pytest.fixture(scope="module")
def client(run_all_output):
    app = demo.create_app(demo.Demo(run_all_output, demo.load_models(run_all_output)))
    with TestClient(app) as client:
        yield client


def printed(folder: Path, model: str, review: str) -> dict:
    """What `predict.py --model <folder>/<model>.keras --json <review>` prints, run in-process."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        predict.main(["--model", str(folder / f"{model}.keras"), "--json", review])
    (answer,) = json.loads(output.getvalue())
    return answer


def post(client, body: bytes | str):
    response = client.post("/api/predict", content=body)
    return response.status_code, response.json()


def test_models_lists_every_trained_model_with_its_settings(client, run_all_output):
    listing = client.get("/api/models").json()
    assert [m["name"] for m in listing["models"]] == ALL_MODELS
    basic = listing["models"][0]
    trained = json.loads((run_all_output / "lstm_basic.json").read_text())
    assert basic["available"] and basic["test_accuracy"] == trained["test_accuracy"]
    assert (basic["settings"]["epochs"], basic["settings"]["max_samples"]) == (2, 100)
    assert (basic["num_words"], basic["maxlen"]) == (5000, 500)
    assert listing["train_commands"][0].startswith("make run-all OUTPUT=")


def test_predict_answers_what_predict_py_prints(client, run_all_output):
    status, answer = post(client, json.dumps({"review": REVIEW}))
    assert status == 200
    assert list(answer["models"]) == ALL_MODELS
    for model in ("lstm_basic", "cnn_lstm", "lstm_masked"):
        expected = printed(run_all_output, model, REVIEW)
        assert expected.pop("source") == "argument 1"
        assert answer["models"][model] == expected
    assert answer["models"]["lstm_basic"]["words"] == 11


def test_the_review_word_by_word_as_the_models_read_it(client):
    _, answer = post(client, json.dumps({"review": REVIEW, "models": ["cnn_lstm", "lstm_basic"]}))
    assert list(answer["models"]) == ["cnn_lstm", "lstm_basic"]
    (reading,) = answer["readings"]  # one vocabulary: the same training reviews
    assert reading["models"] == ["cnn_lstm", "lstm_basic"] and reading["cut"] == 0
    assert [(w["word"], w["mark"]) for w in reading["words"]] == [
        *((word, "known") for word in REVIEW_WORDS),
        ("zyxwv", "unknown"),
    ]
    assert reading["words"][-1]["index"] == 2


def test_words_past_the_500_read_are_marked_cut(client):
    review = "Superb zyxwv " + "film " * 499  # 501 words: the first is cut
    _, answer = post(client, json.dumps({"review": review, "models": ["lstm_basic"]}))
    (reading,) = answer["readings"]
    assert reading["cut"] == 1
    marks = [w["mark"] for w in reading["words"]]
    assert marks[:3] == ["cut", "unknown", "known"] and len(marks) == 501
    assert answer["models"]["lstm_basic"]["truncated"] is True


def test_of_a_very_long_review_only_the_last_100_cut_words_are_listed(client):
    _, answer = post(client, json.dumps({"review": "film " * 1000, "models": ["lstm_basic"]}))
    (reading,) = answer["readings"]
    assert reading["cut"] == 500
    marks = [w["mark"] for w in reading["words"]]
    assert marks == ["cut"] * 100 + ["known"] * 500


MAX_REVIEW = text_files.MAX_REVIEW_CHARACTERS


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ('{"review": ""}', 400, "the review is empty"),
        ('{"review": " \\n\\t "}', 400, "the review is empty"),
        ("a review, not JSON", 400, "not JSON"),
        (b'{"review": "un film \xe9patant"}', 400, "not UTF-8"),
        ('["a list"]', 400, "needs a review as text"),
        ('{"review": 5}', 400, "needs a review as text"),
        ('{"text": "superb"}', 400, "needs a review as text"),
        ('{"review": "superb", "model": "cnn_lstm"}', 400, "unknown fields ['model']"),
        ('{"review": "superb", "models": "cnn_lstm"}', 400, "should be a list of model names"),
        ('{"review": "superb", "models": ["gru"]}', 400, "no model 'gru' here"),
        ('{"review": "' + "a" * (MAX_REVIEW + 1) + '"}', 413, "longer than a review may be"),
        (b" " * (demo.MAX_BODY_BYTES + 1), 413, "larger than"),
        ("[" * 100_000, 400, "not JSON"),
    ],
    ids=[
        "empty",
        "blank",
        "not-json",
        "not-utf8",
        "a-list",
        "a-number",
        "no-review",
        "unknown-field",
        "models-not-a-list",
        "unknown-model",
        "review-too-long",
        "body-too-large",
        "nested-too-deep",
    ],  # fmt: skip
)
def test_bad_input_is_a_one_line_error_and_the_server_goes_on(client, body, status, fragment):
    got, answer = post(client, body)
    assert got == status
    assert list(answer) == ["error"] and "\n" not in answer["error"]
    assert fragment in answer["error"]
    assert post(client, '{"review": "superb", "models": ["cnn_lstm"]}')[0] == 200


def test_a_review_at_the_limit_is_taken(client):
    status, answer = post(client, json.dumps({"review": "film " * (MAX_REVIEW // 5)}))
    assert status == 200 and answer["models"]["lstm_basic"]["words"] == MAX_REVIEW // 5


def test_unknown_paths_and_methods_are_json_errors_too(client):
    assert client.get("/api/predict").json() == {"error": "Method Not Allowed"}
    assert client.get("/nothing").json() == {"error": "Not Found"}


@pytest.fixture(scope="module")
def damaged_folder(run_all_output, tmp_path_factory) -> Path:
    """One good model, one damaged, one foreign, one saved without its vocabulary."""
    folder = tmp_path_factory.mktemp("damaged")
    for name in ("lstm_basic.keras", "lstm_basic.json"):
        shutil.copy(run_all_output / name, folder / name)
    (folder / "cnn_lstm.keras").write_bytes(b"PK\x03\x04 not a whole archive")
    (folder / "lstm_masked.keras").write_text("print('hello')\n")
    return folder


def test_a_model_that_fails_to_load_is_listed_unavailable(damaged_folder):
    models = demo.load_models(damaged_folder)
    with TestClient(demo.create_app(demo.Demo(damaged_folder, models))) as client:
        listing = {m["name"]: m for m in client.get("/api/models").json()["models"]}
        assert list(listing) == ["lstm_basic", "cnn_lstm", "lstm_masked"]
        assert listing["lstm_basic"]["available"]
        for name in ("cnn_lstm", "lstm_masked"):
            assert not listing[name]["available"]
            assert "not a readable .keras model" in listing[name]["error"]
        status, answer = post(client, json.dumps({"review": REVIEW}))
        assert status == 200 and list(answer["models"]) == ["lstm_basic"]
        status, answer = post(client, json.dumps({"review": REVIEW, "models": ["cnn_lstm"]}))
        assert status == 409 and "model cnn_lstm is unavailable" in answer["error"]


def test_without_models_the_page_says_what_to_train(tmp_path):
    folder = tmp_path / "my results"
    with TestClient(demo.create_app(demo.Demo(folder, demo.load_models(folder)))) as client:
        listing = client.get("/api/models").json()
        assert listing["models"] == []
        assert listing["train_commands"] == [
            f"make run-all OUTPUT='{folder}'",
            f"make lstm_basic OUTPUT='{folder}'",
        ]
        status, answer = post(client, json.dumps({"review": REVIEW}))
        assert status == 503 and "no trained models in" in answer["error"]


def test_the_page_and_its_files_name_no_other_host():
    files = sorted(demo.PAGE.iterdir())
    assert [f.name for f in files] == ["demo.css", "demo.js", "favicon.svg", "index.html"]
    for path in files:
        text = path.read_text()
        # the SVG's namespace is a name, not something fetched
        text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert re.findall(r"(?:https?:)?//[\w.-]+\.\w", text) == [], path.name


# ---------------------------------------------------------------------------------------
# A real server: uvicorn on a free port of 127.0.0.1, as make demo starts it.


@pytest.fixture(scope="module")
def models_folder(request) -> Path:
    """The models the real server serves: run_all_output's, or DEMO_MODELS' (e.g. models
    trained on the real reviews, for docs/demo.png)."""
    if "DEMO_MODELS" in os.environ:
        return Path(os.environ["DEMO_MODELS"])
    return request.getfixturevalue("run_all_output")


@pytest.fixture(scope="module")
def server(models_folder):
    """`python -m tools.demo --port 0` serving models_folder, as make demo does; its address."""
    with demo.running_demo(models_folder) as address:
        yield address


def request(address: str, method: str, path: str, body: bytes = b"") -> tuple[int, dict]:
    url = urllib.parse.urlsplit(address)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    connection.request(method, path, body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.status, json.loads(response.read())
    connection.close()
    return answer


def refused_before_the_end(address: str, headers: str, body: bytes) -> bytes:
    """What the server answers to `headers` and the start of `body`, the rest unsent."""
    url = urllib.parse.urlsplit(address)
    with socket.create_connection((url.hostname, url.port), timeout=60) as connection:
        connection.sendall(f"POST /api/predict HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
        connection.sendall(body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def test_a_large_request_is_refused_before_it_is_read_whole(server):
    declared = f"Content-Length: {100 * demo.MAX_BODY_BYTES}\r\n"
    answer = refused_before_the_end(server, declared, b'{"review": "')
    assert answer.startswith(b"HTTP/1.1 413 ") and b"larger than" in answer
    # Chunked, with no length declared: refused once the limit is passed.
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b" " * (1 << 20))
    chunks = chunk * (demo.MAX_BODY_BYTES // (1 << 20) + 1)
    answer = refused_before_the_end(server, "Transfer-Encoding: chunked\r\n", chunks)
    assert answer.startswith(b"HTTP/1.1 413 ") and b"larger than" in answer
    assert request(server, "POST", "/api/predict", b'{"review": "superb"}')[0] == 200


def test_concurrent_requests_get_their_own_answers(server):
    reviews = [f"{'superb ' * n}{'awful ' * (8 - n)}film" for n in range(9)]

    def answer(review: str) -> dict:
        status, answer = request(
            server, "POST", "/api/predict", json.dumps({"review": review}).encode()
        )
        assert status == 200
        return answer

    expected = {review: answer(review) for review in reviews}
    asked = reviews * 4
    with ThreadPoolExecutor(4) as clients:
        answers = list(clients.map(answer, asked))
    assert [got == expected[review] for got, review in zip(answers, asked, strict=True)] == [
        True
    ] * len(asked)
    # They differ from each other: a mix-up would show.
    probabilities = {e["models"]["lstm_basic"]["probability_positive"] for e in expected.values()}
    assert len(probabilities) == len(reviews)


def test_a_port_in_use_is_one_line(server):
    port = urllib.parse.urlsplit(server).port
    result = run_command(sys.executable, "-m", "tools.demo", "--port", str(port))
    assert_clean_error(result, f"cannot serve on 127.0.0.1 port {port}", "PORT=8001")


# ---------------------------------------------------------------------------------------
# The page in headless Chromium from the system packages (Debian's chromium and
# chromium-driver), driven by Selenium through that chromedriver: nothing is downloaded.

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=en-US",
    "--window-size=1100,1000",
]  # fmt: skip
WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        reason = "no Chromium here: apt-get install chromium chromium-driver (make test-browser)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"]:
        options.add_argument(flag)
    # Every request the page makes, and its console messages, for the checks below.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=ChromeService(CHROMEDRIVER))
    yield driver
    driver.quit()


def wait_for(driver, condition: str) -> None:
    """Waits until the JavaScript expression `condition` is true on the page."""
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.execute_script(f"return {condition}"))


def shown(driver) -> dict[str, dict]:
    """Each model's card as the page shows it: probability (as written and in full), label."""
    cards = {}
    for card in driver.find_elements(By.CSS_SELECTOR, ".model:not(.unavailable)"):
        probability = card.find_element(By.CLASS_NAME, "probability")
        cards[card.get_attribute("data-model")] = {
            "text": probability.text,
            "probability": float(probability.get_attribute("data-probability")),
            "label": card.find_element(By.CLASS_NAME, "label").get_attribute("data-label"),
        }
    return cards


def assert_shows_what_predict_py_prints(driver, folder: Path, review: str) -> None:
    cards = shown(driver)
    assert cards, "no model on the page"
    for model, card in cards.items():
        expected = printed(folder, model, review)
        assert card == {
            "text": f"{expected['probability_positive']:.3f}",
            "probability": expected["probability_positive"],
            "label": expected["label"],
        }, model


def classify_by_hand(driver, review: str) -> None:
    textarea = driver.find_element(By.ID, "review")
    textarea.clear()
    textarea.send_keys(review)
    driver.find_element(By.ID, "classify").click()
    wait_for(driver, f"document.body.dataset.classified === {json.dumps(review)}")


@pytest.mark.browser
def test_the_page_shows_what_predict_py_prints(browser, server, models_folder, tmp_path):
    browser.get(server)
    wait_for(browser, "document.body.dataset.ready === 'true'")
    classify_by_hand(browser, REVIEW)
    assert_shows_what_predict_py_prints(browser, models_folder, REVIEW)
    words = browser.find_elements(By.CSS_SELECTOR, "#reading-list .word")
    assert [(w.text, w.get_attribute("class")) for w in words] == [
        *((word, "word known") for word in REVIEW_WORDS),
        ("zyxwv", "word unknown"),
    ]
    shared = urllib.parse.urlsplit(browser.current_url)
    assert urllib.parse.parse_qs(shared.query) == {"review": [REVIEW]}

    # The switch: the page in Chinese, and back.
    browser.find_element(By.ID, "language").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "用你自己的影评试试这些模型"
    labels = {label.text for label in browser.find_elements(By.CSS_SELECTOR, ".model .label")}
    assert labels <= {"正面", "负面"}
    browser.find_element(By.ID, "language").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Try the models on your own review"

    # An example, clicked; the page as docs/demo.png shows it.
    example = browser.find_element(By.CSS_SELECTOR, ".example[data-text=exampleRare]")
    example.click()
    review = example.get_attribute("data-review")
    wait_for(browser, f"document.body.dataset.classified === {json.dumps(review)}")
    assert browser.find_element(By.ID, "review").get_attribute("value") == review
    assert_shows_what_predict_py_prints(browser, models_folder, review)
    screenshot = Path(os.environ.get("DEMO_SCREENSHOT", tmp_path / "demo.png"))
    assert browser.save_screenshot(str(screenshot))


@pytest.mark.browser
def test_a_shared_link_opens_the_review_classified(browser, server, models_folder):
    review = "Superb zyxwv " + "film " * 500  # 502 words: the first two are cut
    browser.get(server + "?review=" + urllib.parse.quote(review))
    wait_for(browser, "document.body.dataset.ready === 'true'")
    assert browser.find_element(By.ID, "review").get_attribute("value") == review
    assert_shows_what_predict_py_prints(browser, models_folder, review)
    marks = [w.get_attribute("class") for w in browser.find_elements(By.CSS_SELECTOR, ".word")]
    # the legend's three, then the review's
    assert marks[3:6] == ["word cut", "word cut", "word known"] and len(marks) == 3 + 502


@pytest.mark.browser
def test_an_error_is_shown_on_the_page(browser, server):
    browser.get(server)
    wait_for(browser, "document.body.dataset.ready === 'true'")
    browser.find_element(By.ID, "classify").click()
    wait_for(browser, "!document.getElementById('error').hidden")
    assert browser.find_element(By.ID, "error").text == "the review is empty"


@pytest.mark.browser
def test_the_page_asked_nothing_of_another_host(browser, server):
    """Every request the browser made here (and in the tests above) went to the demo's
    server, and the console holds no error (a blocked request or a script error would be
    one)."""
    browser.get(server)
    wait_for(browser, "document.body.dataset.ready === 'true'")
    classify_by_hand(browser, "Superb.")
    requested = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in browser.get_log("performance")
        if '"Network.requestWillBeSent"' in entry["message"]
    ]
    # chrome:// and data: are no host: the browser's own first tab, and what it holds
    assert [url for url in requested if not url.startswith((server, "chrome://", "data:"))] == []
    assert server + "static/demo.js" in requested
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    empty_review = (
        f"{server}api/predict - Failed to load resource: the server responded with a status of 400"
    )
    assert [e for e in errors if not e.startswith(empty_review)] == []  # but the one asked for


# ---------------------------------------------------------------------------------------
# docs/demo.md's figures are the committed benchmark's, and the limits the server holds.


def test_the_docs_show_the_committed_benchmark():
    bench = json.loads((ROOT / "docs/results/demo/bench_demo.json").read_text())
    page = (ROOT / "docs/demo.md").read_text()
    assert bench["models"] == ALL_MODELS[:4]
    assert bench["machine"].startswith("AMD EPYC (2 cores") and "2-core AMD EPYC" in page
    before, after = bench["load_average_before_and_after"]
    assert f"(load average {before:.1f} just before, {after:.1f} at the end" in " ".join(
        page.split()
    )
    rows = {"sequential": "one, a review after the other", "concurrent": "four at once"}
    for part, clients in rows.items():
        timed = bench[part]
        assert timed["answers"] == len(timed["milliseconds"]) == 300
        assert timed["median_ms"] == statistics.median(timed["milliseconds"])
        row = (
            f"| {clients} | 300 | {timed['median_ms']:.0f} ms | {timed['p95_ms']:.0f} ms "
            f"| {timed['answers_per_second']:.1f} |"
        )
        assert row in page.splitlines()
    assert bench["concurrent"]["clients"] == 4


def test_the_docs_give_the_limits_the_server_holds():
    page = (ROOT / "docs/demo.md").read_text()
    assert f"| a request over {demo.MAX_BODY_BYTES:,} bytes | 413 |" in page
    assert f"| a review over {text_files.MAX_REVIEW_CHARACTERS:,} characters" in page
