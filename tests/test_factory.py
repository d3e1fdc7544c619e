import pytest

from storefront import create_app


def test_config_comes_from_test_config(app):
    assert app.testing
    assert app.config["PUBLIC_URL"] == "http://shop.test"


def test_missing_secret_key_fails_at_start(monkeypatch):
    monkeypatch.setattr("storefront.config.Config.SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_every_response_has_a_request_id(client):
    response = client.get("/healthz")
    assert len(response.headers["X-Request-ID"]) >= 8
    sent = client.get("/healthz", headers={"X-Request-ID": "abc12345-from-proxy"})
    assert sent.headers["X-Request-ID"] == "abc12345-from-proxy"
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert hostile.headers["X-Request-ID"] != "<script>"


def test_unknown_page_is_a_readable_404_with_request_id(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "could not find that page" in body
    assert response.headers["X-Request-ID"] in body


@pytest.mark.fresh_app
def test_unexpected_error_is_a_500_page_with_request_id(app, client):
    @app.get("/boom")
    def boom():
        raise ZeroDivisionError

    app.testing = False  # let the error handler answer instead of re-raising
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert response.headers["X-Request-ID"] in body
    assert "ZeroDivisionError" not in body


def test_json_clients_get_json_errors(client):
    response = client.get("/products/nope.json")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_an_id_too_large_for_the_database_is_a_404(client, login_as):
    login_as("warehouse")
    for url in (f"/staff/inventory/{2**31}", f"/staff/inventory/{2**63}"):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)


def test_ids_from_forms_are_plain_digits_within_integer():
    from storefront.inputs import MAX_ID, parse_id

    assert [parse_id(v) for v in ("7", " 42 ", 9, MAX_ID)] == [7, 42, 9, MAX_ID]
    for bad in (MAX_ID + 1, 2**63, "²", "١٢", "-1", "1.0", "", None, True, "9" * 40):
        assert parse_id(bad) is None, bad


def test_a_wrong_method_says_which_methods_are_allowed(client):
    for path in ("/cart/add", "/api/v1/inventory/SKU-1/adjustments"):
        response = client.get(path) if path == "/cart/add" else client.put(path)
        assert response.status_code == 405
        assert "POST" in response.headers["Allow"]


def test_a_missing_page_says_page_not_found_and_offers_search_and_the_catalogue(client):
    for path in ("/no-such-page", "/products/no-such-shoe"):
        response = client.get(path)
        assert response.status_code == 404
        body = response.get_data(as_text=True)
        assert "<title>Page not found |" in body, path
        assert "Request refused" not in body
        assert 'id="error-q"' in body and 'href="/products"' in body
    # JSON clients keep the same error code as before.
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.get_json()["error"] == "not_found"
