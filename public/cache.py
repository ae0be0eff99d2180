"""Public pages and exports computed once per change, not once per reader.

A news story can send thousands of readers to one notice and the home page within minutes;
the answer is the same for all of them until the record changes. So each public view opts in
with one line, `@cached_page(scopes)`, naming the parts of the record it shows
(`core.public_changes`: "register", "notice:<reference>", "questions", "legal", "census").

Never stale, with any number of workers and any cache:
- each scope has a version token in the database (`CacheVersion`); every change that alters
  what the public sees replaces its scopes' tokens *in its own transaction* (`bump`, called
  through `core.public_changes.announce` and `deployments.hooks.after_change`);
- each request first reads its scopes' tokens, then looks its page up under a key made of
  them. After a change commits, the very next request builds a new key and computes the page
  afresh; a request that read the old tokens before the commit can only store what it
  computed under the old key, which nobody asks for again. With Redis the tokens are read from
  a copy kept there (`SharedVersions`: one round trip, no query; the order of its writes keeps
  it as fresh as the database), otherwise from the database (one indexed query);
- a page found is served from the worker's own memory (`_Memory`, by the same versioned key,
  so never stale), its gzipped body, ETag and headers worked out once per entry;
- a trial's public status also changes with time alone (upcoming, live, ended), so an entry
  that shows trials is valid only until the next start or end of an approved trial, and no
  entry for longer than `OVERSIGHT_PUBLIC_CACHE_SECONDS`;
- the key also holds a fingerprint of the settings the pages show and of the templates, so a
  new release or configuration is not answered from an old rendering kept in Redis.

A cache that is down (Redis raises on connection errors) falls through to computing the page;
it is logged, never shown. Signed-in staff, a request carrying a flash message and any query
parameter a view has not declared are served fresh and nothing is stored for them. The CSRF
token in a cached form is replaced by each reader's own when served.

Open data and the annual report are also kept as stored files (`PublicFile`, in the reports
storage like the PDFs): regenerated after each change by `public.tasks.refresh_public_files`
(queued on commit in one place, `queue_public_files_refresh`; at once in the embedded default),
read back when the cache has lost them, and served, like every cached page, with an ETag,
Last-Modified, a gzipped body to clients that accept it, and 304 to conditional requests.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import os
import re
import secrets
import struct
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.signals import setting_changed
from django.db import IntegrityError, connection, transaction
from django.db.models import Min, Q
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

from core import public_changes
from deployments.models import Deployment, State

from .models import CacheVersion, PublicFile

logger = logging.getLogger(__name__)

# Says how a response was answered: "hit" (the cache), "stored" (a stored file), "miss"
# (computed and kept), "bypass" (computed for this reader only). Tests and the benchmark read it.
STATUS_HEADER = "X-Oversight-Cache"
# The value a cached form's CSRF token is kept as; each reader gets their own in its place.
CSRF_PLACEHOLDER = b"__oversight_csrf_token__"
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_GZIP = re.compile(r"\bgzip\b")
# Headers a view sets that are kept with the entry; the middleware adds the rest each time.
_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control", "Content-Language")
GZIP_MIN_BYTES = 200
TIME_SCOPES = (public_changes.REGISTER, "notice:")

View = TypeVar("View", bound=Callable[..., HttpResponseBase])
ScopeSpec = Iterable[str] | Callable[..., Iterable[str]]


def is_enabled() -> bool:
    return bool(getattr(settings, "OVERSIGHT_PUBLIC_CACHE", True))


def max_age() -> int:
    return int(getattr(settings, "OVERSIGHT_PUBLIC_CACHE_SECONDS", 600))


def _cache() -> Any:
    from django.core.cache import cache

    return cache


# --- versions -----------------------------------------------------------------------------
def bump(scopes: Iterable[str]) -> None:
    """Replace the version tokens of these scopes, inside the caller's transaction.

    An upsert: it takes the scope rows' locks until the change commits, so two changes to one
    scope are ordered, and a reader sees either both old tokens or the new one. Sorted, so two
    changes lock the rows in the same order.
    """
    names = sorted(set(scopes))
    if not names:
        return
    now = timezone.now()
    tokens = {name: secrets.token_hex(8) for name in names}
    CacheVersion.objects.bulk_create(
        [CacheVersion(scope=name, token=tokens[name], changed_at=now) for name in names],
        update_conflicts=True,
        unique_fields=["scope"],
        update_fields=["token", "changed_at"],
    )
    shared_versions.announce(tokens)
    queue_public_files_refresh()


def versions(scopes: Iterable[str]) -> str:
    """The current tokens of these scopes, as one string ("" for none).

    Read from the shared cache's copy (`SharedVersions`: one round trip to Redis) when it has
    them all, else from the database (one indexed query), which is the truth.
    """
    names = sorted(set(scopes))
    if not names:
        return ""
    found, absent = shared_versions.read(names)
    if len(found) < len(names):
        wanted = [name for name in names if name not in found]
        from_database = _database_tokens(wanted)
        found.update(from_database)
        shared_versions.fill({name: from_database[name] for name in absent})
    return ",".join(f"{name}={found[name]}" for name in names)


def _database_tokens(names: list[str]) -> dict[str, str]:
    """A scope never changed yet is given a random token on first read, so that an entry left
    in Redis by another database (a restored backup, another test) can never match it."""
    found = _tokens(names)
    if len(found) < len(names):
        CacheVersion.objects.bulk_create(
            [CacheVersion(scope=n, token=secrets.token_hex(8)) for n in names if n not in found],
            ignore_conflicts=True,
        )
        found = _tokens(names)
    return found


def _tokens(names: list[str]) -> dict[str, str]:
    # Plain SQL: this runs on every request the shared copy cannot answer; the ORM doubles it.
    table = CacheVersion._meta.db_table
    marks = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT scope, token FROM {table} WHERE scope IN ({marks})", names)  # noqa: S608
        return dict(cursor.fetchall())


# Replaces a pending token by the committed one only if no later change has marked it since.
_SETTLE = """
for index, key in ipairs(KEYS) do
    local now = redis.call('GET', key)
    if now == false or now == ARGV[2 * index - 1] then
        redis.call('SET', key, ARGV[2 * index], 'EX', ARGV[#ARGV])
    end
end
return 0
"""


class _Handle:
    """One cache backend's Redis client, key prefix, and the connection the reads use."""

    def __init__(self, *, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.reader: Any = None
        self.pid = 0

    def mget(self, keys: list[str]) -> list[bytes | None]:
        """MGET on a connection of its own: no pool, no retries (a failure is answered by the
        database, and the next read connects again)."""
        if self.reader is None or self.pid != os.getpid():
            # A forked worker never shares its parent's socket (redis-py's pool checks too).
            pool = self.client.connection_pool
            self.reader = pool.connection_class(**pool.connection_kwargs)
            self.pid = os.getpid()
        try:
            self.reader.send_command("MGET", *keys)
            return self.reader.read_response()  # type: ignore[no-any-return]
        except BaseException:
            self.reader.disconnect()
            self.reader = None
            raise


class SharedVersions:
    """A copy of the version tokens in the shared cache (Redis), so that a cached page costs
    one round trip to Redis and none to the database. The database stays the truth.

    Never stale, as the tokens in the database are, because of the order of the writes:
    - a change first marks its scopes *pending* in Redis ("~" and its new token), inside its
      transaction; a reader that finds a scope pending (or absent) reads the database, which
      gives the old token until the commit and the new one after it;
    - once the change commits, the pending mark is replaced by the new token, and only if it is
      still this change's mark (a later change's mark, or its token, is never overwritten);
    - a reader that found a scope absent copies the database's token back with SET NX, so it can
      never overwrite a mark or a newer token written meanwhile.
    Each copy expires after `OVERSIGHT_PUBLIC_CACHE_SECONDS` (then it is read from the database
    again), which also bounds the cases these writes cannot cover: Redis unreachable by the
    change that marks a scope yet reachable by readers afterwards, or a mark evicted by Redis
    in the moments before its change commits. A rolled-back change leaves
    its pending mark, so readers use the database until the mark expires: slower, never stale.

    Only a cache that every worker shares can hold the copy: with each worker's local memory
    (the embedded default) every request reads the database, as before.
    """

    PENDING = "~"

    def __init__(self) -> None:
        # Per cache backend (each thread has its own): its client, the keys' prefix and a
        # connection of its own for the reads. Made once: making a Redis client, or going
        # through its pool and retries, costs more than the round trip itself.
        self._handles: weakref.WeakKeyDictionary[Any, _Handle] = weakref.WeakKeyDictionary()

    def _handle(self) -> _Handle | None:
        from django.core.cache import caches
        from django.core.cache.backends.redis import RedisCache

        backend = caches["default"]
        if not isinstance(backend, RedisCache):
            return None
        handle = self._handles.get(backend)
        if handle is None:
            # The database's name too: two databases (CI runs, a staging copy) may share Redis.
            prefix = f"{backend.key_prefix}:public-version:{connection.settings_dict['NAME']}:"
            handle = _Handle(client=backend._cache.get_client(write=True), prefix=prefix)
            self._handles[backend] = handle
        return handle

    def _client(self) -> Any | None:
        handle = self._handle()
        return handle.client if handle is not None else None

    def key(self, name: str) -> str:
        handle = self._handle()
        return (handle.prefix if handle is not None else "") + name

    def read(self, names: list[str]) -> tuple[dict[str, str], list[str]]:
        """The settled tokens found, and the scopes with no copy at all (pending ones are in
        neither: the database answers for them, and nothing is copied back)."""
        handle = self._handle()
        if handle is None:
            return {}, []
        try:
            values = handle.mget([handle.prefix + name for name in names])
        except Exception:  # the cache is down: the database answers
            logger.warning("The shared versions could not be read.", exc_info=True)
            return {}, []
        found: dict[str, str] = {}
        absent: list[str] = []
        for name, value in zip(names, values, strict=True):
            if value is None:
                absent.append(name)
            elif not value.startswith(b"~"):
                found[name] = value.decode()
        return found, absent

    def fill(self, tokens: dict[str, str]) -> None:
        client = self._client()
        if client is None or not tokens:
            return
        try:
            with client.pipeline(transaction=False) as pipe:
                for name, token in tokens.items():
                    pipe.set(self.key(name), token, nx=True, ex=max_age())
                pipe.execute()
        except Exception:  # the next reader reads the database again
            logger.warning("The shared versions could not be filled.", exc_info=True)

    def announce(self, tokens: dict[str, str]) -> None:
        """Mark these scopes pending now; put their new tokens in place once committed."""
        client = self._client()
        if client is None:
            return
        keys = [self.key(name) for name in tokens]
        try:
            with client.pipeline(transaction=False) as pipe:
                for key, token in zip(keys, tokens.values(), strict=True):
                    pipe.set(key, self.PENDING + token, ex=max_age())
                pipe.execute()
        except Exception:
            logger.error(
                "The shared versions could not be marked pending; readers may see the old "
                "version of %s for up to %s seconds.",
                ", ".join(tokens),
                max_age(),
                exc_info=True,
            )
            return
        settle = [v for token in tokens.values() for v in (self.PENDING + token, token)]
        transaction.on_commit(lambda: self._settle(client, keys, [*settle, str(max_age())]))

    def _settle(self, client: Any, keys: list[str], arguments: list[str]) -> None:
        try:
            client.eval(_SETTLE, len(keys), *keys, *arguments)
        except Exception:  # still pending: readers use the database until the mark expires
            logger.warning("The shared versions could not be settled.", exc_info=True)

    def forget(self) -> None:
        """Drop this database's copies (tests, whose database is rolled back under Redis)."""
        client = self._client()
        if client is None:
            return
        try:
            found = list(client.scan_iter(match=self.key("*"), count=1000))
            if found:
                client.delete(*found)
        except Exception:
            logger.warning("The shared versions could not be forgotten.", exc_info=True)
        self._handles.clear()  # the next test's database may have another name


shared_versions = SharedVersions()


@functools.cache
def release_fingerprint() -> str:
    """The settings the pages show and the templates they are drawn from, hashed."""
    digest = hashlib.sha256()
    for name in sorted(dir(settings)):
        if name.startswith("OVERSIGHT_") or name in ("SITE_URL", "STATIC_URL", "TIME_ZONE"):
            digest.update(f"{name}={getattr(settings, name)!r}\n".encode())
    roots = [Path(settings.BASE_DIR) / "templates"]
    manifest = Path(str(getattr(settings, "STATIC_ROOT", "") or "")) / "staticfiles.json"
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                digest.update(f"{path}:{path.stat().st_mtime_ns}\n".encode())
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    return digest.hexdigest()[:16]


@receiver(setting_changed)
def _settings_changed(**_: Any) -> None:
    release_fingerprint.cache_clear()


def next_status_change(at: datetime) -> datetime | None:
    """When a published trial next starts or ends (its public status changes with no write)."""
    found = (
        Deployment.objects.public()
        .filter(state=State.APPROVED)
        .aggregate(
            starts=Min("starts_at", filter=Q(starts_at__gt=at)),
            ends=Min("ends_at", filter=Q(ends_at__gt=at)),
        )
    )
    moments = [m for m in (found["starts"], found["ends"]) if m is not None]
    return min(moments) if moments else None


def _valid_until(scopes: tuple[str, ...], at: datetime) -> datetime:
    until = at + timedelta(seconds=max_age())
    if any(scope.startswith(TIME_SCOPES) for scope in scopes):
        change = next_status_change(at)
        if change is not None:
            until = min(until, change)
    return until


# --- the cache, falling through when it is down --------------------------------------------
class _Memory:
    """Each worker's own copy of the entries it served last, up to a byte budget (LRU).

    Entries are found by the same versioned key, so this adds no staleness; it saves the
    round trip to Redis and the unpickling of a large export on every request.
    """

    def __init__(self) -> None:
        self.entries: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.size = 0

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        budget = int(getattr(settings, "OVERSIGHT_PUBLIC_CACHE_MEMORY_BYTES", 128 * 1024 * 1024))
        size = len(entry["body"]) + len(entry["gzip"] or b"")
        if size > budget // 2:  # the national open data in JSON is about 25 MB
            return
        previous = self.entries.pop(key, None)
        if previous is not None:
            self.size -= len(previous["body"]) + len(previous["gzip"] or b"")
        self.entries[key] = entry
        self.size += size
        while self.size > budget and self.entries:
            _, old = self.entries.popitem(last=False)
            self.size -= len(old["body"]) + len(old["gzip"] or b"")

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0


memory = _Memory()


def _cache_get(key: str) -> dict[str, Any] | None:
    entry = memory.get(key)
    if entry is not None:
        return entry
    try:
        entry = _cache().get(key)
    except Exception:  # any cache failure means "compute it"
        logger.warning("The page cache could not be read; computing the page.", exc_info=True)
        return None
    if not isinstance(entry, dict):
        return None
    memory.put(key, entry)
    return entry


def _cache_set(key: str, entry: dict[str, Any], at: datetime) -> None:
    memory.put(key, entry)
    seconds = max(1, int(entry["valid_until"] - at.timestamp()))
    try:
        _cache().set(key, entry, seconds)
    except Exception:  # the same: serve it uncached
        logger.warning("The page cache could not be written; page served uncached.", exc_info=True)


# --- entries ------------------------------------------------------------------------------
def _entry(
    *,
    body: bytes,
    headers: dict[str, str],
    last_modified: float,
    valid_until: float,
    gzipped: bytes | None = None,
) -> dict[str, Any]:
    parts = None
    if CSRF_PLACEHOLDER in body:
        parts = _deflated_parts(body)
    elif gzipped is None and len(body) >= GZIP_MIN_BYTES:
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    return {
        "body": body,
        "gzip": gzipped,
        "gzip_parts": parts,
        "headers": headers,
        "etag": '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        "last_modified": last_modified,
        "valid_until": valid_until,
    }


def _entry_from_response(
    response: HttpResponse, *, at: datetime, valid_until: datetime
) -> dict[str, Any]:
    body = _CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\2", response.content)
    modified = parse_http_date_safe(response.get("Last-Modified", "")) or int(at.timestamp())
    return _entry(
        body=body,
        headers={name: response[name] for name in _KEPT_HEADERS if response.has_header(name)},
        last_modified=float(modified),
        valid_until=valid_until.timestamp(),
    )


def _deflated_parts(body: bytes) -> list[bytes]:
    """The body around its CSRF placeholders, each part deflated on its own.

    Each part but the last ends on a full flush, so the parts and a reader's token, deflated
    alone, join into one valid stream (as pigz compresses in parallel): a form page is gzipped
    once, not once per reader.
    """
    pieces = body.split(CSRF_PLACEHOLDER)
    deflated = []
    for index, piece in enumerate(pieces):
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        last = index == len(pieces) - 1
        deflated.append(
            compressor.compress(piece)
            + compressor.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH)
        )
    return deflated


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def _gzip_with_token(body: bytes, parts: list[bytes], token: bytes) -> bytes:
    """The gzip of `body` with each placeholder replaced by `token`, from its deflated parts."""
    # The token as a stored (uncompressed) deflate block: 64 bytes need no compressor.
    deflated_token = b"\x00" + struct.pack("<HH", len(token), len(token) ^ 0xFFFF) + token
    out = [_GZIP_HEADER]
    crc = size = 0
    for index, (piece, deflated) in enumerate(
        zip(body.split(CSRF_PLACEHOLDER), parts, strict=True)
    ):
        if index:
            out.append(deflated_token)
            crc, size = zlib.crc32(token, crc), size + len(token)
        out.append(deflated)
        crc, size = zlib.crc32(piece, crc), size + len(piece)
    out.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
    return b"".join(out)


def accepts_gzip(request: HttpRequest) -> bool:
    accepted = request.META.get("HTTP_ACCEPT_ENCODING", "")
    return bool(_GZIP.search(accepted)) and "gzip;q=0" not in accepted.replace(" ", "")


def _prepared(entry: dict[str, Any], use_gzip: bool) -> tuple[str, list[tuple[str, str]]]:
    """The ETag and the headers of one representation, worked out once per worker and entry."""
    ready = entry.get("_prepared")
    if ready is None:
        ready = {}
        for zipped in (False, True):
            # A different representation has a different strong validator (RFC 9110, 8.8.3).
            etag = entry["etag"][:-1] + '-gzip"' if zipped else entry["etag"]
            headers = dict(entry["headers"])
            headers["ETag"] = etag
            headers["Last-Modified"] = http_date(entry["last_modified"])
            # Browsers and proxies may keep the page but ask each time (a 304 when unchanged).
            headers.setdefault("Cache-Control", "no-cache")
            headers["Vary"] = "Accept-Encoding, Cookie"
            if zipped:
                headers["Content-Encoding"] = "gzip"
            ready[zipped] = (etag, list(headers.items()))
        # Kept with the entry in this worker's memory only (it is added after it is stored).
        entry["_prepared"] = ready
    return ready[use_gzip]  # type: ignore[no-any-return]


def _serve(request: HttpRequest, entry: dict[str, Any], status: str) -> HttpResponseBase:
    body: bytes = entry["body"]
    gzipped: bytes | None = entry["gzip"]
    parts = entry.get("gzip_parts")
    use_gzip = (gzipped is not None or bool(parts)) and accepts_gzip(request)
    etag, headers = _prepared(entry, use_gzip)
    meta = request.META
    if "HTTP_IF_NONE_MATCH" in meta or "HTTP_IF_MODIFIED_SINCE" in meta:
        modified = int(entry["last_modified"])
        if get_conditional_response(request, etag=etag, last_modified=modified) is not None:
            # The reader's copy is current (If-None-Match, else If-Modified-Since): 304.
            response = HttpResponse()
            for name, value in headers:
                if name != "Content-Encoding":
                    response[name] = value
            conditional = get_conditional_response(
                request, etag=etag, last_modified=modified, response=response
            )
            assert conditional is not None
            conditional[STATUS_HEADER] = status
            return conditional
    if parts:  # the page has a form (searching a large export for it costs a millisecond)
        token = get_token(request).encode()
        if use_gzip:
            gzipped = _gzip_with_token(body, parts, token)
        else:
            body = body.replace(CSRF_PLACEHOLDER, token)
    response = HttpResponse(gzipped if use_gzip else body)
    for name, value in headers:
        response[name] = value
    response[STATUS_HEADER] = status
    return response


# --- stored files -------------------------------------------------------------------------
def _file_name(path: str, sha256: str, suffix: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
    return f"public/{slug}-{sha256[:16]}{suffix}"


def _stored_entry(path: str, token: str, at: datetime) -> dict[str, Any] | None:
    stored = PublicFile.objects.filter(path=path, token=token).first()
    if stored is None or (stored.valid_until is not None and stored.valid_until <= at):
        return None
    try:
        with stored.file.open("rb") as handle:
            body = handle.read()
        with stored.gzip_file.open("rb") as handle:
            gzipped = handle.read()
    except (OSError, ValueError):
        logger.warning("Stored file for %s is missing; rendering it again.", path)
        return None
    until = stored.valid_until or (at + timedelta(seconds=max_age()))
    return _entry(
        body=body,
        headers=dict(stored.headers),
        last_modified=stored.generated_at.timestamp(),
        valid_until=min(until, at + timedelta(seconds=max_age())).timestamp(),
        gzipped=gzipped,
    )


def _store(path: str, token: str, entry: dict[str, Any]) -> None:
    """Keep the rendering as files; a concurrent worker storing the same path wins quietly."""
    storage = PublicFile._meta.get_field("file").storage  # type: ignore[attr-defined]
    sha256 = hashlib.sha256(entry["body"]).hexdigest()
    names = {}
    for suffix, content in (("", entry["body"]), (".gz", entry["gzip"] or b"")):
        name = _file_name(path, sha256, suffix)
        if not storage.exists(name):
            name = storage.save(name, ContentFile(content))
        names[suffix] = name
    valid_until = datetime.fromtimestamp(entry["valid_until"], tz=timezone.get_current_timezone())
    try:
        with transaction.atomic():
            stored = PublicFile.objects.select_for_update().filter(path=path).first()
            old = {stored.file.name, stored.gzip_file.name} if stored is not None else set()
            stored = stored or PublicFile(path=path)
            stored.token, stored.valid_until, stored.sha256 = token, valid_until, sha256
            stored.content_type = entry["headers"].get("Content-Type", "")
            stored.headers = entry["headers"]
            stored.generated_at = datetime.fromtimestamp(
                entry["last_modified"], tz=timezone.get_current_timezone()
            )
            stored.file.name, stored.gzip_file.name = names[""], names[".gz"]
            stored.save()
            stale = old - set(names.values()) - {""}
            # Delete a superseded file only once the row naming its successor is committed.
            transaction.on_commit(functools.partial(_delete_files, storage, stale))
    except IntegrityError:
        logger.info("Another worker stored %s first.", path)


def _delete_files(storage: Any, names: set[str | None]) -> None:
    for name in names:
        if name:
            storage.delete(name)


def queue_public_files_refresh() -> None:
    """Regenerate the stored files once the current transaction commits, through the outbox
    (core/outbox.py): recorded in this transaction, so a broker that is down delays the work
    but never loses it. Two changes in one transaction record it once."""
    from core import outbox

    outbox.enqueue(
        "public.tasks.refresh_public_files",
        about="public-files",
        description="Regenerate the stored open data and annual reports",
    )


# --- the decorator ------------------------------------------------------------------------
def _is_cacheable(request: HttpRequest, params: tuple[str, ...]) -> bool:
    if not is_enabled() or request.method not in ("GET", "HEAD"):
        return False
    # Staff see their own header and messages; a reader just redirected sees "thank you".
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    return all(name in params for name in request.GET)


def _key(request: HttpRequest, token: str) -> str:
    material = f"{release_fingerprint()}|{request.get_full_path()}|{token}"
    return "public-page:" + hashlib.sha256(material.encode()).hexdigest()


def cached_page(
    scopes: ScopeSpec, *, params: Iterable[str] = (), stored: bool = False
) -> Callable[[View], View]:
    """Serve the view from the cache, keyed by the versions of `scopes`.

    `scopes` is a list of scope names or a function of the view's URL arguments returning
    one. `params` are the query parameters the view reads (any other one is served fresh).
    `stored` keeps the rendering as files too (open data, the annual report).
    """
    allowed = tuple(params)

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not _is_cacheable(request, allowed):
                response = view(request, *args, **kwargs)
                response[STATUS_HEADER] = "bypass"
                return response
            names = tuple(scopes(*args, **kwargs) if callable(scopes) else scopes)
            # The versions first: everything read after them is at least as new.
            token = f"{release_fingerprint()}|{versions(names)}"
            key = _key(request, token)
            at = timezone.now()
            entry = _cache_get(key)
            status = "hit"
            if entry is None or entry["valid_until"] <= at.timestamp():
                path = request.get_full_path()
                entry = _stored_entry(path, token, at) if stored else None
                status = "stored"
                if entry is None:
                    fresh = _render(view, request, args, kwargs)
                    if fresh.status_code != 200 or fresh.streaming:
                        fresh[STATUS_HEADER] = "bypass"
                        return fresh
                    entry = _entry_from_response(
                        fresh,  # type: ignore[arg-type]
                        at=at,
                        valid_until=_valid_until(names, at),
                    )
                    if stored and not request.GET:
                        _store(path, token, entry)
                    status = "miss"
                _cache_set(key, entry, at)
            return _serve(request, entry, status)

        return wrapper  # type: ignore[return-value]

    return decorator


def _render(
    view: Callable[..., HttpResponseBase], request: HttpRequest, args: Any, kwargs: Any
) -> HttpResponseBase:
    """The view's full answer: the reader's validators are applied to the entry, not here."""
    meta = request.META
    saved = {
        name: meta.pop(name, None) for name in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
    }
    try:
        return view(request, *args, **kwargs)
    finally:
        meta.update({name: value for name, value in saved.items() if value is not None})


# --- regenerating the stored files --------------------------------------------------------
def prerender(path: str) -> str:
    """Request `path` in-process as an anonymous reader, so its stored file is current."""
    from django.contrib.auth.models import AnonymousUser
    from django.urls import resolve

    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "localhost"
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.META = {"SERVER_NAME": host.split(":")[0], "SERVER_PORT": "80", "HTTP_HOST": host}
    request.user = AnonymousUser()
    match = resolve(path)
    request.resolver_match = match
    response = match.func(request, *match.args, **match.kwargs)
    return str(response.get(STATUS_HEADER, ""))
