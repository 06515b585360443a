"""`briefings verify`: quotes cut from the real transcripts and edited the way quotes
reach print must find the turn they came from; sentences no briefing holds must
never be called verbatim or close.

The quotes are made here, seeded, from the recorded MFA pages (English and
Chinese) ingested into one archive per module.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3 as std_sqlite3

import pytest
from click.testing import CliRunner

from briefings import query, verify
from briefings.cli import cli
from briefings.store import Archive
from conftest import CORPUS

SEED = 20261207
CJK = verify.HAN
# Names a fabricated quote swaps in for the real ones.
PLACES_EN = [
    "China",
    "Japan",
    "India",
    "Russia",
    "Australia",
    "Canada",
    "Germany",
    "France",
    "Brazil",
    "Iran",
    "Pakistan",
    "Viet Nam",
    "Italy",
    "Egypt",
]
PLACES_ZH = [
    "中国",
    "日本",
    "印度",
    "俄罗斯",
    "澳大利亚",
    "加拿大",
    "德国",
    "法国",
    "巴西",
    "伊朗",
    "巴基斯坦",
    "越南",
    "意大利",
    "埃及",
    "美国",
    "英国",
]


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folders = [CORPUS / "en", CORPUS / "zh"]
    if not all(f.is_dir() for f in folders):
        pytest.skip("../shared/corpus/mfa/en and zh are not present")
    db = tmp_path_factory.mktemp("verify") / "archive.db"
    result = run("ingest", *folders, "--db", db)
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def turns(archive):
    conn = std_sqlite3.connect(archive)
    rows = conn.execute(
        "SELECT b.id, t.seq, b.language, t.text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
        "WHERE t.kind IN ('answer', 'statement') ORDER BY b.id, t.seq"
    ).fetchall()
    conn.close()
    return rows


def folded(text: str) -> str:
    return " ".join(verify.tokenize(text).keys)


def _window_en(rng, text, lo=10, hi=30):
    words = text.split()
    if len(words) < lo + 4:
        return None
    n = rng.randint(lo, min(hi, len(words) - 2))
    i = rng.randrange(0, len(words) - n)
    return words[i : i + n]


def _window_zh(rng, text, lo=14, hi=40):
    runs = [m.group() for m in re.finditer(f"(?:{CJK.pattern}|[，、“”：；])+", text) if len(m.group()) >= lo]
    if not runs:
        return None
    run_ = rng.choice(runs)
    n = rng.randint(lo, min(hi, len(run_)))
    i = rng.randrange(0, len(run_) - n + 1)
    return run_[i : i + n]


def _edit_en(rng, words, how):
    words = list(words)
    inner = [
        i
        for i in range(2, len(words) - 2)
        if words[i].isalpha() and words[i].islower() and verify.fold(words[i]) not in verify.NEGATIONS
    ]
    if how == "verbatim":
        return " ".join(words)
    if how == "dropped" and inner:
        del words[rng.choice(inner)]
    elif how == "changed" and inner:
        i = rng.choice(inner)
        words[i] = rng.choice(["very", "really", "certain", "important", "relevant", "said", "such"])
    elif how == "spelling" and inner:
        i = rng.choice(inner)
        w = words[i]
        words[i] = w[:-1] if len(w) > 4 else w + w[-1]
    elif how == "ellipsis" and len(words) >= 16:
        cut = rng.randint(5, len(words) - 9)
        words = words[:cut] + ["..."] + words[cut + rng.randint(2, 4) :]
    elif how == "swapped":
        text = " ".join(words)
        parts = re.split(r"(?<=[,.;])\s+", text)
        if len(parts) < 2:
            return None
        k = rng.randrange(1, len(parts))
        return " ".join(parts[k:] + parts[:k])
    else:
        return None
    return " ".join(words)


def _edit_zh(rng, s, how, alphabet):
    chars = list(s)
    inner = [i for i in range(2, len(chars) - 2) if CJK.match(chars[i])]
    if how == "verbatim":
        return s
    if how == "changed" and inner:
        for i in rng.sample(inner, min(len(inner), rng.randint(1, 2))):
            chars[i] = rng.choice(alphabet)
    elif how == "dropped" and inner:
        del chars[rng.choice(inner)]
    elif how == "swapped" and "，" in s.strip("，"):
        clauses = [c for c in s.split("，") if c]
        k = rng.randrange(1, len(clauses))
        return "，".join(clauses[k:] + clauses[:k])
    elif how == "ellipsis" and len(chars) >= 24:
        cut = rng.randint(8, len(chars) - 12)
        chars = chars[:cut] + ["……"] + chars[cut + rng.randint(2, 5) :]
    else:
        return None
    return "".join(chars)


def real_quotes(turns, count=360):
    """(quote, language, edit, briefing id, seq, the words cut), seeded."""
    rng = random.Random(SEED)
    alphabet = sorted({c for _, _, lang, text in turns if lang == "zh" for c in text if CJK.match(c)})
    out = []
    edits_en = ["verbatim", "verbatim", "dropped", "changed", "spelling", "ellipsis", "swapped"]
    edits_zh = ["verbatim", "verbatim", "changed", "dropped", "ellipsis", "swapped"]
    while len(out) < count:
        bid, seq, lang, text = rng.choice(turns)
        if lang == "en":
            how = rng.choice(edits_en)
            words = _window_en(rng, text)
            quote = words and _edit_en(rng, words, how)
            cut = words and " ".join(words)
        else:
            how = rng.choice(edits_zh)
            cut = _window_zh(rng, text)
            quote = cut and _edit_zh(rng, cut, how, alphabet)
        if quote:
            out.append((quote, lang, how, bid, seq, cut))
    return out


def invented_quotes(turns, count=120):
    """Sentences written like the corpus that no briefing holds: a real sentence with
    its place or number swapped, or corpus words in a random order."""
    rng = random.Random(SEED + 1)
    everything = "\n".join(folded(t) for *_, t in turns)
    vocab_en = sorted({w for *_, lang, t in turns if lang == "en" for w in t.split() if w.isalpha()})
    out = []
    tries = 0
    while len(out) < count and tries < 20000:
        tries += 1
        bid, seq, lang, text = rng.choice(turns)
        kind = rng.choice(["swap", "swap", "compose"])
        if lang == "en":
            if kind == "compose":
                quote = " ".join(rng.choice(vocab_en) for _ in range(rng.randint(12, 25)))
            else:
                words = _window_en(rng, text, 12, 30)
                if not words:
                    continue
                s = " ".join(words)
                places = [p for p in PLACES_EN if re.search(rf"\b{p}\b", s)]
                numbers = re.findall(r"\b\d+\b", s)
                if places:
                    p = rng.choice(places)
                    quote = re.sub(rf"\b{p}\b", rng.choice([x for x in PLACES_EN if x != p]), s)
                elif numbers:
                    n = rng.choice(numbers)
                    quote = re.sub(rf"\b{n}\b", str(int(n) + rng.randint(1, 9)), s)
                else:
                    continue
        else:
            s = _window_zh(rng, text, 14, 40)
            if not s:
                continue
            if kind == "compose":
                pool = [
                    m.group() for t in rng.sample(turns, 30) for m in re.finditer(f"{CJK.pattern}{{2}}", t[3])
                ]
                if len(pool) < 20:
                    continue
                quote = "".join(rng.sample(pool, 10))
            else:
                places = [p for p in PLACES_ZH if p in s]
                numbers = re.findall(r"\d+", s)
                if places:
                    p = rng.choice(places)
                    quote = s.replace(
                        p, rng.choice([x for x in PLACES_ZH if x != p and p not in x and x not in p])
                    )
                elif numbers:
                    n = rng.choice(numbers)
                    quote = s.replace(n, str(int(n) + rng.randint(1, 9)))
                else:
                    continue
        if folded(quote) in everything:
            continue  # some briefing does say it
        out.append((quote, lang, kind))
    return out


def check(archive_path, quote):
    arch = Archive(archive_path)
    try:
        return verify.verify(arch.db, quote, query.Filters())
    finally:
        arch.close()


def holds(match, cut):
    """The matched turn holds the words cut (a stock phrase said on other days too)."""
    return folded(cut) in folded(match["span"]) or folded(match["span"]) in folded(cut)


@pytest.mark.parametrize(
    "phrase, lang, like",
    [
        ("China firmly opposes", "en", "lower(t.text) LIKE '%china firmly opposes%'"),
        ("中方坚决反对", "zh", None),
    ],
)
def test_stock_phrase_counts_briefings_and_leads_with_first_and_last(archive, phrase, lang, like):
    result = run("verify", phrase, "--db", archive, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["verdict"] == "verbatim"
    stock = data["same_wording"]
    conn = std_sqlite3.connect(archive)
    cond = like or "instr(t.text, :phrase) > 0"
    found = conn.execute(
        "SELECT b.date, b.id, t.seq FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
        f"WHERE b.language = :lang AND {cond} ORDER BY b.date, t.pk",
        {"lang": lang, "phrase": phrase},
    ).fetchall()
    conn.close()
    briefings = len({bid for _, bid, _ in found})
    first, last = found[0], found[-1]
    assert stock["briefings"] == briefings > 5
    assert (stock["first"]["date"], stock["last"]["date"]) == (first[0], last[0])
    assert [m["date"] for m in data["matches"][:2]] == [first[0], last[0]]
    table = run("verify", phrase, "--db", archive).output
    assert f"the same wording in {briefings} briefings ({len(found)} turns), first {first[0]} " in table
    assert f"last {last[0]} {stock['last']['briefing_id']}#{stock['last']['seq']}" in table.replace("\n", " ")


def test_json_shape_diff_and_exit_codes(archive, turns):
    bid, seq, _, text = next(t for t in turns if t[2] == "en" and len(t[3].split()) > 40)
    words = text.split()[5:25]
    # One word dropped: a lower-case one (a name dropped, "Republic of Leone", is no small edit).
    i = next(k for k in range(6, 14) if words[k].isalpha() and words[k].islower())
    quote = " ".join(words[:i] + words[i + 1 :])
    result = run("verify", quote, "--db", archive, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["verdict"] == "close"
    top = data["matches"][0]
    assert set(top) >= {"briefing_id", "seq", "date", "speaker", "score", "span", "diff", "original"}
    assert (top["briefing_id"], top["seq"]) == (bid, seq)
    assert [d for d in top["diff"] if d["op"] != "equal"] == [
        {"op": "insert", "quote": "", "official": words[i] + " "}
    ]
    assert "".join(d["official"] for d in top["diff"]) == top["span"]
    assert top["span"] in text
    assert run("verify", "Xylophone quarks dance beneath marmalade volcanoes", "--db", archive).exit_code == 1
    gone = run("verify", "Xylophone quarks dance", "--db", archive, "--json")
    assert json.loads(gone.output) == {
        "verdict": "not found",
        "language": "en",
        "matches": [],
        "same_wording": None,
    }
    assert run("verify", "  ", "--db", archive).exit_code == 2
    bad = run("verify", quote, "--since", "2020-13", "--db", archive)
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert run("verify", quote, "--since", "2021", "--db", archive).exit_code == 1
    assert run("verify", "-", "--db", archive, "--json", input=quote).exit_code == 0


def test_a_match_shows_the_turn_it_is_linked_to_in_the_other_version(archive):
    """An English quote of a paired briefing comes back with the Chinese turn it translates
    (the turn `show --original` links it to), and a Chinese one with its English."""
    conn = std_sqlite3.connect(archive)
    links = conn.execute(
        "SELECT b.id, b.language, t.seq, t.text, o.id, ot.seq, ot.text FROM turn_links l "
        "JOIN briefings b ON b.pk = l.briefing_pk JOIN turns t ON t.briefing_pk = b.pk AND t.seq = l.seq "
        "JOIN briefings o ON o.pk = l.other_pk JOIN turns ot ON ot.briefing_pk = o.pk AND ot.seq = l.other_seq "
        "WHERE t.kind = 'answer' AND length(t.text) > 200 AND l.score > 0.8 ORDER BY b.id, t.seq"
    ).fetchall()
    conn.close()
    one_link = {}
    for bid, lang, seq, text, oid, oseq, otext in links:
        one_link.setdefault((bid, seq), []).append((lang, text, oid, oseq, otext))
    cases = {}
    for (bid, seq), found in one_link.items():
        lang, text, oid, oseq, otext = found[0]
        if len(found) == 1 and lang not in cases:
            cases[lang] = (bid, seq, text, oid, oseq, otext)
    assert set(cases) == {"en", "zh"}
    for lang, (bid, seq, text, oid, oseq, otext) in cases.items():
        quote = " ".join(text.split()[2:22]) if lang == "en" else text[10:40]
        data = json.loads(run("verify", quote, "--db", archive, "--json").output)
        top = data["matches"][0]
        assert (top["briefing_id"], top["seq"]) == (bid, seq)
        assert top["original"] == {"briefing_id": oid, "seq": oseq, "text": otext}
        table = run("verify", quote, "--db", archive, "-n", "1").output
        assert f"{bid}#{seq} → {oid}#{oseq}: " in table
        assert otext.split("\n\n")[0][:20] in table.replace("\n", "")


def test_marks_without_colour_and_filters(archive, turns):
    bid, seq, _, text = next(t for t in turns if t[2] == "en" and len(t[3].split()) > 40 and t[0] > "mfa-16")
    words = text.split()[3:23]
    changed = words[:6] + ["zebra"] + words[7:]
    result = run("verify", " ".join(changed), "--db", archive)
    assert result.exit_code == 0, result.output
    assert f"{bid}#{seq}" in result.output
    assert f"[-{words[6]}][+zebra]" in result.output.replace("\n", " ").replace("  ", " ")
    conn = std_sqlite3.connect(archive)
    speaker, date = conn.execute(
        "SELECT t.speaker, b.date FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
        "WHERE b.id = ? AND t.seq = ?",
        (bid, seq),
    ).fetchone()
    conn.close()
    same = json.loads(
        run(
            "verify",
            " ".join(words),
            "--speaker",
            speaker,
            "--until",
            date,
            "--source",
            "mfa",
            "--lang",
            "en",
            "--db",
            archive,
            "--json",
        ).output
    )
    assert (same["matches"][0]["briefing_id"], same["verdict"]) == (bid, "verbatim")
    assert run("verify", " ".join(words), "--until", "2017", "--db", archive).exit_code == 1
    assert run("verify", " ".join(words), "--lang", "zh", "--db", archive).exit_code == 1


def test_a_verbatim_cut_whose_first_words_also_come_earlier_is_verbatim(tmp_path):
    """国家 stands twice before 行为体 in the turn ("向国家出口军品，不向非国家行为体出口军品"): aligned
    on a widened window, the quote's first two characters were matched to the first 国家, and the
    passage was called a paraphrase with ten characters "inserted"."""
    from conftest import ROOT

    db = tmp_path / "sample.db"
    assert run("ingest", ROOT / "data" / "raw" / "demo-mfa", "--db", db).exit_code == 0
    quote = "国家行为体出口军品，这充分体现了中国对军品出口的高度负责任态度。"
    result = run("verify", quote, "--json", "--db", db)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["verdict"] == "verbatim"
    top = found["matches"][0]
    assert (top["briefing_id"], top["seq"]) == ("mfa-1791135", 4)
    assert [d["op"] for d in top["diff"]] == ["equal"] and top["span"] in quote


def test_an_ellipsis_between_adjacent_words_keeps_the_space_between_them(archive):
    """Two pieces of a quote that stand side by side in the record: their official sides still
    join into the span, word space included."""
    with Archive(archive) as a:
        found = verify.verify(a.db, "We firmly oppose ... interference in Hong Kong", query.Filters())
    top = found["matches"][0]
    assert top["span"].lower() == "we firmly oppose interference in hong kong"
    assert "".join(d["official"] for d in top["diff"]) == top["span"]


# -- real variation: seeded quotes from held-out transcripts -------------------

ACCURACY = 0.97


def held_out(archive_path, turns):
    """The turns of briefings outside data/raw/demo-mfa (the pages the sample ships, which
    examples and earlier tests were looked at on)."""
    from conftest import ROOT

    demo = ROOT / "data" / "raw" / "demo-mfa" / "manifest.jsonl"
    urls = {json.loads(line)["url"] for line in demo.read_text(encoding="utf-8").splitlines() if line.strip()}
    conn = std_sqlite3.connect(archive_path)
    seen = {bid for bid, url in conn.execute("SELECT id, url FROM briefings") if url in urls}
    conn.close()
    assert len(seen) == len(urls), "each demo page is in the archive under its URL"
    return [t for t in turns if t[0] not in seen]


def test_real_quotes_find_their_turn_first(archive, turns):
    """Every verbatim cut finds its own turn first (or a turn holding the same words: a
    stock phrase), and at least 97% of all the edited ones do."""
    quotes = real_quotes(held_out(archive, turns))
    by_edit: dict = {}
    misses = []
    with Archive(archive) as arch:
        for quote, lang, how, bid, seq, cut in quotes:
            found = verify.verify(arch.db, quote, query.Filters())
            top = found["matches"][0] if found["matches"] else None
            right = bool(top) and (
                (top["briefing_id"], top["seq"]) == (bid, seq) or (how == "verbatim" and holds(top, cut))
            )
            key = f"{lang} {how}"
            hits, total = by_edit.get(key, (0, 0))
            by_edit[key] = (hits + right, total + 1)
            if not right:
                misses.append(
                    (key, quote, bid, seq, top and (top["briefing_id"], top["seq"], top["verdict"]))
                )
            if how == "verbatim":
                assert top and top["verdict"] == "verbatim", (quote, top)
    share = sum(h for h, _ in by_edit.values()) / len(quotes)
    for key, (hits, total) in sorted(by_edit.items()):
        print(f"{key}: {hits}/{total} right turn first")
    print(f"all: {share:.1%} of {len(quotes)}; misses: {misses}")
    assert all(by_edit[k][0] == by_edit[k][1] for k in by_edit if k.endswith("verbatim"))
    assert {k.split()[0] for k in by_edit} == {"en", "zh"}
    assert share >= ACCURACY, misses


def test_invented_sentences_are_never_verbatim_or_close(archive, turns):
    invented = invented_quotes(held_out(archive, turns))
    assert len(invented) >= 100
    called = []
    with Archive(archive) as arch:
        for quote, _lang, kind in invented:
            found = verify.verify(arch.db, quote, query.Filters())
            if found["verdict"] in ("verbatim", "close"):
                called.append((quote, kind, found["matches"][0]["span"]))
    kinds = {(lang, kind) for _, lang, kind in invented}
    print(f"{len(invented)} invented sentences ({sorted(kinds)}); called verbatim or close: {called}")
    assert {"en", "zh"} <= {lang for lang, _ in kinds}
    assert called == []
