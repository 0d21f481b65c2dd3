from pathlib import Path

from app.openapi import render

SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"


def test_checked_in_openapi_is_current(app):
    assert SPEC.read_text() == render(app), (
        "openapi.yaml is stale: regenerate it with `sentio openapi > openapi.yaml`"
    )


def test_operation_ids_are_unique_and_readable(app):
    ids = [op["operationId"] for path in app.openapi()["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert all(i[0].islower() and "_" not in i for i in ids), ids
