"""The import's fast row reader accepts only what `FigureIn` accepts, with equal values."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.schemas.writes import FigureIn
from app.services.imports import Row, _fast, parse_row

texts = st.sampled_from(
    [
        "basic-sro",
        "Basic-SRO",
        " basic-sro",
        "a--b",
        "x" * 101,
        "",
        "2019",
        "2019-01/2019-08",
        "2019-08/2019-01",
        "2019-03",
        " 2019",
        "2019-1",
        "final",
        "provisional",
        "Final",
        "12",
        "0",
        "-1",
        "007",
        "1e3",
        "١٢",
        "10000001",
        "2147483648",
        "note",
        " note ",
    ]
) | st.text(max_size=12)
values = texts | st.integers(-3, 2**32) | st.none() | st.booleans() | st.floats(allow_nan=False)
rows = st.dictionaries(
    st.sampled_from(["course", "period", "completions", "status", "note", "source_id", "year"]),
    values,
    min_size=3,
)


VALID = {
    "course": "basic-sro",
    "period": "2019-01/2019-08",
    "completions": "2516",
    "source_id": "1",
}


def assert_agreement(raw: dict[str, Any]) -> None:
    """`_fast` takes a row only if the model does, and then reads the same values."""
    fast = _fast(7, raw)
    try:
        model = FigureIn.model_validate(raw)
    except ValidationError:
        assert fast is None
        return
    slow = parse_row(7, raw)
    assert isinstance(slow, Row)
    assert slow == Row(
        7,
        model.course,
        model.period_value(),
        model.completions,
        model.status,
        model.note,
        model.source_id,
    )
    if fast is not None:
        assert fast == slow


VALID = {
    "course": "basic-sro",
    "period": "2019-01/2019-08",
    "completions": "2516",
    "source_id": "1",
}


@given(rows)
def test_fast_reader_agrees_with_the_model(raw: dict[str, Any]) -> None:
    assert_agreement(raw)


@given(st.sampled_from([*sorted(VALID), "status", "note"]), values)
def test_one_changed_field_gets_the_same_verdict(key: str, value: Any) -> None:
    assert_agreement({**VALID, key: value})


def test_the_plain_row_takes_the_fast_path() -> None:
    fast = _fast(1, VALID)
    assert fast is not None
    assert (fast.course, fast.period.iso, fast.completions, fast.status, fast.source_id) == (
        "basic-sro",
        "2019-01/2019-08",
        2516,
        "final",
        1,
    )
