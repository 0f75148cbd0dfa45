"""What an import reports: problems with single cells or rows, and the summary of a run."""

from dataclasses import asdict, dataclass, field


class FileRejected(Exception):
    """The file as a whole cannot be read. `message` is Chinese and says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RowProblem:
    sheet: str
    row: int  # as Excel shows it (1-based)
    column: str  # the header as written in the file ("" for a whole-row problem)
    code: str
    message: str
    value: str = ""
    severity: str = "error"  # "error" | "warning"

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class ImportSummary:
    status: str = "done"  # "done" | "rejected"
    message: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    conflicts: int = 0
    kept_newer: int = 0  # of `unchanged`: rows the stale guard kept from overwriting
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    # How the file was read: per sheet read {name, header_rows, columns: [{header, field,
    # label}], skipped: [{row, reason}], skipped_count}; notices name what was left out.
    sheets: list[dict] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    # Per updated member, what changes: {sheet, row, name, changes: [{field, label, old, new}]}
    # (ID numbers and phones masked).
    changes: list[dict] = field(default_factory=list)
    # The union the rows without one go to, and why: {id, name, code, path, source:
    # "sheet" (the 工会名称：line above the table; with written, sheet, row) | "chosen"
    # | "fallback"}. Member imports only.
    union: dict = field(default_factory=dict)

    def counts(self) -> dict:
        """The counts an import's audit entry records."""
        return {
            name: getattr(self, name)
            for name in ("rows", "created", "updated", "unchanged", "invalid", "conflicts")
        }

    @classmethod
    def rejected(cls, message: str) -> "ImportSummary":
        return cls(status="rejected", message=message)

    @classmethod
    def from_json(cls, data: dict) -> "ImportSummary":
        """The inverse of as_json(), for a summary stored on a job row."""
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        values["errors"] = [RowProblem(**p) for p in data.get("errors", [])]
        values["warnings"] = [RowProblem(**p) for p in data.get("warnings", [])]
        return cls(**values)

    def as_json(self) -> dict:
        return {
            "status": self.status,
            "message": self.message,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "conflicts": self.conflicts,
            "kept_newer": self.kept_newer,
            "errors": [p.as_json() for p in self.errors],
            "warnings": [p.as_json() for p in self.warnings],
            "sheets": self.sheets,
            "notices": self.notices,
            "changes": self.changes,
            "union": self.union,
        }


def reading_json(sheet: dict) -> dict:
    """How a sheet was read, in the --json shape the issue names: {name, header_rows,
    columns: [{header, field}], skipped: [{row, reason}]} (the preview also shows the
    labels and the count of skipped lines, kept in `ImportSummary.sheets` and as_json)."""
    return {
        "name": sheet["name"],
        "header_rows": sheet["header_rows"],
        "columns": [{"header": c["header"], "field": c["field"]} for c in sheet["columns"]],
        "skipped": [{"row": s["row"], "reason": s["reason"]} for s in sheet["skipped"]],
    }
