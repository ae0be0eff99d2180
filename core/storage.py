"""Callables naming the storages, so models do not freeze a path into their migrations.

A FileField calls its storage callable once, when the model class is built. Returning
`storages["private"]` itself would bind the field to the location configured at import time
for good, so a changed `STORAGES` (each test's own folder, see tests/conftest.py) would be
ignored and files would land in the real folder. The callables return lazy handles instead,
which look the storage up by name when first used and again after `STORAGES` changes.
"""

import os
from typing import Any, cast

from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class PrivateFileSystemStorage(FileSystemStorage):
    """Watchlist images and alert crops: files 0600 in folders 0700, whatever the umask.

    Other accounts on the machine must not read a face (UK GDPR Article 32, security of
    processing). The modes are fixed here, not in `STORAGES` options, so a configuration that
    names only the location (as each test's does) cannot loosen them.
    """

    FILE_MODE = 0o600
    DIRECTORY_MODE = 0o700

    def __init__(self, **options: Any) -> None:
        options["file_permissions_mode"] = self.FILE_MODE
        options["directory_permissions_mode"] = self.DIRECTORY_MODE
        super().__init__(**options)

    def _save(self, name: str, content: Any) -> str:
        # The root is created with the same mode, and tightened if it exists already.
        os.makedirs(self.location, mode=self.DIRECTORY_MODE, exist_ok=True)
        os.chmod(self.location, self.DIRECTORY_MODE)
        return super()._save(name, content)  # type: ignore[misc]  # not in django-stubs


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
