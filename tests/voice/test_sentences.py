"""The sentence splitter: where a streamed reply is cut into pieces to speak, and what is
left out of them (markdown, URLs, emoji, code)."""

from __future__ import annotations

import random

import pytest

from os1.voice.sentences import SentenceSplitter, clean_for_speech, split_text, word_count


def streamed(text: str, sizes: list[int] | None = None) -> list[str]:
    """Feed text in chunks of the given sizes (1 char at a time by default), then flush."""
    splitter = SentenceSplitter()
    pieces: list[str] = []
    position = 0
    chunk_sizes = iter(sizes or [])
    while position < len(text):
        size = next(chunk_sizes, 1)
        pieces += splitter.feed(text[position:position + size])
        position += size
    last = splitter.flush()
    return pieces + ([last] if last else [])


# --- sentence ends ----------------------------------------------------------------------

def test_whole_sentences_after_the_first() -> None:
    assert split_text("I'm glad you called. How are you feeling today? That's wonderful news!") == [
        "I'm glad you called.", "How are you feeling today?", "That's wonderful news!"]


def test_a_sentence_end_waits_for_what_follows() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("I'm glad you called.") == []  # might be "called.com", or "3.5"
    assert splitter.feed(" ") == []  # might be "e.g. something"
    assert splitter.feed("How") == ["I'm glad you called."]
    assert splitter.flush() == "How"


def test_flush_returns_the_rest_and_resets() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Good night, Theodore") == []
    assert splitter.flush() == "Good night, Theodore"
    assert splitter.flush() is None
    # A new reply starts over: its first piece may be a clause again.
    assert splitter.feed("Good morning to you, did you sleep well?") == ["Good morning to you,"]


@pytest.mark.parametrize("text", [
    "Mr. Smith and Dr. Jones came by today. They said hello.",
    "Mrs. Dalloway said she would buy the flowers herself. It was lovely.",
    "Bring something warm, e.g. a scarf or a coat. It's cold.",
    "I mean the other one i.e. the blue one by the window. Sorry.",
    "She moved to the U.S. last year with her family. She likes it.",
    "We'll meet at 5 p.m. tomorrow near the river. Don't be late.",
    "J. R. R. Tolkien wrote it before the war began. Did you know?",
    "It's at St. Mark's Square near the old bridge. See you there.",
])
def test_abbreviations_do_not_end_sentences(text: str) -> None:
    pieces = split_text(text)
    assert len(pieces) == 2, pieces
    assert " ".join(pieces) == text


def test_soft_abbreviations_end_a_sentence_before_a_capital() -> None:
    assert split_text("I bought apples, pears, etc. Then I went home to cook.") == [
        "I bought apples, pears,", "etc. Then I went home to cook."]
    assert split_text("Now I live in the U.S. It is far from home for me.") == [
        "Now I live in the U.S.", "It is far from home for me."]
    assert split_text("It happened in Jan. 2020, a long time ago now. Yes.")[0].startswith(
        "It happened in Jan. 2020,")


@pytest.mark.parametrize("text", [
    "The temperature is 3.5 degrees outside right now. Stay warm.",
    "It costs $12.99 at the corner store near you. Not bad.",
    "I'll call you at 10:30 tonight after the film. Okay?",
    "Version 2.0.1 fixed the problem with the old settings. Good.",
    "Look at example.com for the details and the prices. Thanks.",
])
def test_decimals_times_and_dotted_words_stay_whole(text: str) -> None:
    pieces = split_text(text)
    assert len(pieces) == 2, pieces
    assert pieces[1] in ("Stay warm.", "Not bad.", "Okay?", "Good.", "Thanks.")


def test_a_long_first_sentence_without_a_comma_is_cut_before_a_conjunction() -> None:
    text = ("Reading a book on a rainy weekend can be a great way to unwind and escape the "
            "chaos. Try a mystery and a pot of tea.")
    assert split_text(text) == ["Reading a book on a rainy weekend can be a great way",
                                "to unwind and escape the chaos.",
                                "Try a mystery and a pot of tea."]
    streamed = SentenceSplitter()
    pieces = [p for ch in text for p in streamed.feed(ch)]
    assert pieces + [streamed.flush()] == split_text(text)
    # Short openings stay whole, and only the first piece is ever cut this way.
    assert split_text("I am so happy for you and your sister.") == [
        "I am so happy for you and your sister."]


def test_ellipsis_mid_sentence_does_not_cut_but_before_a_capital_does() -> None:
    assert split_text("It was nice... maybe a little too nice for me. Wait... What happened?") == [
        "It was nice... maybe a little too nice for me.", "Wait... What happened?"]
    assert split_text("Hmm… let me think about that for a moment.") == [
        "Hmm… let me think about that for a moment."]


def test_question_and_exclamation_marks_and_quotes() -> None:
    assert split_text('Really?! That is amazing. He said "Stop." Then he left the room.') == [
        "Really?!", "That is amazing.", 'He said "Stop."', "Then he left the room."]
    assert split_text("Did you say yes? she asked me quietly. Yes.") == [
        "Did you say yes? she asked me quietly.", "Yes."]


def test_newlines_end_pieces() -> None:
    assert split_text("First line without a stop\nSecond line here with words\n\nThird one now") == [
        "First line without a stop", "Second line here with words", "Third one now"]


def test_numbered_lists_are_not_sentence_ends() -> None:
    assert split_text("Here is the plan:\n1. Buy the milk today\n2. Call your mother tonight") == [
        "Here is the plan:", "1. Buy the milk today", "2. Call your mother tonight"]


# --- the first piece, short pieces, long ones ------------------------------------------

def test_the_first_piece_may_end_at_a_clause() -> None:
    assert split_text("Oh Theodore, that sounds hard, and I'm sorry it happened to you. "
                      "Do you want to talk about it, or would you rather rest?") == [
        "Oh Theodore, that sounds hard,", "and I'm sorry it happened to you.",
        "Do you want to talk about it, or would you rather rest?"]


@pytest.mark.parametrize(("text", "first"), [
    ("I've been thinking about it; maybe you're right after all.", "I've been thinking about it;"),
    ("Here's what I think you could do: call her tonight.", "Here's what I think you could do:"),
    ("I was going to say something — but it can wait.", "I was going to say something,"),
    ("I was going to say something - but it can wait.", "I was going to say something,"),
])
def test_clause_boundaries_for_the_first_piece(text: str, first: str) -> None:
    assert split_text(text)[0] == first


def test_the_first_clause_needs_a_few_words() -> None:
    # "Yes," and "Well, I think," are too short to be worth saying alone.
    assert split_text("Yes, well, I think that you should go.") == [
        "Yes, well, I think that you should go."]
    assert split_text("Well, I think, honestly, that you should go.")[0] == "Well, I think, honestly,"


def test_clause_marks_that_are_not_boundaries() -> None:
    assert split_text("We raised 1,000 dollars at 10:30 for the shelter today.") == [
        "We raised 1,000 dollars at 10:30 for the shelter today."]
    assert split_text("A well-known, long-awaited, very late train.")[0] == "A well-known, long-awaited,"


def test_later_pieces_are_whole_sentences_not_clauses() -> None:
    pieces = split_text("Hello there. I went out, walked along the river, and came back home.")
    assert pieces == ["Hello there.", "I went out, walked along the river, and came back home."]


def test_a_short_first_piece_is_said_alone() -> None:
    assert split_text("Oh. I didn't know that about your sister.") == [
        "Oh.", "I didn't know that about your sister."]


def test_short_later_pieces_merge_with_the_next() -> None:
    assert split_text("That's lovely to hear. Oh. Right. So what happened next with her?") == [
        "That's lovely to hear.", "Oh. Right. So what happened next with her?"]
    assert split_text("That's lovely to hear. Oh. I see. So what happened next?") == [
        "That's lovely to hear.", "Oh. I see.", "So what happened next?"]
    # At the very end there is nothing to merge with: it is said on its own.
    assert split_text("That's lovely to hear. Thanks.") == ["That's lovely to hear.", "Thanks."]


def test_short_list_items_merge_with_commas() -> None:
    assert split_text("You'll need a few things:\n- Milk\n- Eggs\n- Flour\n- Sugar") == [
        "You'll need a few things:", "Milk, Eggs, Flour", "Sugar"]


def test_a_very_long_later_sentence_is_cut_at_a_clause() -> None:
    long = ("Then we walked for hours along the river and through the old town and past the "
            "market where they sell the flowers you like so much, and we talked about everything "
            "that had happened since we last met.")
    pieces = split_text("Hello. " + long)
    assert pieces[0] == "Hello."
    assert len(pieces) == 3
    assert pieces[1].endswith("so much,")
    assert " ".join(pieces[1:]) == long


# --- cleaning ---------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "spoken"), [
    ("**Absolutely!** I'd love to.", "Absolutely! I'd love to."),
    ("That is *so* _very_ __important__ to me.", "That is so very important to me."),
    ("## A heading", "A heading"),
    ("- a bullet point", "a bullet point"),
    ("* another bullet", "another bullet"),
    ("> a quoted line", "a quoted line"),
    ("Run `os1 talk` to start.", "Run os1 talk to start."),
    ("See [the docs](https://example.com/docs) for more.", "See the docs for more."),
    ("Look at https://example.com/a?b=c. It's good.", "Look at a link. It's good."),
    ("Go to www.example.org, it's fine.", "Go to a link, it's fine."),
    ("Write to me@example.com any time.", "Write to an email address any time."),
    ("I'm so happy 😊🎉 for you!", "I'm so happy for you!"),
    ("Thumbs up 👍🏽 and a family 👨‍👩‍👧 and a flag 🇫🇷.", "Thumbs up and a family and a flag."),
    ("Hearts ❤️ and stars ✨ everywhere.", "Hearts and stars everywhere."),
    ("It's 25°C outside.", "It's 25°C outside."),
    ("That's great :) really", "That's great really"),
    ("It takes ~5 minutes.", "It takes about 5 minutes."),
    ("We're #1 again.", "We're number 1 again."),
    ("The snake_case name.", "The snake case name."),
    ("Line<br>break", "Line break"),
    ("I think — honestly — yes.", "I think, honestly, yes."),
    ("Café, naïve and Zürich stay as they are.", "Café, naïve and Zürich stay as they are."),
])
def test_clean_for_speech(raw: str, spoken: str) -> None:
    assert clean_for_speech(raw) == spoken


@pytest.mark.parametrize("raw", ["---", "***", "- ", "😊", "🎉🎉", "**", "|---|---|", "   ", ""])
def test_nothing_speakable_is_empty(raw: str) -> None:
    assert clean_for_speech(raw) == ""


def test_markdown_reply_end_to_end() -> None:
    reply = ("**Sure!** Here's a quick plan for tomorrow:\n\n"
             "1. **Wake up** at *7:30* and stretch.\n"
             "2. Read [this article](https://example.com/x) over coffee ☕.\n"
             "- Call your sister 📞\n\n"
             "You've got this! 💪")
    assert split_text(reply) == [
        "Sure!", "Here's a quick plan for tomorrow:", "1. Wake up at 7:30 and stretch.",
        "2. Read this article over coffee.", "Call your sister", "You've got this!"]


def test_code_blocks_are_not_spoken() -> None:
    reply = ("Here's how you could do it:\n```python\nprint('hello. world')\nx = 1; y = 2\n```\n"
             "That prints a greeting for you. Try it out.")
    assert split_text(reply) == [
        "Here's how you could do it:", "That prints a greeting for you.", "Try it out."]
    # An unfinished code block at the end of the reply isn't spoken either.
    assert split_text("Look at this code now:\n```\nrm -rf build. Then more") == [
        "Look at this code now:"]


def test_nothing_but_markup_gives_nothing() -> None:
    assert split_text("") == []
    assert split_text("😊") == []
    assert split_text("---\n***\n") == []


def test_word_count() -> None:
    assert word_count("I'm here, aren't I?") == 4
    assert word_count("") == 0


# --- streaming --------------------------------------------------------------------------

REPLIES = [
    "Hello there, my dear friend, how are you today? I missed you. Oh. I see what you mean now.",
    "Oh. That's wonderful news! Mr. Smith told me. The U.S. economy grew 3.5 percent, e.g. in Q3.",
    "We met at 10:30 a.m. yesterday. It was nice... maybe too nice. Wait... What happened?",
    "**Sure!** Here's a list:\n\n1. Buy milk\n2. Call *Mom*\n- Walk the dog\n\nCheck "
    "https://example.com/page. Also [the docs](http://x.y/z) are good 😊🎉!",
    "Here's code:\n```python\nprint('hi. there')\nx = 1\n```\nThat's it. Done now, really done.",
    "I think — honestly — that you should rest; it's been a long week for you.",
    'He said "Stop." Then he left. ## Heading\nThe end',
    "J. R. R. Tolkien wrote it. I love it, etc. Do you?",
    "Yes, well, I think that you should go.",
    "That's lovely to hear. Thanks.",
    "You'll need a few things:\n- Milk\n- Eggs\n- Flour\n- Sugar",
]


@pytest.mark.parametrize("reply", REPLIES)
def test_streaming_char_by_char_matches_whole_text(reply: str) -> None:
    assert streamed(reply) == split_text(reply)


@pytest.mark.parametrize("seed", range(20))
def test_streaming_in_random_chunks_matches_whole_text(seed: int) -> None:
    rng = random.Random(seed)
    reply = " ".join(rng.sample(REPLIES, 4))
    sizes = [rng.randint(1, 12) for _ in range(len(reply))]
    assert streamed(reply, sizes) == split_text(reply)


def test_pieces_come_out_as_soon_as_they_are_complete() -> None:
    splitter = SentenceSplitter()
    ready: list[tuple[int, str]] = []
    text = "I'm here with you, Theodore, always. Tell me about your day."
    for index, char in enumerate(text):
        ready += [(index, piece) for piece in splitter.feed(char)]
    # The first clause is out as soon as the space after its comma arrives; "Theodore,
    # always." is too short to be said alone, so it waits for the next sentence.
    assert ready == [(text.index(" Theodore"), "I'm here with you,")]
    assert splitter.flush() == "Theodore, always. Tell me about your day."
