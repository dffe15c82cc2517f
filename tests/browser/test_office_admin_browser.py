"""An office user in a real browser (English, 1366 px wide): logs in, reads the dashboard, resends a failed
notification, ticks a cell of the matrix, previews a template; every page in Spanish, every step photographed."""

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from apps.core.constants import Channel, DispatchStatus, NotificationStatus, Target
from apps.notifications.models import NotificationLog, NotificationTemplate, OrchestrationConfig
from tests.browser.conftest import OFFICE_PASSWORD, OFFICE_USERNAME, WIDTH, screenshot
from tests.factories import failed_dispatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENGLISH_WORDS = ("Log out", "Welcome", "Site administration", "Select", "Save", "Search", "Filter", "View site", "By")


def wait(browser, seconds: float = 10):
    return WebDriverWait(browser, seconds)


def log_in(browser, live_server, next_path: str = "/admin/") -> None:
    browser.get(f"{live_server.url}/admin/login/?next={next_path}")
    assert "Nombre de usuario" in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.NAME, "username").send_keys(OFFICE_USERNAME)
    browser.find_element(By.NAME, "password").send_keys(OFFICE_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "user-tools")))


def page_text(browser, element_id: str | None = None) -> str:
    """What the page says, as written (CSS may show some of it in capitals)."""
    element = browser.find_element(By.ID, element_id) if element_id else browser.find_element(By.TAG_NAME, "body")
    return element.get_attribute("textContent")


def assert_spanish(browser) -> None:
    assert browser.execute_script("return document.documentElement.lang") == "es-ec"
    text = browser.find_element(By.TAG_NAME, "body").text.lower()
    for english in ENGLISH_WORDS:
        assert not re.search(rf"\b{re.escape(english.lower())}\b", text), english


def fits_the_screen(browser) -> bool:
    """Nothing to scroll sideways: neither the page nor a list's table (which scrolls inside its own box)."""
    return browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
        " && Array.from(document.querySelectorAll('.results')).every(e => e.scrollWidth <= e.clientWidth)"
    )


def test_the_browser_asks_for_english(browser, live_server, office_user):
    browser.get(f"{live_server.url}/admin/login/")
    assert browser.execute_script("return navigator.languages[0]") == "en-US"
    assert_spanish(browser)
    screenshot(browser, "00-inicio-de-sesion")


def test_an_office_user_reads_the_dashboard(browser, live_server, office_user, fake_senders):
    failed_dispatch()
    log_in(browser, live_server)

    assert browser.find_element(By.ID, "site-name").text == "Ambacar · Notificaciones"
    charts = browser.find_elements(By.CSS_SELECTOR, "#office-deliveries svg.office-chart")
    assert len(charts) == 3
    failed_email = browser.find_element(By.CSS_SELECTOR, 'rect[data-group="email"][data-series="failed"]')
    assert failed_email.get_attribute("data-count") == "1" and float(failed_email.get_attribute("height")) > 0
    assert "Fallos que necesitan atención" in browser.find_element(By.ID, "office-failures").text
    # Office work only: no machinery on the index.
    index = browser.find_element(By.ID, "content-main").text
    for machinery in ("Claves de API", "Resultados de Celery", "Usuarios", "Intentos", "Claves de idempotencia"):
        assert machinery not in index, machinery
    assert "Ver el sitio" in page_text(browser, "user-tools")
    assert browser.find_element(By.LINK_TEXT, "VER EL SITIO").get_attribute("href") == f"{live_server.url}/api/docs/"
    assert fits_the_screen(browser)
    assert_spanish(browser)
    screenshot(browser, "01-panel-de-la-oficina")


def test_an_office_user_resends_a_failed_notification(browser, live_server, office_user, fake_senders):
    dispatch = failed_dispatch()
    log_in(browser, live_server)

    row = browser.find_element(By.CSS_SELECTOR, "#office-failures-table tbody tr")
    assert "Carlos Mendoza" in row.text
    row.find_element(By.CSS_SELECTOR, "button.office-resend").click()

    message = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    assert "Se reenvió por Email" in message.text
    assert "Ningún despacho reciente falló" in browser.find_element(By.ID, "office-failures").text
    screenshot(browser, "02-notificacion-reenviada")
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.SENT
    assert NotificationLog.objects.filter(dispatch=dispatch, status=NotificationStatus.SENT).count() == 1
    assert len(fake_senders["email"].sent) == 1

    # The lists: status first, every column within 1366 px.
    browser.get(f"{live_server.url}/admin/notifications/notificationlog/")
    assert fits_the_screen(browser)
    screenshot(browser, "03-lista-de-notificaciones")
    browser.get(f"{live_server.url}/admin/notifications/dispatch/")
    header = browser.find_element(By.CSS_SELECTOR, "#result_list thead th.column-status_display")
    assert header.text.strip().lower() == "estado"
    assert header.rect["x"] + header.rect["width"] <= WIDTH
    assert fits_the_screen(browser)
    assert_spanish(browser)
    screenshot(browser, "04-lista-de-despachos")
    cells = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr:first-child td, #result_list tbody th")
    assert all(cell.rect["x"] + cell.rect["width"] <= WIDTH for cell in cells)


def test_an_office_user_ticks_a_cell_of_the_matrix(browser, live_server, office_user):
    config = OrchestrationConfig.objects.get(service_type__slug="avaluo-mg", target=Target.CLIENTS)
    cell = config.phase_channels.get(phase__slug="phase-schedule", channel=Channel.PUSH)
    assert cell.is_enabled is False
    log_in(browser, live_server, f"/admin/notifications/orchestrationconfig/{config.pk}/change/")

    box = browser.find_element(By.ID, "id_matrix-phase-schedule-push")
    assert box.get_attribute("aria-label") == "Agendar Cita · Push"
    box.click()
    screenshot(browser, "05-matriz-de-canales")
    browser.find_element(By.NAME, "_save").click()

    wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    assert_spanish(browser)
    cell.refresh_from_db()
    assert cell.is_enabled is True
    others = config.phase_channels.exclude(pk=cell.pk)
    assert others.filter(is_enabled=True).count() == 5 * 2 + 3  # nothing else moved


def test_an_office_user_previews_a_template(browser, live_server, office_user):
    template = NotificationTemplate.objects.get(
        service_type=None, phase__slug="phase-reception", channel=Channel.WHATSAPP, target=Target.CLIENTS
    )
    log_in(browser, live_server, f"/admin/notifications/notificationtemplate/{template.pk}/change/")

    bubble = browser.find_element(By.CSS_SELECTOR, "#office-template-preview .office-whatsapp-bubble")
    assert "Carlos Mendoza" in bubble.text and "{{" not in bubble.text
    body = browser.find_element(By.ID, "id_body")
    body.clear()
    body.send_keys("*Hola {{Nombre}}*\nSu {{Vehículo}} está en {{Fase}}.<script>window.pwned = 1</script>")
    browser.find_element(By.ID, "office-template-preview-refresh").click()

    wait(browser).until(EC.staleness_of(bubble))  # the server's new preview replaced the old one
    bold = browser.find_element(By.CSS_SELECTOR, "#office-template-preview .office-whatsapp-bubble strong")
    assert bold.text == "Hola Carlos Mendoza"
    bubble = browser.find_element(By.CSS_SELECTOR, "#office-template-preview .office-whatsapp-bubble")
    assert "Su Haval H6 2024 está en Recepción.<script>window.pwned = 1</script>" in bubble.text
    assert bubble.text.index("Hola Carlos Mendoza\n") == 0  # the line break is kept
    assert browser.execute_script("return window.pwned") is None
    assert_spanish(browser)
    screenshot(browser, "06-vista-previa-whatsapp")

    email = NotificationTemplate.objects.get(
        service_type=None, phase__slug="phase-reception", channel=Channel.EMAIL, target=Target.CLIENTS
    )
    NotificationTemplate.objects.filter(pk=email.pk).update(
        html_body=email.html_body + '<script>parent.document.title = "pwned"; window.top.pwned = 1;</script>'
    )
    browser.get(f"{live_server.url}/admin/notifications/notificationtemplate/{email.pk}/change/")
    frame = browser.find_element(By.CSS_SELECTOR, "#office-template-preview iframe.office-email-frame")
    assert frame.get_attribute("sandbox") == ""
    browser.switch_to.frame(frame)
    assert "Carlos Mendoza" in browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()
    assert browser.execute_script("return window.pwned") is None
    assert "pwned" not in browser.title
    screenshot(browser, "07-vista-previa-email")
