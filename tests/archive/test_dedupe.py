"""Identical pages are stored once: a re-sync of unchanged data adds fetches, not bodies."""

from __future__ import annotations

from canonry.config import Settings
from canonry.sandbox import HRSandbox
from tests.archive.conftest import do_replay, scalar, sync
from tests.truth import assert_store_matches_truth


def _sizes(settings: Settings) -> tuple[int, int, int]:
    pages = scalar(settings, "SELECT count(*) FROM canonry.raw_pages")
    bodies = scalar(settings, "SELECT count(*) FROM canonry.raw_bodies")
    stored = scalar(settings, "SELECT coalesce(sum(stored_size), 0) FROM canonry.raw_bodies")
    return int(pages), int(bodies), int(stored)


def test_full_resync_of_unchanged_data_stores_no_new_bodies(
    settings: Settings, hr: HRSandbox
) -> None:
    """A second full sync of the same data adds raw_pages rows but no raw_bodies row or byte."""
    sync(settings)
    pages, bodies, stored = _sizes(settings)
    before = do_replay(settings, dry_run=True).checksums
    sync(settings, full=True)
    pages2, bodies2, stored2 = _sizes(settings)
    assert pages2 == 2 * pages
    assert (bodies2, stored2) == (bodies, stored)
    print(f"dedupe: {pages2} pages kept in {bodies2} bodies, {stored2} bytes instead of "
          f"{2 * stored}")  # fmt: skip
    rebuilt = do_replay(settings, rebuild=True)
    assert rebuilt.status == "succeeded"
    assert rebuilt.checksums == before
    assert sum(s.counts.dead_lettered for s in rebuilt.streams.values()) == 0
    assert_store_matches_truth(settings.database_url.get_secret_value(), hr, "hr")  # type: ignore[union-attr]


def test_changed_pages_get_new_bodies_and_every_page_has_its_body(
    settings: Settings, hr: HRSandbox
) -> None:
    """After updates, only the changed pages add bodies, and no raw page lacks its body row."""
    sync(settings)
    _, bodies, _ = _sizes(settings)
    hr.mutate(updates=5)
    sync(settings, full=True)
    _, bodies2, _ = _sizes(settings)
    assert bodies < bodies2 <= bodies + 5
    orphans = scalar(
        settings,
        "SELECT count(*) FROM canonry.raw_pages p"
        " LEFT JOIN canonry.raw_bodies b USING (content_hash) WHERE b.content_hash IS NULL",
    )
    assert orphans == 0
