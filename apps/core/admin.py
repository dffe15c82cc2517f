"""API keys in the admin under Spanish names: the library's admin, registered on our proxy model."""

from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from apps.core.models import ApiKey

admin.site.unregister(APIKey)
admin.site.register(ApiKey, APIKeyModelAdmin)
