"""The capability matrix: platform x field x argument, written from the platforms' own
declarations (docs/platforms.md carries it between two markers; a test fails when it drifts)."""

from __future__ import annotations

from gateway.platforms.api import FIELDS, Platform

__all__ = ["BEGIN", "END", "METHODS_BEGIN", "METHODS_END", "capability_matrix", "methods_table"]

BEGIN = "<!-- capability matrix: begin (gateway platforms --matrix) -->"
END = "<!-- capability matrix: end -->"
METHODS_BEGIN = "<!-- adapter methods: begin (gateway.platforms.FIELDS) -->"
METHODS_END = "<!-- adapter methods: end -->"


def methods_table() -> str:
    """A Markdown table: per area and field a plugin may declare, the UpstreamProvider
    methods its adapter overrides to answer it."""
    lines = ["| area | field | the adapter overrides |", "|---|---|---|"]
    for field in FIELDS:
        methods = ", ".join(f"`{m}`" for m in field.methods)
        lines.append(f"| {field.area} | `{field.coordinate}` | {methods} |")
    return "\n".join([METHODS_BEGIN, "", *lines, "", METHODS_END])


def _cell(platform: Platform, coordinate: str, argument: str | None) -> str:
    answer = platform.answer(coordinate)
    if answer is None:
        return "no"
    if argument is None:
        return "yes"
    if argument in answer.unsupported:
        return "no"
    if argument == "timezone" and answer.utc_days:
        return "UTC only"
    if argument == "pastDays" and answer.daily_only:
        return f"1 only for {', '.join(sorted(answer.daily_only))}"
    return "yes"


def capability_matrix(platforms: list[Platform]) -> str:
    """A Markdown table: a row per field and per argument of it, a column per platform."""
    ordered = sorted(platforms, key=lambda p: p.name)
    head = ["area", "field", "argument", *(f"`{p.name}`" for p in ordered)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for field in FIELDS:
        for argument in (None, *field.arguments):
            cells = [_cell(p, field.coordinate, argument) for p in ordered]
            name = f"`{field.coordinate}`" if argument is None else ""
            shown = "" if argument is None else f"`{argument}`"
            lines.append("| " + " | ".join([field.area, name, shown, *cells]) + " |")
    notes = [
        f"- `{p.name}`, `{coordinate}`: {note}"
        for p in ordered
        for coordinate, note in sorted(p.notes.items())
    ]
    return (
        "\n".join([BEGIN, "", *lines, "", *notes, "", END])
        if notes
        else "\n".join([BEGIN, "", *lines, "", END])
    )
