import asyncio

import pytest

from locflow.connectors.engines import (
    EngineError,
    Fatal,
    Limits,
    RateLimited,
    Rejected,
    Request,
    Transient,
    create_engine,
)
from locflow.connectors.engines.base import redact
from locflow.connectors.engines.pseudo import PseudoEngine, pseudo_localise
from locflow.settings import EngineSettings


def test_accented_bracketed_and_longer() -> None:
    out = pseudo_localise("Save the file before closing")
    assert out.startswith("[Šáṽé ţĥé ƒíļé ƀéƒöŕé çļöšíñĝ")
    assert out.endswith("]")
    assert 1.3 * len("Save the file before closing") <= len(out) - 2


def test_tokens_kept_byte_for_byte() -> None:
    out = pseudo_localise("[X0X]Open[X1X] [X12X] Xanadu")
    assert "[X0X]" in out and "[X1X]" in out and "[X12X]" in out
    assert "Ẋáñáðû" in out


def test_deterministic() -> None:
    text = "Deterministic [X0X] output"
    assert pseudo_localise(text) == pseudo_localise(text)
    assert pseudo_localise(text) != pseudo_localise("Deterministic [X0X] outputs")


def test_blank_text_is_returned_as_is() -> None:
    assert pseudo_localise("") == ""
    assert pseudo_localise("  ") == "  "


def test_glossary_targets_inserted_verbatim() -> None:
    out = pseudo_localise("Upload to the cloud, then Cloudy", [("cloud", "Nuage")])
    assert "Nuage" in out
    assert "Çļöûðý" in out  # "Cloudy" is not the term


def test_result_fields() -> None:
    engine = create_engine(EngineSettings(name="pseudo", concurrency=3))
    [result] = asyncio.run(
        engine.translate([Request("k", "Hello big world", "en", "fr", tokens=())])
    )
    assert result.model == "pseudo"
    assert result.tokens_in == 3
    assert result.tokens_out >= result.tokens_in
    assert engine.limits() == Limits(rpm=None, tpm=None, max_input_tokens=None, concurrency=3)


def test_reject_marker_exercises_the_error_path() -> None:
    engine = PseudoEngine.from_settings(EngineSettings(extra=(("reject", "BAD"),)))
    ok, bad = asyncio.run(
        engine.translate([Request("a", "fine", "en", "fr"), Request("b", "BAD one", "en", "fr")])
    )
    assert ok.ok and ok.error is None
    assert not bad.ok and bad.text is None and isinstance(bad.error, Rejected)


def test_unknown_engine_lists_known_names() -> None:
    with pytest.raises(ValueError, match=r"unknown engine 'nope'; known engines: .*pseudo"):
        create_engine(EngineSettings(name="nope"))


def test_settings_option() -> None:
    settings = EngineSettings(extra=(("temperature", 0.2),))
    assert settings.option("temperature") == 0.2
    assert settings.option("missing", 7) == 7


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"rpm": 0, "tpm": None, "max_input_tokens": None, "concurrency": 1}, "rpm"),
        ({"rpm": None, "tpm": -5, "max_input_tokens": None, "concurrency": 1}, "tpm"),
        ({"rpm": None, "tpm": None, "max_input_tokens": None, "concurrency": 0}, "concurrency"),
    ],
)
def test_limits_validation(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Limits(**kwargs)


def test_error_family() -> None:
    for cls in (Transient, RateLimited, Rejected, Fatal):
        assert issubclass(cls, EngineError)
    assert RateLimited("slow down", retry_after=2.5).retry_after == 2.5
    assert RateLimited("slow down").retry_after is None


@pytest.mark.parametrize(
    ("message", "leak"),
    [
        ("401: Incorrect API key provided: sk-abc123def456ghi789", "sk-abc123def456ghi789"),
        ("header Authorization: Bearer eyJhbGciOi.xyz", "eyJhbGciOi"),
        ("url ?api_key=s3cr3tvalue&x=1", "s3cr3tvalue"),
    ],
)
def test_error_message_is_one_line_without_secrets(message: str, leak: str) -> None:
    error = Fatal(message + "\n  trace line 2")
    assert "\n" not in str(error)
    assert leak not in str(error)
    assert "trace line 2" in str(error)


def test_exact_secret_redacted() -> None:
    assert redact("key=abc; token plainsecret", ["plainsecret"]) == "key=abc; token ***"
    assert "plainsecret" not in str(Transient("got plainsecret", secrets=["plainsecret"]))
