import pytest
from django.urls import reverse
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


@pytest.fixture(autouse=True)
def fresh_local_pacer():
    """Without Redis the WhatsApp pacer lives in the process: each test starts with an empty timeline."""
    from apps.notifications.services.whatsapp_pacing import _pacer_for

    _pacer_for.cache_clear()


@pytest.fixture(autouse=True)
def fresh_config_cache():
    """Each test starts without a configuration snapshot: the database is another one (flushed or rolled back),
    and a rollback sends no signal to invalidate what the last test cached."""
    from apps.notifications.services.config_cache import config_cache_clear_local

    config_cache_clear_local()
    yield
    config_cache_clear_local()


@pytest.fixture(autouse=True)
def broker_watch():
    """A broker outage one test saw is not the next test's (the first publish after one asks for a relay)."""
    from apps.notifications.services.outbox import BrokerWatch

    BrokerWatch.relay_owed = False


@pytest.fixture(autouse=True)
def celery_join_allowed():
    """Celery's eager apply_async sets a process-wide "joining would block" flag while its task runs and then puts
    back the value it found: two threads running eager tasks at once (the relay races) can leave it set, and every
    later `.get()` in the process refuses ("Never call result.get() within a task!"). Each test starts with it off."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def celery_eager(request):
    """Tasks run in-process unless a test runs a real worker (marked e2e); restores the app config."""
    from config.celery import app

    if request.node.get_closest_marker("e2e"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def fake_senders(settings):
    """Every channel backed by a hand-written fake (tests/fakes/channel.py); returns {channel: fake}."""
    from apps.notifications.adapters import get_sender, reset_senders
    from tests.fakes.channel import FAKE_SENDERS

    settings.NOTIFICATION_SENDERS = FAKE_SENDERS
    reset_senders()
    yield {channel: get_sender(channel) for channel in FAKE_SENDERS}
    reset_senders()


def admin_url(model, view: str, *args) -> str:
    """The admin page `view` (changelist, add, change, …) of a model."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_pages(settings):
    """Admin pages in tests: a fast password hasher (users are made in every test) and static files without the
    manifest (DEBUG is off in tests, and the manifest storage would want a collectstatic run)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
