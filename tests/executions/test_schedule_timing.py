"""When a schedule fires, checked before Temporal sees it: one clear message per mistake."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wfb_jupyter.errors import InputError
from wfb_jupyter.executions import (
    ScheduleTiming,
    check_cron,
    check_overlap,
    check_timezone,
    parse_duration,
)


class TestCheckCron:
    @pytest.mark.parametrize(
        "cron",
        [
            "0 7 * * MON-FRI",
            "*/15 * * * *",
            "0 0 1 JAN,jul *",
            "5,10-20/5 0-23/2 1-31 1-12 0-7",
            "0 12 ? * SUN",
            "@daily",
        ],
    )
    def test_accepts(self, cron: str) -> None:
        assert check_cron(cron) == cron

    def test_tidies_spaces(self) -> None:
        assert check_cron("  0  7 * *   MON ") == "0 7 * * MON"

    @pytest.mark.parametrize(
        ("cron", "reason"),
        [
            ("0 7 * *", "it has 4 fields, not 5"),
            ("0 7 * * * *", "it has 6 fields, not 5"),
            ("", "it has 0 fields, not 5"),
            ("60 * * * *", "minute 60 is out of range (0-59)"),
            ("0 24 * * *", "hour 24 is out of range (0-23)"),
            ("0 0 0 * *", "day of month 0 is out of range (1-31)"),
            ("0 0 * 13 *", "month 13 is out of range (1-12)"),
            ("0 7 * * MONX", "day of week 'MONX' is not a number or a name SUN-SAT"),
            ("0 7 * FOO *", "month 'FOO' is not a number or a name JAN-DEC"),
            ("0 7 * * FRI-MON", "day of week range 'FRI-MON' runs backwards"),
            ("*/0 * * * *", "minute step '0' is not a whole number above 0"),
            ("? * * * *", "'?' is only allowed for the day of month or of week"),
            ("1-2-3 * * * *", "minute '1-2-3' is not *, */n, a value, a range a-b or a list"),
        ],
    )
    def test_refuses_with_the_reason(self, cron: str, reason: str) -> None:
        with pytest.raises(InputError) as caught:
            check_cron(cron)
        message = str(caught.value)
        assert message.startswith(f"invalid cron {' '.join(cron.split())!r}: {reason}; ")
        assert "0 7 * * MON-FRI" in message  # an example of what to write


class TestCheckTimezone:
    def test_accepts_iana_names(self) -> None:
        assert check_timezone("Europe/Paris") == "Europe/Paris"
        assert check_timezone("UTC") == "UTC"

    def test_suggests_the_right_case(self) -> None:
        with pytest.raises(
            InputError, match="unknown time zone 'europe/paris'; did you mean 'Europe/Paris'"
        ):
            check_timezone("europe/paris")

    def test_unknown(self) -> None:
        with pytest.raises(InputError, match=r"unknown time zone 'Mars/Olympus' \(IANA names"):
            check_timezone("Mars/Olympus")


class TestParseDuration:
    @pytest.mark.parametrize(
        ("text", "seconds"),
        [("15m", 900), ("1s", 1), ("1h30m", 5400), ("2d", 172800), (" 90 s", 90)],
    )
    def test_reads(self, text: str, seconds: int) -> None:
        assert parse_duration(text) == timedelta(seconds=seconds)

    @pytest.mark.parametrize("text", ["", "15", "m", "1.5m", "15 minutes", "-1s", "1w"])
    def test_refuses(self, text: str) -> None:
        with pytest.raises(InputError, match="write a number and a unit"):
            parse_duration(text)

    def test_at_least_a_second(self) -> None:
        with pytest.raises(InputError, match="at least 1s"):
            parse_duration("0s")


class TestTiming:
    def test_every_or_cron_not_both_nor_none(self) -> None:
        with pytest.raises(InputError, match="either every INTERVAL"):
            ScheduleTiming.checked()
        with pytest.raises(InputError, match="not both"):
            ScheduleTiming.checked(every="1m", cron="* * * * *")

    def test_spec_and_description(self) -> None:
        every = ScheduleTiming.checked(every="15m")
        assert every.spec().intervals[0].every == timedelta(minutes=15)
        assert every.describe() == "every 15m"
        cron = ScheduleTiming.checked(cron="0 7 * * MON-FRI", timezone="Europe/Paris")
        spec = cron.spec()
        assert (list(spec.cron_expressions), spec.time_zone_name) == (
            ["0 7 * * MON-FRI"],
            "Europe/Paris",
        )
        assert cron.describe() == "cron '0 7 * * MON-FRI' (Europe/Paris)"

    def test_overlap_names(self) -> None:
        assert check_overlap("BUFFER_ONE") == "buffer-one"
        with pytest.raises(InputError, match="choose one of skip, buffer-one"):
            check_overlap("sometimes")
