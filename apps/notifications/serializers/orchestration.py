from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.constants import Target
from apps.core.serializers import JSONTypesMixin
from apps.notifications.models import OrchestrationConfig
from apps.notifications.serializers.templates import MainTypeSlugField
from apps.notifications.services.orchestration import orchestration_matrix_get

MATRIX_SCHEMA = serializers.DictField(
    child=serializers.DictField(child=serializers.BooleanField()),
    help_text='{slug_de_fase: {canal: true|false}}, p. ej. {"phase-repair": {"email": true, "whatsapp": true, '
    '"push": false}}.',
)


@extend_schema_field(MATRIX_SCHEMA)
class MatrixField(serializers.JSONField):
    """`{phase_slug: {channel: bool}}` as sent; phases, channels and values are checked by the service,
    which names the bad cell (`matrix.phase-repair.fax`)."""

    # Braces doubled: DRF formats error messages with str.format.
    default_error_messages = {"not_an_object": "La matriz debe ser un objeto {{fase: {{canal: true|false}}}}."}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_an_object")
        return super().to_internal_value(data)


class OrchestrationConfigOutputSerializer(serializers.ModelSerializer):
    service_type = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="Slug del tipo principal.")
    matrix = serializers.SerializerMethodField(
        help_text="Canales por fase activa: {slug_de_fase: {canal: true|false}}; una celda sin fila es false."
    )

    class Meta:
        model = OrchestrationConfig
        fields = ["id", "name", "service_type", "target", "is_active", "matrix", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(MATRIX_SCHEMA)
    def get_matrix(self, config) -> dict:
        # One query for the active phases per response, not per config.
        phases = self.context.get("active_phases")
        return orchestration_matrix_get(config=config, phases=phases)


class OrchestrationConfigInputSerializer(JSONTypesMixin, serializers.Serializer):
    name = serializers.CharField(
        max_length=150, required=False, help_text="Opcional; por defecto «<Tipo> · <Destinatario>»."
    )
    service_type = MainTypeSlugField(help_text="Slug del tipo de servicio principal.")
    target = serializers.ChoiceField(choices=Target.choices)
    is_active = serializers.BooleanField(required=False)


class OrchestrationConfigCreateInputSerializer(OrchestrationConfigInputSerializer):
    is_active = serializers.BooleanField(default=True)
    matrix = MatrixField(
        required=False,
        help_text="Matriz inicial opcional (parcial): las celdas que no nombra toman los valores por defecto "
        "(email y WhatsApp activos, push inactivo).",
    )


class MatrixUpdateInputSerializer(JSONTypesMixin, serializers.Serializer):
    matrix = MatrixField(help_text="Celdas a cambiar; las que no se nombran quedan como están.")


class InitializePhasesOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Filas fase × canal creadas (0 si ya estaban todas).")
    config = OrchestrationConfigOutputSerializer()
