"""Qwen-MT's `[engine]` settings: region, model, key, domains, limits and pack sizing keys.

Each key has one meaning and is checked when the engine (or the dry run's sizing) is built:
a bad value is a one-line Fatal naming the key. `pack_size` caps the strings of one request
(`batch_size` is its old name), `pack_tokens` is the input budget of one request (default:
the account's TPM / RPM, less a margin), `max_input_tokens` is the model's input limit, and
`[engine] adaptive` (a typed EngineSettings field) turns the per-locale pack sizes on or off.
"""

from __future__ import annotations

from collections.abc import Mapping

from locflow.connectors.engines.base import Fatal
from locflow.connectors.engines.languages import MODELS
from locflow.connectors.engines.sizing import OUTPUT_BASE, OUTPUT_PER_STRING, OUTPUT_RATIO
from locflow.settings import EngineSettings

KEY_ENV = "DASHSCOPE_API_KEY"
DEFAULT_MODEL = "qwen-mt-flash"
REGIONS: dict[str, str] = {
    "singapore": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "beijing": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "virginia": "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
    "hongkong": "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1",
}
REGION_ALIASES: dict[str, str] = {
    "intl": "singapore",
    "international": "singapore",
    "ap-southeast-1": "singapore",
    "china": "beijing",
    "cn": "beijing",
    "cn-beijing": "beijing",
    "us": "virginia",
    "us-east-1": "virginia",
    "hong kong": "hongkong",
    "hong-kong": "hongkong",
    "hk": "hongkong",
    "cn-hongkong": "hongkong",
}
DEFAULT_RPM = 60.0
DEFAULT_TPM: dict[str, float] = {
    "singapore": 100_000,
    "virginia": 100_000,
    "beijing": 35_000,
    "hongkong": 35_000,  # not published: Beijing's, the lower one
}
MAX_INPUT_TOKENS = 8192
"""The models' input limit: `[engine] max_input_tokens` by default."""
MAX_OUTPUT_TOKENS = 8192
"""The models' output limit; `max_tokens` (which the API reference allows) never asks more."""
HEADROOM_TOKENS = 256
"""Kept free under the 8,192-token input cap: the hidden wrapper and estimate error."""
OVERHEAD_TOKENS = 53
"""Prompt tokens Qwen-MT adds around the text (the docs bill 53 for one short sentence)."""
MIN_PACK_TOKENS = 10 * OVERHEAD_TOKENS
"""The default `pack_tokens` never goes below this (530): when the RPM is so high that TPM /
RPM is small, the TPM binds whatever the pack size, and a bigger pack spends less of it on
the 53 tokens each request costs besides its strings (at most a tenth here)."""
DEFAULT_CONCURRENCY = 4
"""Requests in flight; the pacer, not this, keeps to the RPM (60 RPM at ~1-2 s latency)."""
MAX_PACK = 200
"""Strings per request at most (`[engine] pack_size`): high enough that for UI strings the
token budget binds, not the count (Django's admin strings fill 1,633 tokens at about 140 a
pack; a cap of 100 bound first, costing 14-20 paid requests per 1,000 strings against 11-16
at 200, bench/throughput_bench.py); the size adapts below it per locale when replies fail
to verify. Locales start at the cap (PackingTranslator's default): at the provider's limit
every request counts, a misaligned pack costs one request, and halving finds a size that
verifies in a few packs (log2(200) < 8); the database resumes what earlier runs learnt."""
PACK_SIZE_LIMIT = 500
"""`pack_size` at most: a full pack's line markers must leave room for its reply."""
BUDGET_MARGIN = 0.02
"""The default `pack_tokens` is the account's TPM / RPM less this fraction: a full pack
then takes a little less than its request's share of the TPM, so requests, not tokens, set
the pace, and calibration error does not overrun the TPM (100,000 / 60 -> 1,633). Larger
packs add no throughput (the TPM binds) but cost more when one misaligns."""
_ASCII_PUNCT = str.maketrans(
    {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "}
)


def _model(settings: EngineSettings) -> str:
    model = settings.model or DEFAULT_MODEL
    if model not in MODELS and not model.startswith("qwen-mt-"):
        raise Fatal(f"qwen_mt: {model!r} is not a Qwen-MT model; use one of {', '.join(MODELS)}")
    return model


def _region(settings: EngineSettings) -> str:
    region = (settings.region or "singapore").strip().lower()
    region = REGION_ALIASES.get(region, region)
    if region not in REGIONS:
        raise Fatal(
            f"qwen_mt: unknown region {settings.region!r}; use one of "
            f"{', '.join(REGIONS)} (or set base_url)"
        )
    return region


def _api_key(env: Mapping[str, str], region: str) -> str:
    key = (env.get(KEY_ENV) or "").strip()
    if not key:
        raise Fatal(
            f"qwen_mt: {KEY_ENV} is not set; export your Model Studio API key "
            f"(one issued for the {region} region) to use this engine"
        )
    return key


def _domains(settings: EngineSettings) -> str:
    domains = " ".join(settings.domains.translate(_ASCII_PUNCT).split())
    if not domains.isascii():
        raise Fatal(
            "qwen_mt: [engine] domains must be English text (Qwen-MT rejects anything else)"
        )
    return domains


def _whole(settings: EngineSettings, key: str, default: int, least: int = 1) -> int:
    value = settings.option(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise Fatal(
            f"qwen_mt: [engine] {key} must be a whole number of at least {least}, not {value!r}"
        )
    return value


def _max_pack(settings: EngineSettings) -> int:
    """`pack_size` (`batch_size`, its old name): strings per request at most."""
    key = "batch_size" if settings.option("pack_size") is None else "pack_size"
    size = _whole(settings, key, MAX_PACK if settings.option(key) is None else -1)
    if size > PACK_SIZE_LIMIT:
        raise Fatal(f"qwen_mt: [engine] {key} must be at most {PACK_SIZE_LIMIT}, not {size}")
    return size


def max_input(settings: EngineSettings) -> int:
    """Input tokens one request may carry: `max_input_tokens` (the model's limit) less
    HEADROOM_TOKENS."""
    limit = _whole(settings, "max_input_tokens", MAX_INPUT_TOKENS, least=HEADROOM_TOKENS + 1)
    return limit - HEADROOM_TOKENS


def output_room(cap: int) -> int:
    """Input tokens a pack of `cap` strings may hold so that its `max_tokens` (see
    sizing.max_output_tokens) stays within MAX_OUTPUT_TOKENS: a full pack is never cut."""
    return (MAX_OUTPUT_TOKENS - OUTPUT_BASE - OUTPUT_PER_STRING * cap) // OUTPUT_RATIO


def pack_tokens(settings: EngineSettings, cap: int) -> int:
    """`pack_tokens`: estimated input tokens per pack (calibrated by the provider's counts)
    at most; default the account's TPM / RPM less BUDGET_MARGIN, within `max_input` and
    `output_room`."""
    limit = min(max_input(settings), output_room(cap))
    if settings.option("pack_tokens") is None:
        rpm = settings.rpm or DEFAULT_RPM
        tpm = settings.tpm or DEFAULT_TPM[_region(settings)]
        knee = max(int(tpm / rpm * (1 - BUDGET_MARGIN)), MIN_PACK_TOKENS)
        return min(knee, limit)
    value = _whole(settings, "pack_tokens", -1)
    if value > limit:
        raise Fatal(
            f"qwen_mt: [engine] pack_tokens must be at most {limit} (max_input_tokens less "
            f"{HEADROOM_TOKENS}, and a reply of {cap} strings within {MAX_OUTPUT_TOKENS} "
            f"output tokens), not {value}"
        )
    return value
