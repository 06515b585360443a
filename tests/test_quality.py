"""`briefings quality`: the short, exact report a maintainer reads after a crawl."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from briefings.cli import cli
from conftest import FIXTURES, ROOT, recorded_transcripts
from helpers import parse_all


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_real_corpus_has_no_unknown_labels_and_no_breaks(corpus_en, corpus_zh):
    for folder in (corpus_en, corpus_zh):
        report = json.loads(run("quality", folder, "--json").stdout)
        assert report["briefings"] == recorded_transcripts(folder)
        assert report["unknown_labels"] == []
        assert report["alternation_breaks"] == []
        assert report["label_like_paragraphs"] == []
        assert report["rejected"] == [] and report["incomplete"] == []
    en = json.loads(run("quality", corpus_en, "--json").stdout)
    # Two editorial notes ("The following question was raised after the press conference") are nobody's.
    assert en["unattributed_turns"] == [{"id": "mfa-1630327", "seq": 22}, {"id": "mfa-1682201", "seq": 34}]


def test_report_over_the_archive(db_path, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw", raw)
    shutil.copytree(FIXTURES / "constructed" / "scio_missing_page", raw / "scio_missing_page")
    (raw / "broken.html").write_bytes(b"<html><body><p>Menu</p></body></html>")
    assert run("ingest", raw, "--db", db_path).exit_code == 0
    result = run("quality", "--db", db_path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "9 briefings, 126 turns"  # the seeds, the MFA sample (three pairs) and the fixture
    assert "unknown speaker labels: 0" in lines
    assert "incomplete transcripts: 2" in lines
    assert "  scio-78093456: page(s) 2 missing" in lines
    assert "  scio-118230968: page(s) 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 missing" in lines
    assert "rejected pages: 1" in lines
    assert f"  {raw / 'broken.html'}: no transcript text found after removing page chrome" in lines
    assert "turns with no speaker: 1" in lines  # the text that opens page 3 after the lost page 2


def test_unknown_labels_are_counted(tmp_path):
    page = tmp_path / "content_1.html"
    page.write_text(
        "<html><head><title>SCIO press conference on ports</title></head><body>"
        "<h1>SCIO press conference on ports</h1><!--enpcontent-->"
        "<p>Speakers:</p><p>Mr. Li Ming, director of ports</p><p>Chairperson:</p><p>Ms. Hu Yan, spokesperson</p>"
        "<p>Date:</p><p>May 5, 2024</p><p>Hu Yan:</p><p>Welcome.</p><p>Wang Dawei:</p><p>Thank you.</p>"
        "<p>Ocean Weekly Gazette:</p><p>How many ports?</p><p>Li Ming:</p><p>Ten.</p>"
        "<p>Wang Dawei:</p><p>Another point.</p><!--/enpcontent--></body></html>",
        encoding="utf-8",
    )
    report = json.loads(run("quality", page, "--source", "scio", "--json").stdout)
    found = [(u["label"], u["count"], u["example"].split("#")[1]) for u in report["unknown_labels"]]
    assert found == [("Wang Dawei", 2, "2"), ("Ocean Weekly Gazette", 1, "3")]


def test_quality_needs_an_archive_or_paths(db_path):
    result = run("quality", "--db", db_path)
    assert result.exit_code == 1
    assert "no archive at" in result.stderr


def test_reingest_of_a_changed_page_lists_what_changed_turn_by_turn(db_path, tmp_path):
    folder = tmp_path / "raw"
    shutil.copytree(FIXTURES / "constructed" / "scio_mobile", folder)
    assert run("ingest", folder, "--db", db_path).exit_code == 0
    page = folder / "content_85912345.htm"
    html = page.read_text(encoding="utf-8")
    assert "Will the poor weather affect" in html
    page.write_text(
        html.replace("Will the poor weather affect", "Could the poor weather affect").replace(
            "Xu Haoming:</p>", "Xu Haoming: </p>", 1
        ),
        encoding="utf-8",
    )
    result = run("ingest", folder, "--db", db_path)
    assert "1 updated" in result.stdout
    report = json.loads(run("quality", "--json", "--db", db_path).stdout)
    [change] = report["changed"]
    assert (change["id"], change["seq"], change["change"]) == ("scio-85912345", 6, "changed")
    assert json.loads(change["old"])["text"].startswith("Will the poor weather affect")
    assert json.loads(change["new"])["text"].startswith("Could the poor weather affect")
    lines = run("quality", "--db", db_path).stdout.splitlines()
    assert "changed when ingested again: 1" in lines
    assert lines[lines.index("changed when ingested again: 1") + 1].startswith(
        '  scio-85912345#6 changed: AFP (question): "Will the poor weather affect'
    )
    # Ingesting the same pages again records nothing more.
    run("ingest", folder, "--db", db_path)
    assert len(json.loads(run("quality", "--json", "--db", db_path).stdout)["changed"]) == 1


def test_label_like_paragraphs_in_chinese_and_english(tmp_path):
    page = tmp_path / "t1.html"
    page.write_text(
        "<html><head><title>2020年6月1日外交部发言人赵立坚主持例行记者会</title></head><body>"
        "<div class='content_mod'><h2 class='title'>2020年6月1日外交部发言人赵立坚主持例行记者会</h2>"
        "<div class='content'><p>外交部发言人赵立坚宣布：会议将于明天举行。</p>"
        "<p><b>路透社记者：会议有何成果？</b></p><p>赵立坚：我们将适时发布消息。</p>"
        "<p>发言人：这一段以标签开头，却不是已知的发言人。</p></div></div></body></html>",
        encoding="utf-8",
    )
    report = json.loads(run("quality", page, "--source", "mfa", "--json").stdout)
    assert report["unknown_labels"] == []
    # The announcement's opening line ("Spokesperson Zhao Lijian announced:") is not a label
    # left in a turn, and "发言人：" opens the spokesperson's own turn.
    assert report["label_like_paragraphs"] == []
    [b] = parse_all(page, source="mfa")
    assert [(t.label, t.speaker, t.kind) for t in b.turns] == [
        (None, "Zhao Lijian", "statement"),
        ("路透社记者", "Reuters", "question"),
        ("赵立坚", "Zhao Lijian", "answer"),
        ("发言人", "Zhao Lijian", "answer"),
    ]


def test_a_plain_paragraph_that_opens_like_a_label_is_reported(tmp_path):
    """On a page whose labels are bold, "Guangdong Province: ..." in plain type stays in the
    minister's answer, and the report points at it for a person to confirm."""
    page = tmp_path / "content_118260001.html"
    page.write_text(
        "<html><head><title>SCIO press conference on trade</title></head><body><div id='content'>"
        "<p><b>Speakers:</b></p><p>Mr. Li Hua, minister of commerce</p><p><b>Date:</b></p><p>March 2, 2023</p>"
        "<p><b>CCTV:</b></p><p>Which regions grew fastest?</p><p><b>Li Hua:</b></p><p>Three stand out.</p>"
        "<p>Guangdong Province: exports rose 8%.</p><p>Yangtze River Delta: exports rose 6%.</p>"
        "<p><b>Reuters:</b></p><p>And imports?</p><p><b>Li Hua:</b></p><p>They fell.</p></div></body></html>",
        encoding="utf-8",
    )
    [b] = parse_all(page, source="scio")
    assert [(t.speaker, t.kind, t.answers) for t in b.turns] == [
        ("CCTV", "question", None),
        ("Li Hua", "answer", 1),
        ("Reuters", "question", None),
        ("Li Hua", "answer", 3),
    ]
    assert b.turns[1].text.endswith("Yangtze River Delta: exports rose 6%.")
    report = json.loads(run("quality", page, "--source", "scio", "--json").stdout)
    assert [p["start"] for p in report["label_like_paragraphs"]] == [
        "Guangdong Province: exports rose 8%.",
        "Yangtze River Delta: exports rose 6%.",
    ]


def test_a_page_the_parser_trips_on_is_a_rejection_in_the_folder_report(tmp_path, monkeypatch):
    # The same page through `ingest` is rejected with the parser's error and the run
    # goes on; the report over raw pages must say the same, not stop with a traceback.
    from briefings import ingest

    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw", raw)
    real = ingest.parse_group

    def trips_on_gac(group, entities):
        if group.family == "gac":
            raise ValueError("no paragraph where one was expected")
        return real(group, entities)

    monkeypatch.setattr(ingest, "parse_group", trips_on_gac)
    result = run("quality", raw, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["briefings"] == 7  # the SCIO seed and the six MFA pages; the GAC seed tripped
    assert [(r["path"].endswith(".txt"), r["reason"]) for r in report["rejected"]] == [
        (True, "cannot parse: ValueError: no paragraph where one was expected")
    ]
