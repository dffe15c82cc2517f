import pytest
from django.conf import settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(transaction=True)


def test_msgs():
    c = APIClient()
    c.credentials(HTTP_X_INTERNAL_SECRET=settings.INTERNAL_API_SECRET_KEY)
    for url, body in [
        ("/api/internal/v1/vehicles/sync/", {"vehicles": [{"vehicle_id": "v", "customer_id": "c", "year": 1800}]}),
        (
            "/api/internal/v1/customers/sync/",
            {"customers": [{"customer_id": "c"}, {"customer_id": "d", "phone": "0912"}]},
        ),
        ("/api/internal/v1/customers/sync/", {"customers": [{"customer_id": "c"}, {"customer_id": "c"}]}),
        ("/api/internal/v1/customers/sync/", {"customers": [{"customer_id": "c"}] * 1001}),
        ("/api/internal/v1/customers/sync/", {}),
    ]:
        print(c.post(url, body, format="json").json())
    print(APIClient().post("/api/internal/v1/customers/sync/", {}, format="json").json())
    c2 = APIClient()
    c2.credentials(HTTP_X_INTERNAL_SECRET="nope")
    print(c2.post("/api/internal/v1/customers/sync/", {}, format="json").json())
