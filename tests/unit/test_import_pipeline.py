"""Parsing in a worker process gives exactly what parsing here gives; its failures reach the importer."""

import csv
import datetime as dt
import multiprocessing
import os
import threading
import unicodedata

import pytest

from donor_registry.errors import UserError
from donor_registry.importing import pipeline
from donor_registry.importing.headers import map_headers
from donor_registry.importing.readers import open_table
from donor_registry.importing.rows import RowParser

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

TODAY = dt.date(2026, 6, 1)
HEADERS = ["Họ và tên", "Năm sinh", "Số điện thoại", "Ngày hiến", "Loại hiến"]


def write(path, rows):
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def chunks_of(path, *, in_worker: bool) -> list[pipeline.ParsedChunk]:
    with open_table(path) as table:
        parser = pipeline.ChunkParser(RowParser(map_headers(table.headers, kind="donations"), kind="donations",
                                                today=TODAY), donations=True)
        with pipeline.parsed_chunks(table, parser, chunk_rows=3, in_worker=in_worker) as chunks:
            return list(chunks)


def test_the_worker_parses_exactly_as_this_process(tmp_path):
    path = write(tmp_path / "d.csv", [
        ["Lý Văn Sơn", "1970", "0987000002", "01/03/2026", ""],
        [unicodedata.normalize("NFD", "Đặng Thị Thảo"), "1999", "", "15/02/2026", "Hồng cầu"],
        ["Lý Văn Sơn", "1970", "0987000002", "01/04/2026", "Tiểu cầu"],
        ["Nguyễn Văn A", "1980", "", "31/02/2026", ""],  # no such day
        ["Nguyễn Văn A", "1980", "", "01/02/2026", ""],
        ["Lý Văn Sơn", "1970", "0987000002", "01/05/2026", ""],
        ["", "1990", "", "01/05/2026", ""],  # no name
    ])
    here = chunks_of(path, in_worker=False)
    assert chunks_of(path, in_worker=True) == here
    good = [(line, ordinal, donor is not None) for chunk in here for line, ordinal, donor, *_ in chunk.good]
    # Each donor is parsed once: later rows carry the ordinal of the first good row, no donor part.
    assert good == [(2, 0, True), (3, 1, True), (4, 0, False), (6, 2, True), (7, 0, False)]
    assert [(error.line, error.column) for chunk in here for error in chunk.errors] == [
        (5, "Ngày hiến"), (8, "Họ và tên")]
    assert [chunk.rows_read for chunk in here] == [3, 3, 1]


def test_a_failure_in_the_worker_is_raised_in_the_importing_process(tmp_path):
    path = write(tmp_path / "d.csv", [["Lý Văn Sơn", "1970", "", "01/03/2026", "x" * 200_000]])
    with pytest.raises(UserError, match=r"d\.csv, line 2: not a readable CSV row"):
        chunks_of(path, in_worker=True)


def test_a_worker_that_dies_is_reported_not_waited_for(tmp_path, monkeypatch):
    path = write(tmp_path / "d.csv", [["Lý Văn Sơn", "1970", "", "01/03/2026", ""]])
    monkeypatch.setattr(pipeline.ChunkParser, "parse", lambda self, chunk, position: os._exit(3))
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        chunks_of(path, in_worker=True)


def test_an_import_that_stops_early_stops_its_worker(tmp_path):
    path = write(tmp_path / "d.csv", [[f"Người {n}", "1970", "", "01/03/2026", ""] for n in range(3_000)])
    stopped = threading.Event()

    def read_one_chunk_then_stop():
        with open_table(path) as table:
            parser = pipeline.ChunkParser(RowParser(map_headers(table.headers, kind="donations"),
                                                    kind="donations", today=TODAY), donations=True)
            with pipeline.parsed_chunks(table, parser, chunk_rows=10, in_worker=True) as chunks:
                next(chunks)  # the worker is now blocked sending the next chunks
        stopped.set()

    reader = threading.Thread(target=read_one_chunk_then_stop, daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert stopped.is_set()
    assert multiprocessing.active_children() == []
