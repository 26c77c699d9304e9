"""The letter library: versions never overwrite, and every letter is its owner's alone."""

from __future__ import annotations

import pytest

from os1.errors import InputError
from os1.tools.letters.library import LetterLibrary


def test_revisions_are_versions_and_the_first_draft_stays(store, user_id, clock) -> None:
    library = LetterLibrary(store)
    letter = library.add(user_id, sender="Chris", recipient="Loretta", body="Dear Loretta,\nHi.",
                         occasion="50th anniversary", now=clock.now())
    clock.advance(minutes=5)
    warmer = library.revise(user_id, letter.id, "Dear Loretta,\nMy love.", change="warmer",
                            now=clock.now())
    assert (warmer.version, warmer.versions, warmer.body) == (2, 2, "Dear Loretta,\nMy love.")
    versions = library.versions(user_id, letter.id)
    assert [(v.version, v.change, v.body) for v in versions] == [
        (1, "drafted", "Dear Loretta,\nHi."), (2, "warmer", "Dear Loretta,\nMy love.")]
    assert warmer.title == "Chris to Loretta, 50th anniversary"
    assert library.current(user_id, clock.now()).id == letter.id  # type: ignore[union-attr]
    clock.advance(hours=4)
    assert library.current(user_id, clock.now()) is None


def test_letters_between_two_people_either_way(store, user_id, clock) -> None:
    library = LetterLibrary(store)
    a = library.add(user_id, sender="Chris", recipient="Loretta", body="one", now=clock.now())
    b = library.add(user_id, sender="loretta", recipient="CHRIS", body="two", now=clock.now())
    library.add(user_id, sender="Chris", recipient="Paul", body="three", now=clock.now())
    assert {x.id for x in library.all(user_id, between=("Chris", "Loretta"))} == {a.id, b.id}


def test_another_person_cannot_see_or_change_a_letter(store, user_id, clock) -> None:
    library = LetterLibrary(store)
    mine = library.add(user_id, sender="Chris", recipient="Loretta", body="private",
                       now=clock.now())
    eve = store.ensure_user("eve")
    assert library.all(eve) == []
    with pytest.raises(InputError):
        library.get(eve, mine.id)
    with pytest.raises(InputError):
        library.revise(eve, mine.id, "hacked", change="x", now=clock.now())
    with pytest.raises(InputError):
        library.delete(eve, mine.id)
    assert library.get(user_id, mine.id).body == "private"


def test_bad_input_is_refused_with_what_to_do(store, user_id, clock) -> None:
    library = LetterLibrary(store)
    with pytest.raises(InputError, match="from and someone it's to"):
        library.add(user_id, sender="Chris", recipient=" ", body="x", now=clock.now())
    with pytest.raises(InputError, match="empty"):
        library.add(user_id, sender="Chris", recipient="Ann", body="  ", now=clock.now())
    with pytest.raises(InputError, match="characters"):
        library.add(user_id, sender="Chris", recipient="Ann", body="x" * 60_000, now=clock.now())
    letter = library.add(user_id, sender="Chris", recipient="Ann", body="x", now=clock.now())
    with pytest.raises(InputError, match="no field"):
        library.update(user_id, letter.id, now=clock.now(), body="sneaky")
    assert library.count(user_id) == 1
