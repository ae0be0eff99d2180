"""Callables naming the storages, so models do not freeze a path into their migrations.

A FileField calls its storage callable once, when the model class is built. Returning
`storages["private"]` itself would bind the field to the location configured at import time
for good, so a changed `STORAGES` (each test's own folder, see tests/conftest.py) would be
ignored and files would land in the real folder. The callables return lazy handles instead,
which look the storage up by name when first used and again after `STORAGES` changes.
"""

from typing import Any, cast

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class _NamedStorage(LazyObject):
    """The storage called `alias` in `STORAGES`, looked up when first used."""

    def __init__(self, alias: str) -> None:
        super().__init__()
        self.__dict__["_alias"] = alias

    def _setup(self) -> None:
        self._wrapped = storages[self.__dict__["_alias"]]


_private = _NamedStorage("private")
_reports = _NamedStorage("reports")


@receiver(setting_changed)
def _storages_changed(*, setting: str, **_: Any) -> None:
    # Django forgets its own storage instances on this signal; ours must follow.
    if setting == "STORAGES":
        for handle in (_private, _reports):
            handle.__dict__["_wrapped"] = empty


def storages_private() -> Storage:
    """Watchlist images and alert crops: never under a URL the web server serves."""
    return cast(Storage, _private)


def storages_reports() -> Storage:
    """Generated PDFs, served only through their views."""
    return cast(Storage, _reports)
