"""Browser tests: Debian's Chromium driven by Selenium through Debian's chromedriver, against pytest-django's
live server, with an English browser (the admin must answer in Spanish anyway).

Nothing is downloaded: the browser and the driver are the paths below (apt-get install chromium chromium-driver;
.ci/run does it), so Selenium Manager never runs. With CI=true a missing browser fails the run.
Screenshots go to artifacts/screenshots/ (SCREENSHOTS_DIR to change it), which CI keeps as artifacts.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command

from apps.notifications.seed.office import OFFICE_GROUP
from tests.services import unavailable

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BINARY", "/usr/bin/chromedriver")
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or settings.BASE_DIR / "artifacts" / "screenshots")
WIDTH, HEIGHT = 1366, 768
OFFICE_USERNAME, OFFICE_PASSWORD = "oficina", "una-clave-de-oficina"


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session, 1366 × 768, asking for English pages."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).is_file()]
    if missing:
        unavailable(f"falta {', '.join(missing)}: apt-get install -y chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        unavailable(f"selenium no está instalado ({exc}): pip install -r requirements/development.txt")

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WIDTH},{HEIGHT}",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    for old in SCREENSHOTS.glob("*.png"):  # this run's pictures only
        old.unlink()
    driver.set_window_size(WIDTH, HEIGHT)
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def short_lived_connections():
    """The live server answers each request on a thread of its own: its database connection must close with the
    request, or the test database cannot be dropped at the end."""
    from django.db import connections

    database = connections.settings["default"]
    previous = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    yield
    database["CONN_MAX_AGE"] = previous


@pytest.fixture
def browser(chromium, request):
    """The session's browser with no cookies; a screenshot of the last page when the test fails."""
    chromium.delete_all_cookies()
    yield chromium
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        screenshot(chromium, f"FALLO-{request.node.name}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def screenshot(driver, name: str) -> Path:
    """The whole page (not only what fits the window), as `<name>.png` in SCREENSHOTS."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


@pytest.fixture
def office_user(transactional_db, admin_pages, django_user_model):
    """The seed, and an office user made as the README says: staff, in the `Oficina` group."""
    call_command("seed_initial_data", verbosity=0)
    user = django_user_model.objects.create_user(OFFICE_USERNAME, password=OFFICE_PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=OFFICE_GROUP))
    return user
