def test_catalog_requires_key(anon_api, db):
    r = anon_api.get("/api/v1/notifications/catalog/")
    assert r.status_code == 401
    assert r.json()["type"] == "client_error"
    assert r["WWW-Authenticate"] == "Api-Key"


def test_catalog_with_key(client_api):
    r = client_api.get("/api/v1/notifications/catalog/")
    assert r.status_code == 200, r.content
    assert r.json() == {"service_types": [], "phases": []}
