import uuid

from django.db import models
from rest_framework_api_key.models import APIKey


class BaseModel(models.Model):
    """UUID primary key and timestamps for every resource addressed by UUID in the API."""

    id = models.UUIDField("ID", primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField("creado", auto_now_add=True)
    updated_at = models.DateTimeField("actualizado", auto_now=True)

    class Meta:
        abstract = True


class ApiKey(APIKey):
    """djangorestframework-api-key's keys under Spanish names in the admin (its own names are not translatable)."""

    class Meta:
        proxy = True
        verbose_name = "clave de API"
        verbose_name_plural = "claves de API"
