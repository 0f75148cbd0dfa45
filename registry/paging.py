"""Long lists: the total, the page position ("第 3 页，共 12 页 · 共 1,234 人") and a
page-size choice (20/50/100), shown by templates/_pager.html. The size travels in the
URL (`?size=`) with the list's other parameters; anything else reads as the default."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator

SIZES = (20, 50, 100)
DEFAULT_SIZE = 50


def page_size(request, default: int = DEFAULT_SIZE) -> int:
    try:
        size = int(request.GET.get("size", ""))
    except ValueError:
        return default
    return size if size in SIZES else default


def query_without(request, *names: str) -> str:
    """The request's query string without `names` (the pager sets those itself)."""
    kept = [(k, v) for k, values in request.GET.lists() if k not in names for v in values]
    return urlencode(kept)


@dataclass
class Pager:
    number: int  # 1-based; 0 when the position is unknown (a keyset page reached by a link)
    num_pages: int
    total: int
    size: int
    unit: str
    query: str  # the list's other parameters, for the size form and the links
    prev_url: str = ""
    next_url: str = ""
    first_url: str = ""
    capped: bool = False  # the total is a lower bound ("超过 …")
    sizes: tuple = field(default=SIZES)

    @property
    def hidden_fields(self) -> list[tuple[str, str]]:
        from urllib.parse import parse_qsl

        return parse_qsl(self.query, keep_blank_values=True)


def _url(query: str, **params) -> str:
    extra = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return "?" + "&".join(p for p in (query, extra) if p)


def paginate(request, items, *, unit: str, default: int = DEFAULT_SIZE) -> tuple[Page, Pager]:
    """A Django page of `items` (a queryset or a list) and its pager."""
    size = page_size(request, default)
    page = Paginator(items, size).get_page(request.GET.get("page"))
    query = query_without(request, "page", "size")
    sized = {"size": size if size != default else None}
    return page, Pager(
        number=page.number,
        num_pages=page.paginator.num_pages,
        total=page.paginator.count,
        size=size,
        unit=unit,
        query=query,
        prev_url=_url(query, page=page.previous_page_number(), **sized)
        if page.has_previous()
        else "",
        next_url=_url(query, page=page.next_page_number(), **sized) if page.has_next() else "",
    )


def keyset_pager(
    request, page, *, total: int, capped: bool, unit: str, default: int = DEFAULT_SIZE
) -> Pager:
    """The pager of a keyset page (members.selectors.keyset_page): the position travels as
    `?p=` beside the cursor, the total comes from the caller (tallies, not COUNT(*))."""
    size = page_size(request, default)
    after, before = request.GET.get("after"), request.GET.get("before")
    try:
        number = max(int(request.GET.get("p", "")), 1)
    except ValueError:
        number = 1 if after is None and before is None else 0
    sized = {"size": size if size != default else None}
    num_pages = 0 if capped else max(-(-total // size), 1)  # 0: not known
    return Pager(
        number=number,
        num_pages=num_pages,
        total=total,
        size=size,
        unit=unit,
        query="",
        capped=capped,
        prev_url=_url("", before=page.prev_before, p=number - 1 if number > 1 else None, **sized)
        if page.prev_before
        else "",
        next_url=_url("", after=page.next_after, p=number + 1 if number else None, **sized)
        if page.next_after
        else "",
        first_url=_url("", **sized) if (after or before) else "",
    )
