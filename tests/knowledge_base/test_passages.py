from __future__ import annotations

from knowledge_base.passages import MAX_PASSAGE_CHARS, Passage, passage_text, split


def test_split_makes_one_passage_per_section_and_drops_the_title_heading() -> None:
    body = "# Reset\n\nIntro line.\n\n## How to reset\nGo to login.\n\n## Account locked\nWait 30 minutes.\n"
    assert split("reset", "Reset", body) == [
        Passage("reset#0", "reset", "Reset", "Intro line."),
        Passage("reset#1", "reset", "How to reset", "Go to login."),
        Passage("reset#2", "reset", "Account locked", "Wait 30 minutes."),
    ]


def test_split_long_section_breaks_at_paragraphs() -> None:
    para = "word " * 200  # 1000 characters
    ps = split("long", "Long", f"## Part\n{para}\n\n{para}\n\n{para}\n")
    assert [p.heading for p in ps] == ["Part", "Part", "Part"]
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in ps)


def test_passage_text_puts_title_and_heading_first() -> None:
    p = Passage("a#1", "a", "Account locked", "Wait.")
    assert passage_text("Reset", p) == "Reset. Account locked. Wait."
    assert passage_text("Reset", Passage("a#0", "a", "Reset", "Intro.")) == "Reset. Intro."


def test_split_long_paragraph_breaks_at_sentence_ends() -> None:
    sentences = [f"Sentence number {i} explains one more detail of the router set-up." for i in range(60)]
    paragraph = " ".join(sentences)  # about 4,000 characters in one paragraph
    ps = split("long", "Long", f"## Part\n{paragraph}\n")
    assert len(ps) > 1 and all(len(p.text) <= MAX_PASSAGE_CHARS for p in ps)
    assert all(p.text.endswith("set-up.") for p in ps)  # every cut is at a sentence end
    assert " ".join(p.text for p in ps) == paragraph  # nothing lost or reordered


def test_split_endless_sentence_breaks_at_spaces() -> None:
    words = "wordy " * 500  # 3,000 characters, no sentence end
    ps = split("w", "W", f"## Part\n{words}\n")
    assert len(ps) == 3 and all(len(p.text) <= MAX_PASSAGE_CHARS for p in ps)
    assert " ".join(p.text for p in ps).split() == words.split()
