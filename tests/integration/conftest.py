"""Fixtures several integration modules share: the seeded catalog and the seed example's customer."""

import pytest
from django.core.management import call_command

from apps.notifications.models import CustomerContactInfo


@pytest.fixture
def seeded(db):
    call_command("seed_initial_data", verbosity=0)


@pytest.fixture
def customer(seeded):
    """The customer of the seed's dispatch example (`customer-001`), reachable by WhatsApp and email."""
    return CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )
