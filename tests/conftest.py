import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey


@pytest.fixture
def api_key(db) -> str:
    _, key = APIKey.objects.create_key(name="tests")
    return key


@pytest.fixture
def client_api(api_key) -> APIClient:
    """An API client authenticated with a real API key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    return client


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()
