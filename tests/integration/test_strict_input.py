"""The API does what its schema says: a parameter or a body value of the wrong type is a 400 naming it, never
ignored and never converted into a guess (issue 9)."""

import pytest

from apps.notifications.models import CustomerContactInfo

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications"


@pytest.fixture
def customer(db):
    return CustomerContactInfo.objects.create(customer_id="customer-001", name="Carlos Mendoza", phone="+593991234567")


def errors_of(response) -> list[tuple[str | None, str]]:
    assert response.status_code == 400, response.content
    return [(e["attr"], e["code"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "", "null", "1e2", "last"])
@pytest.mark.parametrize("name", ["page", "page_size"])
def test_an_unreadable_page_or_page_size_is_400_naming_it(client_api, customer, name, value):
    # DRF alone ignored an unreadable page size and answered 404 to an unreadable page.
    attr, code = errors_of(client_api.get(f"{API}/customers/", {name: value}))[0]
    assert attr == name and code in ("invalid", "min_value")


def test_a_repeated_page_size_is_read_like_a_single_one(client_api, customer):
    assert errors_of(client_api.get(f"{API}/customers/?page_size=null&page_size=null")) == [("page_size", "invalid")]
    assert client_api.get(f"{API}/customers/?page_size=5&page_size=1").json()["results"]


@pytest.mark.parametrize(
    ("url", "attr", "code"),
    [
        (f"{API}/templates/?channel=", "channel", "invalid_choice"),
        (f"{API}/reminders/?status=", "status", "invalid_choice"),
        (f"{API}/reminders/?status=pending&status=", "status", "invalid_choice"),
        (f"{API}/customers/?is_active=", "is_active", "invalid"),
        (f"{API}/reminders/?due_after=", "due_after", "invalid"),
        (f"{API}/phases/?is_active=", "is_active", "invalid"),
        (f"{API}/phases/?is_active=quizas", "is_active", "invalid"),
        (f"{API}/service-types/?is_active=quizas", "is_active", "invalid"),
        (f"{API}/customers/?is_active=%25", "is_active", "invalid"),
        ("/api/v1/analytics/recent/?status=", "status", "invalid_choice"),
        ("/api/v1/analytics/summary/?days=", "days", "invalid"),
        (f"{API}/templates/for_context/?service_type=&phase=phase-repair&channel=email&target=clients",
         "service_type", "blank"),
    ],
)  # fmt: skip
def test_an_empty_or_unreadable_typed_filter_is_400_not_ignored(client_api, url, attr, code):
    assert (attr, code) in errors_of(client_api.get(url))


def test_an_empty_text_filter_still_means_no_filter(client_api, customer):
    assert client_api.get(f"{API}/customers/?search=").json()["count"] == 1
