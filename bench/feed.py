"""A plain client for the sandbox feed (httpx + orjson): OAuth2 token, cursor pages, prefetch."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from bench.model import CLIENT_ID, CLIENT_SECRET, PAGE_SIZE

Page = list[dict[str, Any]]
_DONE = object()


class Feed:
    """Reads /v1/employees page by page, following meta.next_cursor until it is null."""

    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=60.0)
        self._token: str | None = None

    def __repr__(self) -> str:
        return f"<Feed {self._http.base_url}>"

    def close(self) -> None:
        self._http.close()

    def _authorize(self) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
        response = self._http.post("/oauth/token", data=form)
        response.raise_for_status()
        token: str = orjson.loads(response.content)["access_token"]
        return token

    def _get(self, params: dict[str, str]) -> bytes:
        for _ in range(2):  # a 401 means the token expired: fetch a new one, resend once
            self._token = self._token or self._authorize()
            headers = {"Authorization": f"Bearer {self._token}"}
            response = self._http.get("/v1/employees", params=params, headers=headers)
            if response.status_code != 401:
                response.raise_for_status()
                return response.content
            self._token = None
        raise RuntimeError("the sandbox refused a freshly issued token")

    def pages(self, since: str | None = None) -> Iterator[Page]:
        """Every page of records, from ``since`` (inclusive, ISO-8601) or from the start."""
        params = {"limit": str(PAGE_SIZE)}
        if since is not None:
            params["updated_since"] = since
        while True:
            body = orjson.loads(self._get(params))
            yield body["data"]
            cursor = body["meta"]["next_cursor"]
            if cursor is None:
                return
            params["cursor"] = cursor


def prefetch(pages: Iterator[Page], depth: int = 8) -> Iterator[Page]:
    """``pages`` produced by a background thread, up to ``depth`` ahead; errors re-raised."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)

    def produce() -> None:
        try:
            for page in pages:
                q.put(page)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)
            return
        q.put(_DONE)

    thread = threading.Thread(target=produce, name="bench-fetch", daemon=True)
    thread.start()
    while (item := q.get()) is not _DONE:
        if isinstance(item, BaseException):
            raise item
        yield item
    thread.join()
