"""A table of the data package as one Parquet file, written as it is read."""

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.services.package import BATCH, Resource, field_type, rows_query


class _Sink(io.RawIOBase):
    """A file a Parquet writer writes into; what it wrote so far is taken in pieces."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.pieces.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self.pieces = b"".join(self.pieces), []
        return out


def _arrow_type(column: Any) -> Any:
    import pyarrow as pa

    return {
        "datetime": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
        "integer": pa.int64(),
    }.get(field_type(column), pa.string())


def _arrow_cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def parquet_chunks(session: Session, resource: Resource) -> Iterator[bytes]:
    """The resource as one Parquet file, a row group of a few thousand rows at a time:
    memory stays flat however many rows the table has. Types as in the descriptor."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [pa.field(c.name, _arrow_type(c), nullable=c.nullable) for c in resource.table.columns],
        metadata={b"resource": resource.name.encode(), b"title": resource.title.encode()},
    )
    sink = _Sink()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        rows = session.execute(rows_query(resource))
        while batch := rows.fetchmany(BATCH):
            values = list(zip(*batch, strict=True))
            writer.write_batch(
                pa.record_batch(
                    [
                        pa.array([_arrow_cell(v) for v in column], type=field.type)
                        for column, field in zip(values, schema, strict=True)
                    ],
                    schema=schema,
                )
            )
            yield sink.take()
    yield sink.take()  # the footer
