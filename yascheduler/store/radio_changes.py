"""Which radios have changes not yet in the store: what the per-radio barrier reads
(writer.Writer.stored, for streaming.bus).

A change of a radio's own state (its stream, its timeline, its listener
sessions: the changes its owner's epoch fences, pending.Buffered._fenced; and
its song requests, stored and taken) is noted here by document, (repository, `_id`), as
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


Document = tuple[Unwritten, Hashable]  # (repository, `_id`)


class RadioChanges:
    def __init__(self):
        # radio uuid -> its documents that may have changes unwritten: a tuple, as a radio
        # has a few (its timeline, stream, sessions) and, behind a slow store, 100,000
        # radios have some, where a set each would cost 216 bytes
        self._documents: dict[str, tuple[Document, ...]] = {}
        self._landed: set[str] = set()  # radios with writes landed since last asked

    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, radio: str) -> bool:
        return radio in self._documents

    def documents_of(self, radio: str) -> tuple[Document, ...]:
        """The radio's documents that may have changes unwritten, (repository, `_id`)."""
        return self._documents.get(radio, ())

    def noted(self, radio: str, repository: Unwritten, key: Hashable) -> None:
        documents = self._documents.get(radio, ())
        if (repository, key) not in documents:
            self._documents[radio] = (*documents, (repository, key))

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
                    self._keep(radio, [d for d in documents if d != (repository, key)])

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
        documents = self._documents.get(radio, ())
        firsts, kept = [], []
        for document in documents:
            first = document[0].first_unwritten(document[1], radio)
            if first is not None:
                firsts.append(first)
                kept.append(document)
        if len(kept) < len(documents):
            self._keep(radio, kept)
        return firsts

    def _keep(self, radio: str, documents: list[Document]) -> None:
        """The radio's documents with changes unwritten are now these (none: forgotten)."""
        if documents:
            self._documents[radio] = tuple(documents)
        else:
            del self._documents[radio]
