"""The catalog files imported at start-up, by path, with the digest of what was read:
a file imported unchanged is not imported again."""

from mongoengine import Document, FloatField, StringField

from .records import storing


class CatalogFile(Document):
    path = StringField(primary_key=True)
    digest = StringField(required=True)  # sha256 of the file's bytes
    imported_at = FloatField(required=True)
    meta = {"collection": "catalog_files"}


class StoredCatalogFiles:
    def digest(self, path: str) -> str | None:
        """The digest of the file at `path` as last imported; None if never."""
        with storing("reading the catalog file %s's digest", path):
            found = _collection().find_one({"_id": path}, {"digest": 1})
        digest = (found or {}).get("digest")
        return digest if isinstance(digest, str) else None

    def imported(self, path: str, digest: str, at: float) -> None:
        with storing("storing the catalog file %s's digest", path):
            # _id in the replacement: nx-27017 gives an upsert without one an ObjectId
            _collection().replace_one(
                {"_id": path}, {"_id": path, "digest": digest, "imported_at": at}, upsert=True
            )

    def clear(self) -> int:
        with storing("deleting the catalog files' digests"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return CatalogFile._get_collection()
