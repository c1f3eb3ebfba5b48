"""The catalog's two collections, as the catalog import takes them (catalog.ports)."""

from dataclasses import dataclass, field

from .radios import StoredRadios
from .users import StoredUsers


@dataclass(frozen=True)
class StoredCatalog:
    users: StoredUsers = field(default_factory=StoredUsers)
    radios: StoredRadios = field(default_factory=StoredRadios)
