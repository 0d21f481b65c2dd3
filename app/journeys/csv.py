"""The customer reports as flat tables: a header row, then one line per group (and
category, or touchpoint, or stage and scale). Text cells are made safe for spreadsheets."""

from typing import Any

from app.csvutil import number_cell, text_cell, write_rows

CHURN_FIELDS = ["customers", "eligible", "pending", "churned", "churn_rate"]


def _interval(value: dict | None) -> list[str]:
    return [number_cell(value and value["low"]), number_cell(value and value["high"])]


def _churn_cells(cells: dict[str, Any]) -> list[str]:
    line = [number_cell(cells[name]) for name in CHURN_FIELDS]
    line += _interval(cells["churn_rate_ci95"])
    return [*line, cells["value_eligible"], cells["value_churned"]]


def churn_csv(report: dict[str, Any]) -> str:
    group_by = report["group_by"]
    header = [*group_by, "category", *CHURN_FIELDS, "churn_rate_low", "churn_rate_high"]
    header += ["value_eligible", "value_churned"]
    header += ["relative_risk", "relative_risk_low", "relative_risk_high"]
    lines = []
    for group in report["groups"]:
        keys = [text_cell(group["group"][name]) for name in group_by]
        risk = [number_cell(group["relative_risk"]), *_interval(group["relative_risk_ci95"])]
        for row in group["rows"]:
            lines.append([*keys, text_cell(row["category"]), *_churn_cells(row), *risk])
    return write_rows(header, lines)


DRIVER_FIELDS = ["n_good", "n_bad", "nps_good", "nps_bad", "gap", "z", "p", "significant"]


def drivers_csv(report: dict[str, Any]) -> str:
    group_by = report["group_by"]
    header = [*group_by, "touchpoint", "n_good", "n_bad", "nps_good", "nps_good_low"]
    header += ["nps_good_high", "nps_bad", "nps_bad_low", "nps_bad_high", "gap", "z", "p"]
    header += ["significant", "reach", "impact"]
    lines = []
    for row in report["rows"]:
        line = [text_cell(row["group"][name]) for name in group_by]
        line += [
            text_cell(row["touchpoint"]),
            number_cell(row["n_good"]),
            number_cell(row["n_bad"]),
        ]
        line += [number_cell(row["nps_good"]), *_interval(row["nps_good_ci95"])]
        line += [number_cell(row["nps_bad"]), *_interval(row["nps_bad_ci95"])]
        line += [number_cell(row[name]) for name in ("gap", "z", "p", "significant")]
        line += [number_cell(row["reach"]), number_cell(row["impact"])]
        lines.append(line)
    return write_rows(header, lines)


SCORE_FIELDS = {"nps": "nps", "csat": "csat", "ces": "ces"}


def journey_csv(report: dict[str, Any]) -> str:
    """One line per stage and scale answered there (a stage without answers: one line with
    empty score cells), the stage's churn repeated on each."""
    header = ["position", "stage", "kind", "scale_min", "scale_max", "n", "score"]
    header += ["score_low", "score_high", "previous_n", "change_delta", "change_z"]
    header += ["change_p", "change_significant", "churn_customers", "churn_eligible"]
    header += ["churn_pending", "churned", "churn_rate", "churn_rate_low", "churn_rate_high"]
    header += ["value_eligible", "value_churned"]
    lines = []
    for stage in report["stages"]:
        head = [number_cell(stage["position"]), text_cell(stage["stage"])]
        churn = _churn_cells(stage["churn"])
        for score in stage["scores"] or [None]:
            if score is None:
                lines.append([*head, *[""] * 12, *churn])
                continue
            name = SCORE_FIELDS[score["kind"]]
            change = score["change"] or {}
            line = [*head, text_cell(score["kind"]), number_cell(score["scale_min"])]
            line += [number_cell(score["scale_max"]), number_cell(score["n"])]
            line += [number_cell(score[name]), *_interval(score[f"{name}_ci95"])]
            line += [number_cell(score["previous_n"])]
            line += [number_cell(change.get(k)) for k in ("delta", "z", "p", "significant")]
            lines.append([*line, *churn])
    return write_rows(header, lines)
