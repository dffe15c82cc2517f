from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notificaciones"

    def ready(self):
        from apps.core import authentication
        from apps.notifications.services.config_cache import api_key_for_prefix, config_cache_connect_signals

        config_cache_connect_signals()
        authentication.api_key_row_for_prefix = api_key_for_prefix
