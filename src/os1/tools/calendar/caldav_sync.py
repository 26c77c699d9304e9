"""Talking to a CalDAV server (the ``caldav`` library): connect, discover calendars, fetch
what changed, and write an event back (PUT with If-Match, so a change made elsewhere since the
last sync is never overwritten).

Every library or network failure leaves here as a ``CalendarError`` that says what happened
in plain words; the password is never part of one (nor of a log line or a repr).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from os1.tools.calendar.ics import CalendarError

log = logging.getLogger(__name__)
TIMEOUT = 20  # seconds
FETCH_BATCH = 100
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class RemoteCalendar:
    name: str
    href: str


@dataclass(frozen=True)
class Changes:
    changed: dict[str, str]  # href -> etag, added or changed since the token
    deleted: list[str]  # hrefs removed since the token
    sync_token: str | None  # to save once every change is stored


def clean_url(url: str) -> tuple[str, str]:
    """(url without any user:password@, host) — credentials go in their own fields."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CalendarError(f"{_redact(url)} isn't a web address os1 can use for a calendar.",
                            "Give the CalDAV address, like https://cal.example.com/dav/.")
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, netloc, path, parts.query, "")), parts.hostname


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class CalDavConnection:
    """One signed-in session with a CalDAV server."""

    def __init__(self, url: str, username: str, password: str, *, timeout: int = TIMEOUT) -> None:
        self.url, self.host = clean_url(url)
        self.username = username
        self._password = password
        self.timeout = timeout
        self._client: Any = None

    def __repr__(self) -> str:
        return f"CalDavConnection({self.url!r}, {self.username!r})"

    # -- errors ----------------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text

    @contextmanager
    def _explained(self, doing: str) -> Iterator[None]:
        from caldav.lib import error

        who = f"{self.host} as {self.username}"
        try:
            yield
        except CalendarError:
            raise
        except error.AuthorizationError as exc:
            if exc.status == 403:
                raise CalendarError(f"{self.host} refused {self.username} while {doing}: not "
                                    "allowed.",
                                    "Check that this account may use that calendar.") from None
            raise CalendarError(f"Couldn't sign in to {who}: the server said the username or "
                                "password is wrong.",
                                "Check them (some providers want an app password), then connect "
                                "again.") from None
        except error.ETagMismatchError:
            raise CalendarError(f"The event changed on {self.host} since os1 last synced, so "
                                "it wasn't overwritten.", "Sync the calendar, then try again.") \
                from None
        except error.NotFoundError:
            raise CalendarError(f"{self.host} says what os1 asked for isn't there while "
                                f"{doing}.", "Sync the calendar and try again.") from None
        except error.DAVError as exc:
            status = getattr(exc, "status", None)
            raise CalendarError(f"{self.host} failed while {doing} "
                                f"({type(exc).__name__}{f', HTTP {status}' if status else ''}).",
                                "Try again later; if it keeps failing, check the calendar "
                                "address.") from None
        except Exception as exc:
            name = type(exc).__name__.lower()
            text = self._scrub(str(exc)).lower()
            if "connection" in name or "refused" in text or "timeout" in name \
                    or "timed out" in text or "resolve" in text or "name or service" in text:
                raise CalendarError(f"Couldn't reach {self.host} while {doing}: the server "
                                    "didn't answer.",
                                    "Check the address and your connection; os1 will carry on "
                                    "where it left off on the next sync.") from None
            if "ssl" in name or "certificate" in text:
                raise CalendarError(f"{self.host}'s certificate can't be trusted.",
                                    "Check the address (https://…); if the server uses its own "
                                    "certificate, install it in the system's trust store.") \
                    from None
            if "xml" in name or "syntax" in name or "parse" in text:
                raise self._not_caldav() from None
            log.warning("CalDAV %s failed: %s: %s", doing, type(exc).__name__, self._scrub(str(exc)))
            raise CalendarError(f"Something went wrong while {doing} with {self.host} "
                                f"({type(exc).__name__}).",
                                "Try again; if it keeps failing, please report it.") from None

    def _not_caldav(self) -> CalendarError:
        return CalendarError(f"{self.url} doesn't look like a CalDAV calendar server.",
                             "Check the address: your provider's help names it (often ending "
                             "in /dav/ or /caldav/).")

    # -- session ---------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            from caldav.davclient import DAVClient

            with self._explained("connecting"):
                self._client = DAVClient(
                    url=self.url, username=self.username, password=self._password,
                    timeout=self.timeout, require_tls=self.host not in _LOCAL_HOSTS)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # closing is best effort
                self._client.close()
            self._client = None

    def check(self) -> None:
        """Sign in and check the server speaks CalDAV; raises CalendarError otherwise."""
        with self._explained("signing in"):
            response = self.client.request(self.url, "OPTIONS", "")
            status = getattr(response, "status", 200)
            if status == 401:
                from caldav.lib import error
                raise error.AuthorizationError(url=self.url, reason="401", status=401)
            dav = str((getattr(response, "headers", None) or {}).get("DAV", ""))
            if "calendar-access" not in dav:
                raise self._not_caldav()

    def calendars(self) -> list[RemoteCalendar]:
        """The calendars the account can see (event calendars only)."""
        self.check()
        with self._explained("listing calendars"):
            principal = self.client.principal()
            out = []
            for cal in principal.calendars():
                try:
                    components = cal.get_supported_components()
                except Exception:  # noqa: BLE001 - servers that don't say: assume events
                    components = ["VEVENT"]
                if components and "VEVENT" not in components:
                    continue
                name = None
                try:
                    name = cal.get_display_name()
                except Exception:  # noqa: BLE001 - no display name: use the URL's last part
                    name = None
                href = str(cal.url)
                out.append(RemoteCalendar(name=str(name or href.rstrip("/").rsplit("/", 1)[-1]),
                                          href=href))
            return out

    def _calendar(self, href: str) -> Any:
        from caldav.collection import Calendar

        return Calendar(client=self.client, url=href)

    def changes(self, href: str, sync_token: str | None) -> Changes:
        """What changed since ``sync_token`` (everything, when it is None or expired)."""
        from caldav.elements import dav

        with self._explained("looking for changes"):
            result = self._calendar(href).get_objects_by_sync_token(sync_token, load_objects=False)
            changed = {}
            for obj in result.objects:
                url = str(obj.url)
                if url in {str(u) for u in getattr(result, "deleted_urls", ())}:
                    continue
                changed[url] = str((obj.props or {}).get(dav.GetEtag.tag, ""))
            deleted = [str(u) for u in getattr(result, "deleted_urls", ()) or ()]
            token = getattr(result, "sync_token", None)
            return Changes(changed=changed, deleted=deleted,
                           sync_token=str(token) if token else None)

    def fetch(self, href: str, urls: list[str]) -> Iterator[list[tuple[str, str, str]]]:
        """(url, etag, iCalendar text) of the given resources, a batch at a time."""
        from caldav.elements import dav
        from caldav.lib.url import URL

        calendar = self._calendar(href)
        for i in range(0, len(urls), FETCH_BATCH):
            with self._explained("downloading events"):
                objects = calendar.multiget([URL.objectify(u) for u in urls[i:i + FETCH_BATCH]])
                yield [(str(o.url), str((o.props or {}).get(dav.GetEtag.tag, "")), str(o.data))
                       for o in objects]

    def put(self, href: str, ics: str, *, etag: str | None) -> str | None:
        """Write a resource: If-Match ``etag`` (a change), or If-None-Match * (a new one).
        Returns the new ETag when the server says it."""
        from caldav.lib import error

        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        headers.update({"If-Match": etag} if etag else {"If-None-Match": "*"})
        with self._explained("saving the event"):
            response = self.client.request(href, "PUT", ics, headers)
            status = getattr(response, "status", 0)
            if status == 412:
                raise error.ETagMismatchError(url=href, reason="412", status=412)
            if status == 401:
                raise error.AuthorizationError(url=href, reason="401", status=401)
            if status not in (200, 201, 204):
                raise error.PutError(url=href, reason=str(status), status=status)
            new = (getattr(response, "headers", None) or {}).get("ETag")
            return str(new) if new else self._etag(href)

    def _etag(self, href: str) -> str | None:
        from caldav.elements import dav

        try:
            obj = self._calendar(href.rsplit("/", 1)[0] + "/")
            props = obj.client.propfind(href, "<?xml version='1.0'?><D:propfind xmlns:D='DAV:'>"
                                              "<D:prop><D:getetag/></D:prop></D:propfind>", 0)
            found = props.expand_simple_props([dav.GetEtag()])
            for values in found.values():
                if values.get(dav.GetEtag.tag):
                    return str(values[dav.GetEtag.tag])
        except Exception:  # noqa: BLE001 - no etag: the next sync fetches it
            return None
        return None

    def delete(self, href: str, *, etag: str | None) -> None:
        from caldav.lib import error

        headers = {"If-Match": etag} if etag else {}
        with self._explained("deleting the event"):
            response = self.client.request(href, "DELETE", "", headers)
            status = getattr(response, "status", 0)
            if status == 412:
                raise error.ETagMismatchError(url=href, reason="412", status=412)
            if status == 404:
                return  # already gone: what was asked for holds
            if status not in (200, 204):
                raise error.DeleteError(url=href, reason=str(status), status=status)

    def new_href(self, calendar_href: str, uid: str) -> str:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in uid)[:120]
        return urljoin(calendar_href if calendar_href.endswith("/") else calendar_href + "/",
                       f"{safe}.ics")

