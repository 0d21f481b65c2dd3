"""Scores as one flat table: a header row, one line per group and bucket."""

from app.csvutil import number_cell, text_cell, write_rows
from app.scores.schemas import KIND_FIELDS, ScoreReport

INTERVAL_FIELDS = ("nps_ci95", "csat_ci95", "mean_ci95", "ces_ci95", "easy_ci95")


def to_csv(report: ScoreReport) -> str:
    fields = KIND_FIELDS[report.kind]
    scale = range(report.scale_min, report.scale_max + 1)
    header = list(report.group_by)
    if report.interval != "none":
        header.append("bucket")
    header += ["n", "low_sample"]
    for name in fields:
        header += [f"{name}_low", f"{name}_high"] if name in INTERVAL_FIELDS else [name]
    header += [f"count_{value}" for value in scale]
    if report.interval != "none":
        header += ["change_delta", "change_z", "change_p", "change_significant"]

    lines = []
    for row in report.rows:
        line = [text_cell(row.group[name]) for name in report.group_by]
        if report.interval != "none":
            line.append(row.bucket.isoformat() if row.bucket else "")
        line += [number_cell(row.n), number_cell(row.low_sample)]
        for name in fields:
            value = getattr(row, name)
            if name in INTERVAL_FIELDS:
                line += [number_cell(value and value.low), number_cell(value and value.high)]
            else:
                line.append(number_cell(value))
        line += [number_cell(row.distribution[str(value)]) for value in scale]
        if report.interval != "none":
            c = row.change
            line += [number_cell(c and c.delta), number_cell(c and c.z), number_cell(c and c.p)]
            line.append(number_cell(c.significant) if c else "")
        lines.append(line)
    return write_rows(header, lines)
