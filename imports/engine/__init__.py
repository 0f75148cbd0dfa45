"""The import engine shared by the commands and the browser flow (docs/import-engine.md)."""

from imports.engine.members import MemberPlan, analyse_members, commit_members
from imports.engine.problems import FileRejected, ImportSummary, RowProblem
from imports.engine.report import write_error_report
from imports.engine.unions import UnionPlan, analyse_unions, commit_unions

__all__ = [
    "FileRejected",
    "ImportSummary",
    "MemberPlan",
    "RowProblem",
    "UnionPlan",
    "analyse_members",
    "analyse_unions",
    "commit_members",
    "commit_unions",
    "write_error_report",
]
