from sqlalchemy import text

from storefront.extensions import db


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_when_schema_is_current(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["schema"] == "current"


def test_readyz_is_503_when_schema_is_behind(app, client):
    original = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    db.session.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["schema"] == "behind"
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": original})
        db.session.commit()
