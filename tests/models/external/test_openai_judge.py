"""The OpenAI-compatible judge, its cache and replay, against a real HTTP server on loopback."""

from __future__ import annotations

import base64
import io

import pytest
from fake_openai_server import FakeOpenAI, last_text
from PIL import Image

from models.external.backends import make_backend
from models.external.cache import CachedBackend, ReplayBackend
from models.external.chat import ChatRequest, JudgeError, user_message
from models.external.openai_compat import OpenAICompatBackend, OpenAICompatConfig


def echo(body):
    return "echo: " + last_text(body)


def backend(server, **kw):
    cfg = OpenAICompatConfig(server.url, "judge-model", backoff_s=0.001, **kw)
    return OpenAICompatBackend(cfg)


def req(text, *images, **kw):
    return ChatRequest([user_message(text, *images)], max_tokens=8, **kw)


def test_images_are_sent_as_data_urls_with_bytes_unchanged():
    jpeg = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(jpeg, format="JPEG")
    with FakeOpenAI(echo) as server:
        b = backend(server)
        png_image = Image.new("RGB", (3, 2), (0, 0, 255))
        [reply] = b.complete([req("look", jpeg.getvalue(), png_image)])
    assert reply.text == "echo: look" and reply.error is None
    body = server.requests[0]
    assert body["model"] == "judge-model" and body["max_tokens"] == 8 and "temperature" not in body
    parts = body["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "image_url"]
    url = parts[1]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")  # labelled png as ImgEdit does
    assert base64.b64decode(url.split(",", 1)[1]) == jpeg.getvalue()
    decoded = Image.open(io.BytesIO(base64.b64decode(parts[2]["image_url"]["url"].split(",")[1])))
    assert decoded.size == (3, 2)


def test_retries_with_backoff_then_succeeds_and_gives_up_on_client_errors():
    with FakeOpenAI(echo) as server:
        server.failures = {"flaky": [503, 429, 500], "bad": [400], "down": [503] * 10}
        b = backend(server, max_retries=4)
        flaky, bad, down = b.complete([req("flaky"), req("bad"), req("down")])
    assert flaky.text == "echo: flaky"
    assert bad.text is None and "HTTP 400" in bad.error
    assert down.text is None and "HTTP 503" in down.error
    sent = [last_text(r) for r in server.requests]
    assert sent.count("flaky") == 4 and sent.count("bad") == 1 and sent.count("down") == 5


def test_concurrency_limit_is_respected():
    with FakeOpenAI(echo, delay_s=0.05) as server:
        replies = backend(server, concurrency=3).complete([req(f"q{i}") for i in range(12)])
    assert [r.text for r in replies] == [f"echo: q{i}" for i in range(12)]  # order kept
    assert server.max_in_flight == 3


def test_top_logprobs_are_returned():
    with FakeOpenAI(echo) as server:
        [reply] = backend(server).complete([req("score", top_logprobs=3)])
    assert server.requests[0]["logprobs"] is True and server.requests[0]["top_logprobs"] == 3
    assert reply.top_logprobs == [{"0": 0.0, "1": -1.0, "2": -2.0}]


def test_cache_replays_instead_of_reasking_and_replay_needs_no_server(tmp_path):
    cache = tmp_path / "judge_cache.jsonl"
    image = Image.new("RGB", (2, 2), (1, 2, 3))
    with FakeOpenAI(echo) as server:
        server.failures = {"fails": [400]}
        cached = CachedBackend(backend(server), cache)
        first = cached.complete([req("a", image), req("b"), req("fails")])
        again = CachedBackend(backend(server), cache).complete([req("a", image), req("b")])
        assert len(server.requests) == 3  # the second round was served from disk
    assert [r.text for r in again] == [r.text for r in first[:2]] and all(r.cached for r in again)
    assert len(cache.read_text().splitlines()) == 2  # the failed call is not cached
    replay = ReplayBackend(cache)
    assert replay.describe()["model"] == "judge-model"
    assert replay.complete([req("b")])[0].text == "echo: b"
    with pytest.raises(JudgeError, match="no recorded reply"):
        replay.complete([req("never asked")])
    # A different image is a different request.
    with pytest.raises(JudgeError):
        replay.complete([req("a", Image.new("RGB", (2, 2), (9, 9, 9)))])


def test_make_backend_specs(tmp_path):
    with FakeOpenAI(echo) as server:
        b = make_backend(f"openai:{server.url}:some/model", cache=tmp_path / "c.jsonl")
        assert b.describe()["model"] == "some/model"
        assert b.complete([req("x")])[0].text == "echo: x"
    assert make_backend(f"replay:{tmp_path / 'c.jsonl'}").complete([req("x")])[0].text == "echo: x"
    with pytest.raises(JudgeError, match="unknown kind 'gpt'"):
        make_backend("gpt:whatever")
    with pytest.raises(JudgeError, match="expected openai:"):
        make_backend("openai:localhost")
