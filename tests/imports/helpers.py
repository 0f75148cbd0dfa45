"""Assertions shared by the import tests."""


def problems(summary, severity="error") -> set[tuple[int, str, str]]:
    items = summary.errors if severity == "error" else summary.warnings
    return {(p.row, p.column, p.code) for p in items}
