"""Sign-in throttling: exponential back-off per account and per client address, and a bound
on the password checks that run at once.

Why back-off and never a lockout: a lockout lets anyone who knows a reviewer's name keep
them out. Here a failed sign-in only makes the next attempt for that account (and from that
address) wait, doubling from `base` up to a cap (60 s for an account), and an attempt after
the wait is checked as usual, so the right password still signs in. Attempts made while a
wait runs are refused (429 with `Retry-After`) without checking the password and without
lengthening the wait. Why a bound on checks: one argon2id verification takes 64 MiB, so a
burst of sign-ins would take the server's memory with it; `PasswordChecks` lets two run at
once and refuses the rest after a short wait.

The state lives in this process (a restart forgets it), bounded in size: the keys not seen
for the longest time are dropped first. Pure: the clock is injected, nothing here does I/O.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

Clock = Callable[[], float]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Backoff:
    """`free` failures cost nothing; the next ones wait `base`, 2·`base`, 4·`base`… ≤ `cap`."""

    free: int
    base: float
    cap: float

    def delay(self, failures: int) -> float:
        extra = failures - self.free
        if extra <= 0:
            return 0.0
        return min(self.cap, self.base * 2 ** min(extra - 1, 62))


ACCOUNT = Backoff(free=3, base=1.0, cap=60.0)
ADDRESS = Backoff(free=10, base=1.0, cap=300.0)
FORGET_AFTER = 24 * 3600.0
"""A key with no failure for this long starts again from zero."""
MAX_KEYS = 20_000
"""Keys kept per kind (about 100 bytes each); the least recently failed go first."""


@dataclass
class _Record:
    failures: int
    last: float
    until: float


@dataclass
class _Table:
    rule: Backoff
    max_keys: int
    records: OrderedDict[str, _Record] = field(default_factory=OrderedDict)

    def wait(self, key: str, now: float) -> float:
        record = self.records.get(key)
        if record is None or now - record.last > FORGET_AFTER:
            return 0.0
        return max(0.0, record.until - now)

    def fail(self, key: str, now: float) -> None:
        record = self.records.pop(key, None)
        failures = 1 if record is None or now - record.last > FORGET_AFTER else record.failures + 1
        self.records[key] = _Record(failures, now, now + self.rule.delay(failures))
        while len(self.records) > self.max_keys:
            self.records.popitem(last=False)

    def forget(self, key: str) -> None:
        self.records.pop(key, None)


class SignInThrottle:
    """How long a sign-in for (account, address) must wait; thread-safe, one per process."""

    def __init__(
        self,
        clock: Clock = time.monotonic,
        *,
        account: Backoff = ACCOUNT,
        address: Backoff = ADDRESS,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._accounts = _Table(account, max_keys)
        self._addresses = _Table(address, max_keys)

    def wait(self, account: str, address: str) -> float:
        """Seconds before this attempt may be checked (0: check it now)."""
        now = self._clock()
        with self._lock:
            return max(self._accounts.wait(account, now), self._addresses.wait(address, now))

    def retry_after(self, account: str, address: str) -> int:
        """`wait` as the whole seconds of a `Retry-After` header (at least 1)."""
        return max(1, math.ceil(self.wait(account, address)))

    def failed(self, account: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            self._accounts.fail(account, now)
            self._addresses.fail(address, now)

    def succeeded(self, account: str, address: str) -> None:
        """The account starts afresh; the address keeps its count (one good account must
        not let an address guess at the others)."""
        with self._lock:
            self._accounts.forget(account)


class PasswordChecks:
    """At most `limit` password checks at once; others wait up to `patience` seconds."""

    def __init__(self, limit: int = 2, patience: float = 3.0) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self.patience = patience

    def acquire(self) -> bool:
        return self._slots.acquire(timeout=self.patience)

    def release(self) -> None:
        self._slots.release()


# --- which address a request comes from -------------------------------------------------


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """`["10.0.0.0/8", "::1"]` as networks; a bad entry raises ValueError naming it."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {value!r}") from None
    return tuple(out)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "1.2.3.4:5678"
        text = text.split(":", 1)[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped  # "::ffff:10.0.0.1" is 10.0.0.1
    return found


def _trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: Sequence[Network]) -> bool:
    return any(addr.version == net.version and addr in net for net in nets)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The address to throttle: the peer, unless the peer is a trusted proxy; then the
    right-most address of `X-Forwarded-For` that is not a trusted proxy (the left part of
    the header is whatever the client wrote, so it is never believed). An IPv6 client
    counts as its /64, the block one host usually has."""
    addr = _address(peer)
    if addr is None:
        return peer[:64] or "unknown"
    if _trusted(addr, trusted):
        hops = [h for line in forwarded_for for h in line.split(",") if h.strip()]
        for hop in reversed(hops):
            found = _address(hop)
            if found is None:
                break  # a garbled hop: keep the last proxy's address
            addr = found
            if not _trusted(found, trusted):
                break
    if addr.version == 6:
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return str(addr)
