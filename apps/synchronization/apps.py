from django.apps import AppConfig


class SynchronizationConfig(AppConfig):
    name = "apps.synchronization"
    label = "synchronization"
    verbose_name = "Sincronización"
