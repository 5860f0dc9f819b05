"""The memory index behind the item page's suggestions, pure: entries offered and withdrawn
one by one (the newest approved version of a key wins), plural strings matched with plural
strings, and the trigram candidates of a large memory finding what scoring all would."""

from __future__ import annotations

import random

from locflow.db.tm_repo import MemoryRow
from locflow.review.suggest import MemoryIndex


def row(vid: int, msgid: str, forms: tuple[str, ...], plural: str | None = None, ctx=None):
    return MemoryRow(vid, (ctx, msgid, plural), forms, True)


def test_the_newest_approved_version_of_a_key_wins_and_withdrawing_falls_back():
    index = MemoryIndex([row(1, "Delete the note", ("Supprimer la note",))])
    index.offer(row(5, "Delete the note", ("Effacer la note",)))
    index.offer(row(3, "Delete the note", ("Vieux",)))  # older: ignored
    hit = index.nearest((None, "Delete the notes", None))
    assert [(h.forms, h.version_id) for h in hit] == [(("Effacer la note",), 5)]
    older = row(1, "Delete the note", ("Supprimer la note",))
    index.withdraw(row(5, "Delete the note", ()), lambda key: older)
    assert index.nearest((None, "Delete the notes", None))[0].version_id == 1
    index.withdraw(row(1, "Delete the note", ()), lambda key: None)
    assert index.nearest((None, "Delete the notes", None)) == [] and len(index) == 0
    index.withdraw(row(9, "Never there", ()), lambda key: None)  # nothing to do


def test_a_string_is_never_its_own_suggestion_but_its_other_contexts_are():
    index = MemoryIndex([row(1, "Open", ("Ouvrir",), ctx="menu"), row(2, "Open", ("Ouvre",))])
    hits = index.nearest(("menu", "Open", None))
    assert [(h.msgctxt, h.score) for h in hits] == [(None, 100)]


def test_plural_strings_match_plural_strings_best():
    index = MemoryIndex(
        [
            row(
                1,
                "%d file deleted",
                ("%d fichier supprimé", "%d fichiers supprimés"),
                "%d files deleted",
            ),
            row(2, "%d file deleted", ("%d fichier supprimé",)),
        ]
    )
    hits = index.nearest((None, "%d file moved", "%d files moved"))
    assert hits[0].version_id == 1 and len(hits[0].forms) == 2
    assert hits[0].score > (hits[1].score if len(hits) > 1 else 0)


def test_dissimilar_strings_are_not_suggested():
    index = MemoryIndex([row(1, "Sync failed", ("La synchronisation a échoué",))])
    assert index.nearest((None, "Storage used: {used} MB", None)) == []


def test_a_large_memory_finds_through_trigrams_what_scoring_all_would():
    rng = random.Random(7)
    words = [
        f"{a}{b}" for a in ("note", "book", "sync", "file", "page") for b in "abcdefghijklmnop"
    ]
    rows = [
        row(i, " ".join(rng.sample(words, 4)), (f"t{i}",))
        for i in range(1, MemoryIndex.EXACT_UP_TO * 2)
    ]
    big = MemoryIndex(rows)
    assert len(big) > MemoryIndex.EXACT_UP_TO
    found = 0
    for r in rng.sample(rows, 40):
        query = (None, r.key[1] + " x", None)
        hits = big.nearest(query, 1)
        found += bool(hits) and hits[0].version_id == r.version_id
    assert found >= 38  # the string itself, one letter off, is found through its trigrams
    added = row(10**6, "completely different words here", ("nouveau",))
    big.offer(added)
    assert big.nearest((None, "completely different words her", None), 1)[0].version_id == 10**6
