from rest_framework import serializers

from apps.notifications.models import ServicePhase, ServiceType


class PhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServicePhase
        fields = ["slug", "name", "icon", "order", "is_active"]
        # Read here, edited in the admin; read-only also keeps the schema free of the database's integer ranges.
        read_only_fields = fields


class SubtypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceType
        fields = ["slug", "name", "icon", "order", "is_active"]
        # Read here, edited in the admin; read-only also keeps the schema free of the database's integer ranges.
        read_only_fields = fields


class ServiceTypeSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    subtypes = SubtypeSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceType
        fields = ["slug", "name", "icon", "order", "is_active", "parent", "subtypes"]
        read_only_fields = fields


class CatalogEntrySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    icon = serializers.CharField()


class CatalogServiceTypeSerializer(CatalogEntrySerializer):
    subtypes = CatalogEntrySerializer(many=True, required=False, help_text="Solo cuando el tipo tiene subtipos.")


class CatalogPhaseSerializer(CatalogEntrySerializer):
    order = serializers.IntegerField()


class CatalogSerializer(serializers.Serializer):
    service_types = CatalogServiceTypeSerializer(many=True)
    phases = CatalogPhaseSerializer(many=True)
