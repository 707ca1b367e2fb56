"""The project paraphrases its source and never copies it: no run of 8 consecutive words of the
source text appears in any file of the repository (tracked, or untracked and not ignored).

The source lives outside the repository (``../shared/source/petras-1971-bolivia.txt``); where it is
absent, as on a clean clone, the check runs on its shipped fingerprint ``tests/data/source_8grams.txt``
(one hash per 8-gram; see ``tests/source_ngrams.py``).
"""

from __future__ import annotations

import pytest

from source_ngrams import (
    FINGERPRINT,
    REPO,
    SOURCE,
    N,
    find_copies,
    ngram_hash,
    read_fingerprint,
    read_text_or_none,
    render_fingerprint,
    repository_files,
    source_hashes,
    tokens,
)

pytestmark = pytest.mark.unit

HAVE_SOURCE = SOURCE.is_file()


@pytest.fixture(scope="module")
def hashes() -> set[str]:
    if HAVE_SOURCE:
        return source_hashes(SOURCE.read_text(encoding="utf-8"))
    return read_fingerprint()


def test_no_8_words_of_the_source_in_the_repository(hashes):
    assert hashes, "no 8-gram hashes to check against"
    copies = []
    for path in repository_files():
        if path == FINGERPRINT or path == SOURCE:
            continue
        text = read_text_or_none(path)
        if text is None:
            continue
        copies += [f"{path.relative_to(REPO)}: {run!r}" for run in find_copies(text, hashes)]
    assert not copies, (
        f"runs of {N}+ consecutive words copied from the source; paraphrase them:\n" + "\n".join(copies)
    )


@pytest.mark.skipif(not HAVE_SOURCE, reason="the source text is not present (clean clone)")
def test_fingerprint_matches_the_source():
    expected = render_fingerprint(source_hashes(SOURCE.read_text(encoding="utf-8")))
    assert FINGERPRINT.read_text(encoding="utf-8") == expected, (
        "tests/data/source_8grams.txt is stale: regenerate it with `.venv/bin/python tests/source_ngrams.py`"
    )


def test_the_checker_detects_a_copied_run(hashes):
    if HAVE_SOURCE:
        source_tokens = tokens(SOURCE.read_text(encoding="utf-8"))
        middle = len(source_tokens) // 2
        run = source_tokens[middle : middle + N]
        checked = hashes
    else:  # a made-up source, checked through the same fingerprint path
        run = "zyx alpha beta gamma delta epsilon zeta omega".split()
        checked = hashes | {ngram_hash(run)}
    assert ngram_hash(run) in checked
    # Case, punctuation, line breaks and a hyphen at a line end do not hide the copy.
    first, *rest = run
    disguised = f"Our own words here. {first.upper()[:2]}-\n{first[2:]} " + ",  ".join(rest[:3]) + "\n" + " ".join(rest[3:])
    if len(first) < 3:
        disguised = "Our own words here. " + first.upper() + ", " + " ".join(rest)
    text = f"{disguised} and then our own words again."
    assert find_copies(text, checked) == [" ".join(run)]
    # One word fewer is no copy.
    assert find_copies(" ".join(run[:-1]) + " unrelated", checked) == []
