"""People and outlets: canonical names, aliases, roles at a date, and a user's own additions."""

from __future__ import annotations

import json

from click.testing import CliRunner

from briefings.cli import cli
from briefings.models import Participant
from briefings.people import Entities, Roster, name_key, strip_title


def test_outlet_spellings_resolve_to_one_name():
    e = Entities.load()
    for printed, canonical in [
        ("Bloomberg News", "Bloomberg"),
        ("Agence France-Presse", "AFP"),
        ("China National Radio", "CNR"),
        ("China News Service", "CNS"),
        ("Kyodo News", "Kyodo"),
        ("kyodo news", "Kyodo"),
        ("路透社", "Reuters"),
        ("总台央视", "CCTV"),
        ("总台CGTN", "CGTN"),
        ("日本共同社", "Kyodo"),
        ("China Business Network", "Yicai"),
        ("第一财经", "Yicai"),
    ]:
        assert e.outlet(printed) == canonical, printed
    assert e.outlet("Ocean Weekly Gazette") is None


def test_roles_are_resolved_at_the_briefings_date(tmp_path):
    extra = tmp_path / "entities.json"
    extra.write_text(
        json.dumps(
            {
                "people": [
                    {
                        "name": "Lin Qiao",
                        "aliases": ["Ms. Lin Qiao"],
                        "roles": [
                            {"role": "deputy director", "from": "2019-01-01", "to": "2021-12-31"},
                            {"role": "director", "from": "2022-01-01"},
                        ],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    e = Entities.load(extra)
    person = e.person("Ms. Lin Qiao")
    assert person.role_on("2020-06-01") == "deputy director"
    assert person.role_on("2023-03-01") == "director"
    assert person.role_on("2018-03-01") is None
    assert e.person("Geng Shuang").role_on("2019-05-01") == "Foreign Ministry spokesperson"
    assert e.person("Geng Shuang").role_on("2022-05-01") is None  # he had left the post


def test_a_users_entities_file_extends_the_archive(tmp_path, db_path):
    page = tmp_path / "content_9.html"
    page.write_text(
        "<html><body><h1>SCIO press conference on ports</h1><!--enpcontent-->"
        "<p>Speakers:</p><p>Mr. Li Ming, director of ports</p><p>Date:</p><p>May 5, 2024</p>"
        "<p>Li Ming:</p><p>Welcome.</p><p>Harbour Herald:</p><p>How many ports?</p><p>Li Ming:</p><p>Ten.</p>"
        "<!--/enpcontent--></body></html>",
        encoding="utf-8",
    )
    (db_path.parent / "entities.json").write_text(
        json.dumps({"outlets": [{"name": "Harbour Herald", "aliases": ["HH"]}]}), encoding="utf-8"
    )
    assert (
        CliRunner().invoke(cli, ["ingest", str(page), "--source", "scio", "--db", str(db_path)]).exit_code
        == 0
    )
    result = CliRunner().invoke(cli, ["search", "ports", "--outlet", "HH", "--json", "--db", str(db_path)])
    assert [(r["speaker"], r["kind"], r["outlet"]) for r in json.loads(result.stdout)] == [
        ("Harbour Herald", "question", "Harbour Herald")
    ]
    quality = json.loads(CliRunner().invoke(cli, ["quality", "--json", "--db", str(db_path)]).stdout)
    assert quality["unknown_labels"] == []


def test_a_broken_entities_file_is_one_clear_error(tmp_path, db_path):
    (db_path.parent / "entities.json").write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path), "--db", str(db_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot read entities file {db_path.parent / 'entities.json'}:")
    assert "Traceback" not in result.output


def test_roster_matches_a_label_written_differently():
    sun = Participant("Sun Meijun", "minister", "official")
    zhao = Participant("Zhao Zenglian", "vice minister", "official")
    zhang = Participant("Zhang Baofeng", "director", "official")
    roster = Roster([sun, zhao, zhang])
    for label in (
        "Sun Meijun",
        "Ms. Sun Meijun",
        "SUN MEIJUN",
        "Sun Mei-jun",
        "Sun Mei jun",
        "Ms. Sun",
        "Sun",
    ):
        assert roster.match(label) is sun, label
    assert roster.match("Zhao") is zhao
    assert (
        Roster([sun, Participant("Sun Wei", None, "official")]).match("Mr. Sun") is None
    )  # two Suns: no guess
    assert roster.match("Wang Jun") is None
    assert strip_title("Mr. Dr. Li Hua") == "Li Hua" and name_key("Ms. Hua Chun-ying") == "huachunying"


def test_extending_the_entities_file_reattributes_what_is_already_stored(tmp_path, db_path):
    """Adding an outlet's spelling re-reads the briefings that print it, and only the speaker moves."""
    page = tmp_path / "content_9.html"
    page.write_text(
        "<html><body><h1>SCIO press conference on ports</h1><!--enpcontent-->"
        "<p>Speakers:</p><p>Mr. Li Ming, director of ports</p><p>Date:</p><p>May 5, 2024</p>"
        "<p>Li Ming:</p><p>Welcome.</p><p>Harbour Evening Herald:</p><p>How many ports?</p><p>Li Ming:</p><p>Ten.</p>"
        "<!--/enpcontent--></body></html>",
        encoding="utf-8",
    )
    run = lambda *a: CliRunner().invoke(cli, [*map(str, a), "--db", str(db_path)])  # noqa: E731
    assert "1 added" in run("ingest", page, "--source", "scio").stdout
    assert "1 unchanged" in run("ingest", page, "--source", "scio").stdout
    (db_path.parent / "entities.json").write_text(
        json.dumps({"outlets": [{"name": "Harbour Herald", "aliases": ["Harbour Evening Herald"]}]}),
        encoding="utf-8",
    )
    assert "1 updated" in run("ingest", page, "--source", "scio").stdout
    hits = json.loads(run("search", "ports", "--outlet", "Harbour Herald", "--json").stdout)
    assert [(h["label"], h["speaker"], h["kind"]) for h in hits] == [
        ("Harbour Evening Herald", "Harbour Herald", "question")
    ]
    changed = json.loads(run("quality", "--json").stdout)["changed"]
    # A turn that changes hands is recorded as one speaker's words out and another's in.
    assert [(c["seq"], c["change"], json.loads(c["old"] or c["new"])["speaker"]) for c in changed] == [
        (2, "removed", "Harbour Evening Herald"),
        (2, "added", "Harbour Herald"),
    ]


def test_a_users_entry_for_a_known_person_adds_to_it():
    extra_doc = {
        "people": [
            {
                "name": "Lin Jian",
                "aliases": ["Jian Lin"],
                "roles": [{"role": "Director-General, Information Department", "from": "2025-06-01"}],
            }
        ],
        "outlets": [{"name": "Reuters", "aliases": ["Thomson Reuters"]}],
    }
    from briefings.people import _packaged

    e = Entities([_packaged(), extra_doc])
    lin = e.person("Jian Lin")
    assert lin is e.person("林剑") and lin.name == "Lin Jian"
    assert lin.role_on("2024-06-01") == "Foreign Ministry spokesperson"  # the packaged role is kept
    assert (
        lin.role_on("2025-07-01") == "Director-General, Information Department"
    )  # the user's, where both hold
    assert e.outlet("Thomson Reuters") == e.outlet("路透社") == "Reuters"
    assert Entities([_packaged()]).digest != e.digest
