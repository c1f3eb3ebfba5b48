"""The catalog files imported at start-up, by path, with the digest of what was read:
a file imported unchanged is not imported again.

The digest is recorded once everything the import wrote is stored (its new radios
are written behind: store/radio_inserts.py); `importing` says, meanwhile, which
digest is on its way, so that the next start-up can tell an import cut short
(stopped, killed, the store away) from a file that changed."""

from typing import NamedTuple

from mongoengine import Document, FloatField, StringField

from .pending import Buffered
from .records import storing


class CatalogFile(Document):
    path = StringField(primary_key=True)
    digest = StringField()  # sha256 of the file's bytes, as last imported and stored
    importing = StringField()  # the digest of an import whose writes are not all stored
    imported_at = FloatField()
    meta = {"collection": "catalog_files"}


class FileRecord(NamedTuple):
    digest: str | None  # as last imported and stored; None if never
    importing: str | None  # of an import begun and not all stored


class StoredCatalogFiles(Buffered):
    what = "the digest of catalog file %s"

    def collection(self):
        return _collection()

    def record(self, path: str) -> FileRecord:
        """What is known of the file at `path`'s imports."""
        with storing("reading the catalog file %s's digest", path):
            found = _collection().find_one({"_id": path}) or {}
        return FileRecord(_text(found.get("digest")), _text(found.get("importing")))

    def importing(self, path: str, digest: str, last: FileRecord) -> None:
        """An import of the file with `digest` begins writing (written now)."""
        with storing("storing the catalog file %s's import under way", path):
            # _id in the replacement: nx-27017 gives an upsert without one an ObjectId
            _collection().replace_one(
                {"_id": path},
                {"_id": path, "digest": last.digest, "importing": digest},
                upsert=True,
            )

    def imported(self, path: str, digest: str, at: float) -> None:
        """Everything the import of the file with `digest` wrote is stored (written
        behind, after what was queued before)."""
        self._replace(path, {"_id": path, "digest": digest, "imported_at": at})

    def clear(self) -> int:
        with storing("deleting the catalog files' digests"):
            return _collection().delete_many({}).deleted_count


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _collection():
    return CatalogFile._get_collection()
