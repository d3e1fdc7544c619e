"""Trigram similarity: pg_trgm on PostgreSQL, its Python twin elsewhere, choosing the
same words, so a misspelt search finds the same shoes on either database."""

import re

import pytest
from sqlalchemy import text

from storefront.catalogue import trigrams
from storefront.extensions import db

PAIRS = [("snekaer", "sneaker"), ("orthotic", "orthosis"), ("trainr", "trainer"),
         ("velcor", "velcro"), ("hook-and-loop", "hook and loop"), ("AFO", "afo"),
         ("extra depth", "depth"), ("a", "b"), ("", "walker"), ("Slip-on 2E", "slip on")]
VOCABULARY = ["sneaker", "sandal", "slipper", "walker", "trainer", "derby", "velcro",
              "orthosis", "orthotic", "hook-and-loop", "boot", "brace"]
TYPOS = ["snekaer", "sandl", "slipers", "walkr", "trainr", "dreby", "velcor", "orthosys",
         "hook-n-loop", "bots", "zzzzzz"]


def test_the_python_measure_is_pg_trgms():
    assert trigrams.trigrams("cat") == {"  c", " ca", "cat", "at "}
    assert trigrams.similarity("word", "word") == 1.0
    assert trigrams.similarity("snekaer", "sneaker") == pytest.approx(4 / 12)


def test_postgresql_computes_the_same_similarity_and_trigrams(app, backend):
    if backend != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    assert trigrams.has_pg_trgm()
    for a, b in PAIRS:
        in_database = db.session.scalar(text("SELECT similarity(:a, :b)"), {"a": a, "b": b})
        assert in_database == pytest.approx(trigrams.similarity(a, b), abs=1e-6), (a, b)
        shown = db.session.scalar(text("SELECT show_trgm(:a)"), {"a": a})
        assert set(shown) == trigrams.trigrams(a), a


def test_closest_words_are_the_same_with_and_without_the_extension(app, backend,
                                                                   monkeypatch, count_queries):
    with count_queries() as queries:
        chosen = {typo: trigrams.closest(typo, VOCABULARY) for typo in TYPOS}
    asked_database = any("similarity(" in q for q in queries)
    assert asked_database == (backend == "postgresql")
    monkeypatch.setattr(trigrams, "has_pg_trgm", lambda: False)
    assert {typo: trigrams.closest(typo, VOCABULARY) for typo in TYPOS} == chosen
    assert chosen["snekaer"][0] == "sneaker" and chosen["orthosys"][0] == "orthosis"
    assert chosen["hook-n-loop"][0] == "hook-and-loop" and chosen["zzzzzz"] == []


def names(response):
    return set(re.findall(r'<h3 class="card-title">([^<]+)</h3>', response.get_data(as_text=True)))


@pytest.mark.parametrize("typo, word", [("snekaer", "sneaker"), ("sandl", "sandal"),
                                        ("slipers", "slipper"), ("velcor", "velcro"),
                                        ("orthotc", "orthotic"), ("walkr", "walker")])
def test_seeded_typos_find_what_the_right_spelling_finds(client, runner, typo, word):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    found = names(client.get("/products", query_string={"q": typo}))
    assert found and found == names(client.get("/products", query_string={"q": word}))
