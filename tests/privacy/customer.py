"""One customer's personal values, unique per test, to search for after an erasure."""

import uuid


def customer_data(*extra: str) -> dict[str, str]:
    tag = uuid.uuid4().hex[:12]
    values = {
        "customer_id": f"cust-{tag}",
        "comment": f"call me on 0170 {tag}",
        "attribute": f"plan-{tag}",
        "email": f"jo.{tag}@example.com",
        "name": f"Jo {tag}",
    }
    return values | {name: f"{name} {tag}" for name in extra}


def leaks(text: str, values: dict[str, str]) -> list[str]:
    """The values that appear in `text`."""
    return [value for value in values.values() if value in text]
