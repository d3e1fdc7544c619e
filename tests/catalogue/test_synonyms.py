"""Search that understands people: the shop's synonyms, misspelt words read as the
shop's closest words, and "did you mean"; the same on SQLite and PostgreSQL."""

import re

import pytest

from storefront.catalogue import service
from storefront.catalogue.models import SearchSynonym
from storefront.extensions import db


def names(response):
    return set(re.findall(r'<h3 class="card-title">([^<]+)</h3>', response.get_data(as_text=True)))


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def shelf(make_product):
    make_product([3], title="Ridge Strap Trainer",
                 description="Two hook-and-loop straps you can close with one hand.")
    make_product([3], title="Harbor Walker", description="Built around an ankle-foot orthosis.")
    make_product([3], title="Calder Derby", description="Deep toe box with extra depth.")
    make_product([3], title="Juniper House Shoe", description="Soft sole for home.")
    service.save_synonyms("velcro, hook-and-loop, strap\n"
                          "afo, brace, orthosis, orthotic\n"
                          "diabetic, extra depth")


@pytest.mark.parametrize("q, expected", [
    ("velcro", {"Ridge Strap Trainer"}),
    ("velcro shoes", set()),  # every word must match: "shoes" is not on the trainer
    ("orthotic", {"Harbor Walker"}),
    ("brace", {"Harbor Walker"}),
    ("diabetic", {"Calder Derby"}),
    ("house", {"Juniper House Shoe"}),
])
def test_synonyms_find_the_same_products_on_every_backend(client, shelf, q, expected):
    assert names(client.get("/products", query_string={"q": q})) == expected


@pytest.mark.parametrize("q, expected, read_as", [
    ("trainr", {"Ridge Strap Trainer"}, "trainer"),
    ("junipr", {"Juniper House Shoe"}, "juniper"),
    ("walkr brace", {"Harbor Walker"}, "walker brace"),  # each word on its own
    ("orthotc", {"Harbor Walker"}, "orthotic"),  # a misspelt synonym brings its group
    ("velcor", {"Ridge Strap Trainer"}, "velcro"),
    ("snekaer strap", set(), ""),  # no word of the shop is close to "snekaer"
    ("xyzzy", set(), ""),
])
def test_a_misspelt_word_finds_the_shoes_of_the_closest_word(client, shelf, q, expected,
                                                             read_as):
    response = client.get("/products", query_string={"q": q})
    assert names(response) == expected
    body = text(response)
    if read_as:
        assert f"Showing shoes for <strong>{read_as}</strong>: no shoe matches" in body
    else:
        assert "Showing shoes for" not in body
    assert "Did you mean" not in body


def test_correctly_spelt_words_are_never_corrected(client, shelf):
    body = text(client.get("/products", query_string={"q": "trainer"}))
    assert names(client.get("/products?q=trainer")) == {"Ridge Strap Trainer"}
    assert "Showing shoes for" not in body


@pytest.mark.parametrize("q, suggestion", [("hose", "house"), ("dery", "derby")])
def test_a_short_misspelt_word_is_not_guessed_at_but_suggested(client, shelf, q, suggestion):
    # Four letters are too often some other real word to search for a guess; the shopper
    # is offered the closest spelling that finds shoes instead.
    response = client.get("/products", query_string={"q": q})
    assert names(response) == set()
    body = text(response)
    assert "Showing shoes for" not in body
    link = re.search(r'Did you mean <a href="([^"]+)">([^<]+)</a>\?', body)
    assert link and link.group(2) == suggestion
    assert names(client.get(link.group(1).replace("&amp;", "&")))


def test_demo_words_let_velcro_and_typos_find_demo_shoes(client, runner):
    result = runner.invoke(args=["demo", "load"])
    assert "Search synonyms: 8 group(s) added" in result.output
    assert "Ridge Strap Trainer" in names(client.get("/products?q=velcro"))
    assert "Harbor AFO Walker" in names(client.get("/products?q=orthotic"))
    body = text(client.get("/products?q=snekaer"))
    assert "Showing shoes for <strong>sneaker</strong>" in body
    assert names(client.get("/products?q=snekaer")) == names(client.get("/products?q=sneaker"))
    again = runner.invoke(args=["demo", "load"])
    assert "Search synonyms: already set, left as they are." in again.output


def test_marketing_edits_the_synonyms_and_searches_use_them_at_once(client, login_as, shelf):
    login_as("marketing")
    page = text(client.get("/staff/search"))
    assert "velcro, hook-and-loop, strap" in page
    assert names(client.get("/products?q=comfy")) == set()
    response = client.submit("/staff/search", "/staff/search",
                             {"synonyms": "comfy, soft sole\nvelcro, strap"})
    assert response.status_code == 303
    assert "Saved 2 groups of search words" in text(client.get("/staff/search"))
    assert names(client.get("/products?q=comfy")) == {"Juniper House Shoe"}
    assert names(client.get("/products?q=orthotic")) == set()


def test_a_line_with_one_word_is_refused_and_the_old_words_stay(client, login_as, shelf):
    login_as("marketing")
    response = client.submit("/staff/search", "/staff/search",
                             {"synonyms": "comfy, soft sole\nlonely"})
    assert response.status_code == 422
    assert "Line 2 needs at least two words" in text(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(SearchSynonym)) == 3


def test_only_marketing_and_admins_edit_the_synonyms(client, login_as):
    login_as("warehouse")
    assert client.get("/staff/search").status_code == 403
