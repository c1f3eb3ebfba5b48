"""Which radios have changes not yet in the store: what the per-radio barrier reads
(writer.Writer.stored, for streaming.bus).

A change of a radio's own state (its stream, its timeline, its listener
sessions: the changes its owner's epoch fences, pending.Buffered._fenced; and
its song requests taken) is noted here by document, (repository, `_id`), as
it is queued; the radio's changes queued up to a barrier mark are stored once
none of those documents has a change of that mark or older waiting or being
written. A document is forgotten once it has nothing unwritten: as its writes
land, or when asked.
"""

from collections.abc import Hashable, Iterable
from typing import Protocol


class Unwritten(Protocol):
    """A repository, as this reads it (pending.Buffered)."""

    def first_unwritten(self, key: Hashable, radio: str | None = None) -> int | None:
        """The mark of the oldest change of document `key` waiting or being written (of
        `radio`'s own, in a document holding several radios' state)."""


class RadioChanges:
    def __init__(self):
        # radio uuid -> its documents that may have changes unwritten
        self._documents: dict[str, set[tuple[Unwritten, Hashable]]] = {}
        self._landed: set[str] = set()  # radios with writes landed since last asked

    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, radio: str) -> bool:
        return radio in self._documents

    def documents_of(self, radio: str) -> set[tuple[Unwritten, Hashable]]:
        """The radio's documents that may have changes unwritten, (repository, `_id`)."""
        return self._documents.get(radio, set())

    def noted(self, radio: str, repository: Unwritten, key: Hashable) -> None:
        self._documents.setdefault(radio, set()).add((repository, key))

    def stored(self, radio: str, mark: int) -> bool:
        """True once none of the radio's changes queued up to `mark` is unwritten."""
        return all(first > mark for first in self._unwritten(radio))

    def landed(self, repository: Unwritten, radios_by_key: dict[Hashable, Iterable[str]]) -> None:
        """These documents' changes taken are in the store (or dropped for good): each
        document's radios (one, or a shard's many: store/streams.py)."""
        for key, radios in radios_by_key.items():
            self._landed.update(radios)
            for radio in radios:
                documents = self._documents.get(radio)
                if documents is not None and repository.first_unwritten(key, radio) is None:
                    documents.discard((repository, key))
                    if not documents:
                        del self._documents[radio]

    def take_landed(self) -> set[str]:
        """The radios some of whose writes landed since the last call: those whose held
        messages may go (the bus checks them alone, not every radio holding one)."""
        landed, self._landed = self._landed, set()
        return landed

    def forget_written(self) -> None:
        """Forget every document left with nothing unwritten (a repository dropped what
        waited: its collection was cleared)."""
        for radio in list(self._documents):
            self._unwritten(radio)

    def _unwritten(self, radio: str) -> list[int]:
        """The marks of the oldest unwritten change of each of the radio's documents;
        those with none are forgotten."""
        documents = self._documents.get(radio)
        if documents is None:
            return []
        firsts = []
        for repository, key in list(documents):
            first = repository.first_unwritten(key, radio)
            if first is None:
                documents.discard((repository, key))
            else:
                firsts.append(first)
        if not documents:
            del self._documents[radio]
        return firsts
