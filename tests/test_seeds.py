"""The two seed documents in data/raw come out right, fact by fact and as golden files."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GOLDEN, ROOT, check_golden
from helpers import golden_dict, parse_one

SEEDS = ROOT / "data" / "raw" / "seeds"
SCIO = SEEDS / "scio_content_118230968.txt"
GAC = SEEDS / "gac_speech_2025-01-13.txt"
CHROME = (
    "Press Room",
    "Read in Chinese",
    "China.org.cn |",
    "1  2  3",
    "11  >",
    "Home|",
    "STATEMENT",
    "Address:",
    "Postcode",
    "Chinese version shall prevail",
)


@pytest.fixture(scope="module")
def scio():
    return parse_one(SCIO)


@pytest.fixture(scope="module")
def gac():
    return parse_one(GAC)


def test_scio_seed_header(scio):
    assert scio.id == "scio-118230968"
    assert scio.source == "scio"
    assert scio.url == "https://english.scio.gov.cn/m/pressroom/2025-12/16/content_118230968.html"
    assert (
        scio.title
        == "SCIO briefing series on 'high-quality achievements during the 14th Five-Year Plan period': Customs"
    )
    assert scio.date == "2025-08-25"
    assert scio.published == "2025-12-16"
    assert scio.language == "en"


def test_scio_seed_participants(scio):
    people = [(p.name, p.kind, p.role) for p in scio.participants]
    assert people == [
        ("Sun Meijun", "official", "minister of the General Administration of Customs (GAC)"),
        ("Zhao Zenglian", "official", "vice minister of the GAC"),
        ("Wang Jun", "official", "vice minister of the GAC"),
        (
            "Zhang Baofeng",
            "official",
            "member of the Party Committee and director general of the General Office of the GAC",
        ),
        (
            "Shou Xiaoli",
            "chair",
            "director general of the Press Bureau of the State Council Information Office (SCIO) and spokesperson of the SCIO",
        ),
    ]


def test_scio_seed_turns(scio):
    assert [(t.speaker, t.kind) for t in scio.turns] == [
        ("Shou Xiaoli", "moderator"),
        ("Sun Meijun", "statement"),
        ("Shou Xiaoli", "moderator"),
    ]
    speech = scio.turns[1].text.split("\n\n")
    assert speech[0].startswith("Hello, Ms. Shou. Hello, members of the media.")
    assert speech[-1] == (
        "That concludes my introduction. My colleagues and I will now be happy to answer "
        "your questions. Thank you."
    )
    assert len(speech) == 9  # every paragraph of the speech, none dropped
    assert scio.turns[2].text.endswith(
        "Please identify the media outlet you represent before asking your questions."
    )


def test_scio_seed_every_paragraph_kept(scio):
    source_lines = [ln.strip() for ln in SCIO.read_text(encoding="utf-8").splitlines() if ln.strip()]
    start = source_lines.index("Shou Xiaoli:")
    labels = {"Shou Xiaoli:", "Sun Meijun:"}
    speech_lines = [ln for ln in source_lines[start:-1] if ln not in labels]  # the last line is the pager
    assert source_lines[-1].replace("\u00a0", " ").startswith("1  2  3")
    stored = [p for t in scio.turns for p in t.text.split("\n\n")]
    assert stored == [ln.replace("\u00a0", " ") for ln in speech_lines]


def test_scio_seed_is_page_1_of_11(scio):
    assert scio.missing_pages == tuple(range(2, 12))
    assert scio.incomplete


def test_no_chrome_in_turns(scio, gac):
    for b in (scio, gac):
        for t in b.turns:
            for bit in CHROME:
                assert bit not in t.text, (b.id, t.seq, bit)


def test_gac_seed(gac):
    assert gac.source == "gac"
    assert gac.date == "2025-01-13"
    assert gac.published == "2024-05-08"
    assert gac.title == "Speech at the State Council Information Office Press Conference"
    assert [(p.name, p.role) for p in gac.participants] == [
        ("Wang Lingjun", "Vice Minister of the General Administration of Customs of China (GACC)")
    ]
    assert len(gac.turns) == 1
    turn = gac.turns[0]
    assert (turn.speaker, turn.kind, turn.label) == ("Wang Lingjun", "statement", None)
    assert turn.role == "Vice Minister of the General Administration of Customs of China (GACC)"
    assert turn.text.startswith("Friends from the media,\n\nGood morning!")
    assert turn.text.endswith("Next, my colleagues and I will answer questions from the media.")


@pytest.mark.parametrize("path", [SCIO, GAC], ids=lambda p: p.name)
def test_seed_golden(path: Path, update_golden):
    check_golden(golden_dict(parse_one(path)), GOLDEN / "seeds" / (path.stem + ".json"), update_golden)
