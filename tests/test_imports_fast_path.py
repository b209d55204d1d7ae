"""The import's fast readers (a row at a time, and a CSV chunk column by column) accept
only what `FigureIn` accepts, with equal values."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.domain.periods import Period
from app.schemas.writes import FigureIn
from app.services.imports.rows import CsvChunk, Row, _fast, _plain_chunk, parse_row
from app.services.imports.rows import record_of as _record

TEXTS = [
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
texts = st.sampled_from(TEXTS) | st.text(max_size=12)
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


CELLS = [*TEXTS, "'=1+2", "'note", "'12", "0000000000012", "100000000000", " 1", "x\x00"]
cells = st.sampled_from(CELLS) | st.text(max_size=12).filter(lambda t: not {"\n", "\r"} & set(t))
headers = st.lists(
    st.sampled_from(["course", "period", "completions", "status", "note", "source_id", "year"]),
    min_size=3,
    max_size=7,
)
FULL = ["course", "period", "completions", "status", "note", "source_id"]


@st.composite
def chunks(draw: st.DrawFn) -> CsvChunk:
    """CSV records as `parse_csv` yields them: plain rows with some cells changed."""
    header = draw(
        st.sampled_from([FULL, [c for c in FULL if c not in ("status", "note")]]) | headers
    )
    plain = {**VALID, "status": "provisional", "note": "from the release"}
    records = []
    for _ in range(draw(st.integers(1, 3))):
        record = [
            draw(cells) if draw(st.integers(0, 3)) == 0 else plain.get(column, "2019")
            for column in header
        ]
        if draw(st.integers(0, 9)) == 0:
            record = record[:-1] or ["x"]
        records.append(record)
    return CsvChunk(header, records)


@settings(max_examples=400)
@given(chunks())
def test_column_reader_agrees_with_the_row_reader(chunk: CsvChunk) -> None:
    """A chunk read column by column gives exactly the rows read one by one, or is
    handed to the row reader (None): never a row the row reader would refuse."""
    columns = _plain_chunk(chunk, 11)
    one_by_one = [parse_row(n, _record(chunk.header, r)) for n, r in enumerate(chunk.records, 11)]
    if columns is not None:
        assert [columns.row(i) for i in range(len(columns))] == one_by_one


def test_a_plain_chunk_is_read_column_by_column() -> None:
    header = ["course", "period", "completions", "status", "note", "source_id"]
    chunk = CsvChunk(
        header,
        [
            ["basic-sro", "2019-01/2019-08", "2516", "", "", "1"],
            ["basic-sro", "2018", "3289", "provisional", "as released", "2"],
        ],
    )
    columns = _plain_chunk(chunk, 2)
    assert columns is not None
    assert [columns.row(i) for i in range(len(columns))] == [
        parse_row(2, _record(header, chunk.records[0])),
        parse_row(3, _record(header, chunk.records[1])),
    ]
    assert columns.row(1) == Row(
        3, "basic-sro", Period(2018, 1, 12), 3289, "provisional", "as released", 2
    )
    assert columns.row(0).status == "final"
    assert columns.row(0).note is None


def test_every_listed_cell_in_every_column_gets_the_row_readers_verdict() -> None:
    plain = {**VALID, "status": "provisional", "note": "from the release"}
    for column in range(len(FULL)):
        for cell in CELLS:
            record = [plain[c] for c in FULL]
            record[column] = cell
            chunk = CsvChunk(FULL, [record, [plain[c] for c in FULL]])
            columns = _plain_chunk(chunk, 1)
            if columns is not None:
                rows = [parse_row(n, _record(FULL, r)) for n, r in enumerate(chunk.records, 1)]
                assert [columns.row(0), columns.row(1)] == rows, (FULL[column], cell)
