"""Scores as one flat table: a header row, one line per group and bucket."""

from typing import Any

from app.csvutil import number_cell, text_cell, write_rows
from app.scores.schemas import KIND_FIELDS

INTERVAL_FIELDS = ("nps_ci95", "csat_ci95", "mean_ci95", "ces_ci95", "easy_ci95")


def to_csv(report: dict[str, Any]) -> str:
    """`report` is what `service.compute` returns."""
    fields = KIND_FIELDS[report["kind"]]
    scale = range(report["scale_min"], report["scale_max"] + 1)
    group_by = report["group_by"]
    timed = report["interval"] != "none"
    header = list(group_by)
    if timed:
        header.append("bucket")
    header += ["n", "low_sample"]
    for name in fields:
        header += [f"{name}_low", f"{name}_high"] if name in INTERVAL_FIELDS else [name]
    header += [f"count_{value}" for value in scale]
    if timed:
        header += ["change_delta", "change_z", "change_p", "change_significant"]

    lines = []
    for row in report["rows"]:
        line = [text_cell(row["group"][name]) for name in group_by]
        if timed:
            line.append(row["bucket"].isoformat())
        line += [number_cell(row["n"]), number_cell(row["low_sample"])]
        for name in fields:
            value = row[name]
            if name in INTERVAL_FIELDS:
                line += [number_cell(value and value["low"]), number_cell(value and value["high"])]
            else:
                line.append(number_cell(value))
        line += [number_cell(row["distribution"][str(value)]) for value in scale]
        if timed:
            c = row["change"] or {}
            line += [number_cell(c.get(k)) for k in ("delta", "z", "p", "significant")]
        lines.append(line)
    return write_rows(header, lines)
