"""bench/local_scaling.py measures what it says: the request count is known, the engine
takes its concurrency from /props, and the table's arithmetic (no timing asserted)."""

from __future__ import annotations

from bench.local_scaling import Row, measure, table


def test_a_measurement_sends_the_known_requests_at_the_server_slots() -> None:
    row = measure(slots=4, requests=8, latency=0.0, pack=3)
    assert (row.slots, row.concurrency, row.requests, row.correct) == (4, 4, 8, True)
    assert 1 <= row.max_in_flight <= 4


def test_the_table_divides_the_speed_up_by_n() -> None:
    rows = [Row(1, 1, 48, 8.0, 1, True), Row(2, 2, 48, 4.0, 2, True), Row(8, 8, 48, 2.0, 8, True)]
    text, ok = table(rows)
    assert "| 2 | 2 | 48 | 4.00 | 12.0 | 2.00 | 1.00 | 2 | yes |" in text
    assert "| 8 | 8 | 48 | 2.00 | 24.0 | 4.00 | 0.50 | 8 | yes |" in text
    assert not ok  # 0.50 < 0.8
    assert table(rows[:2])[1]
    assert not table([*rows[:1], Row(2, 2, 48, 4.0, 2, False)])[1]  # a wrong string fails it
