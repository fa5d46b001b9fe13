"""The HTTP stage: the only package that talks to sources (and imports httpx)."""

from canonry.http.client import SourceClient
from canonry.http.fetch import FetchedPage, iter_pages
from canonry.http.stats import PlumbingStats

__all__ = ["FetchedPage", "PlumbingStats", "SourceClient", "iter_pages"]
