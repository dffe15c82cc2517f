from rest_framework import serializers

from apps.core.constants import Channel, Target
from apps.core.serializers import JSONTypesMixin
from apps.notifications.models import NotificationTemplate, ServicePhase, ServiceType
from apps.notifications.services.rendering import CONTEXT_MAX_KEYS, CONTEXT_VALUE_MAX_CHARS, TEMPLATE_TEXT_MAX_CHARS
from apps.notifications.services.templates import TEMPLATE_FIELDS, subtype_get_by_slug

LEVEL_CHOICES = [("subtype", "Subtipo"), ("type", "Tipo de servicio"), ("generic", "Genérica")]


class PhaseSlugField(serializers.SlugRelatedField):
    """A phase named by its slug (`phase-repair`)."""

    default_error_messages = {
        "does_not_exist": "No existe una fase con slug «{value}».",
        "invalid": "Valor inválido: se espera el slug de una fase.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", ServicePhase.objects.all())
        super().__init__(slug_field="slug", **kwargs)


class MainTypeSlugField(serializers.SlugRelatedField):
    """A main service type named by its slug (`averia-revision`); subtypes go in `subtype`."""

    default_error_messages = {
        "does_not_exist": "No existe un tipo de servicio principal con slug «{value}».",
        "invalid": "Valor inválido: se espera el slug de un tipo de servicio.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", ServiceType.objects.filter(parent__isnull=True))
        super().__init__(slug_field="slug", **kwargs)


class TemplateOutputSerializer(serializers.ModelSerializer):
    service_type = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Slug del tipo principal; null: genérica."
    )
    subtype = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Slug del subtipo, o null."
    )
    phase = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="Slug de la fase.")
    level = serializers.ChoiceField(
        choices=LEVEL_CHOICES, read_only=True, help_text="Nivel de la plantilla: subtype, type o generic."
    )

    class Meta:
        model = NotificationTemplate
        fields = [
            "id",
            *TEMPLATE_FIELDS,
            "level",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TemplateInputSerializer(JSONTypesMixin, serializers.Serializer):
    name = serializers.CharField(max_length=150, help_text="Nombre descriptivo de la plantilla.")
    service_type = MainTypeSlugField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Slug del tipo de servicio principal; null u omitido: plantilla genérica "
        "(o el tipo del subtipo, si se indica subtype).",
    )
    subtype = serializers.SlugField(
        max_length=64,
        required=False,
        allow_null=True,
        default=None,
        help_text="Slug del subtipo. Se busca entre los subtipos de service_type; sin service_type, "
        "se toma el tipo principal del subtipo.",
    )
    phase = PhaseSlugField(help_text="Slug de la fase (p. ej. phase-repair).")
    channel = serializers.ChoiceField(choices=Channel.choices)
    target = serializers.ChoiceField(choices=Target.choices)
    subject = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Asunto (email, obligatorio, una línea) o título (push, obligatorio, ≤ 100 caracteres).",
    )
    body = serializers.CharField(
        max_length=TEMPLATE_TEXT_MAX_CHARS,
        help_text=f"Texto del mensaje con {{{{Variables}}}}. WhatsApp: ≤ 4096 caracteres; todos: ≤ "
        f"{TEMPLATE_TEXT_MAX_CHARS}.",
    )
    html_body = serializers.CharField(
        max_length=TEMPLATE_TEXT_MAX_CHARS,
        required=False,
        allow_blank=True,
        default="",
        help_text="Alternativa HTML (solo email).",
    )
    is_active = serializers.BooleanField(default=True)

    def validate(self, attrs):
        # A subtype slug is resolved among the subtypes of the service type sent alongside it.
        if attrs.get("subtype"):
            attrs["subtype"] = subtype_get_by_slug(slug=attrs["subtype"], service_type=attrs.get("service_type"))
        return attrs


class TemplatePreviewInputSerializer(JSONTypesMixin, serializers.Serializer):
    template_id = serializers.UUIDField(required=False, help_text="Plantilla guardada a previsualizar.")
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, help_text="Con texto en línea: aplica los límites del canal."
    )
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=TEMPLATE_TEXT_MAX_CHARS, required=False, allow_blank=True, default="")
    html_body = serializers.CharField(max_length=TEMPLATE_TEXT_MAX_CHARS, required=False, allow_blank=True, default="")
    context = serializers.DictField(
        child=serializers.CharField(max_length=CONTEXT_VALUE_MAX_CHARS, allow_blank=True, allow_null=True),
        required=False,
        default=dict,
        help_text=f"Valores de las variables, por nombre (Nombre) o clave simple (nombre); hasta {CONTEXT_MAX_KEYS} "
        f"claves de hasta {CONTEXT_VALUE_MAX_CHARS} caracteres.",
    )

    def validate_context(self, value: dict) -> dict:
        if len(value) > CONTEXT_MAX_KEYS:
            raise serializers.ValidationError(
                f"El contexto admite como máximo {CONTEXT_MAX_KEYS} claves.", code="too_many_keys"
            )
        return value

    def validate(self, attrs):
        inline = any(attrs.get(field) for field in ("subject", "body", "html_body"))
        if attrs.get("template_id") and inline:
            raise serializers.ValidationError(
                {"template_id": "Envíe template_id o el texto en línea (channel/subject/body/html_body), no ambos."},
                code="invalid",
            )
        if not attrs.get("template_id") and not attrs.get("body", "").strip():
            raise serializers.ValidationError(
                {"body": "Envíe template_id o el cuerpo (body) a previsualizar."}, code="required"
            )
        return attrs


class TemplatePreviewOutputSerializer(serializers.Serializer):
    subject = serializers.CharField()
    body = serializers.CharField()
    html_body = serializers.CharField()
    missing_variables = serializers.ListField(
        child=serializers.CharField(), help_text="Variables sin valor en el contexto (quedan como {{Variable}})."
    )


class TemplateVariableSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Nombre exacto, con tildes y mayúsculas.")
    key = serializers.CharField(help_text="Clave simple para el contexto (minúsculas, sin tildes).")
    placeholder = serializers.CharField(help_text="Cómo se escribe en una plantilla.")
    description = serializers.CharField()
    example = serializers.CharField()


class TemplateForContextQuerySerializer(serializers.Serializer):
    service_type = serializers.SlugField(
        help_text="Slug del tipo principal (o de un subtipo, que se toma como subtype de su tipo)."
    )
    subtype = serializers.SlugField(required=False, help_text="Slug del subtipo (opcional).")
    phase = PhaseSlugField(help_text="Slug de la fase.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    target = serializers.ChoiceField(choices=Target.choices)

    # The names a dispatch uses for the same things are accepted too.
    ALIASES = {"service_type_id": "service_type", "subtype_id": "subtype", "phase_id": "phase"}

    def to_internal_value(self, data):
        values = {key: data.get(key) for key in data}
        for alias, name in self.ALIASES.items():
            if alias in values:
                given = values.pop(alias)
                if values.setdefault(name, given) != given:
                    raise serializers.ValidationError(
                        {alias: f"{alias} y {name} son el mismo parámetro: envíe uno."}, code="invalid"
                    )
        return super().to_internal_value(values)

    def validate(self, attrs):
        slug = attrs["service_type"]
        main = ServiceType.objects.filter(slug=slug, parent__isnull=True).first()
        if main is not None:
            attrs["service_type"] = main
            attrs["subtype"] = (
                subtype_get_by_slug(slug=attrs["subtype"], service_type=main) if attrs.get("subtype") else None
            )
            return attrs
        # Like a dispatch's service_type_id, a subtype slug stands for that subtype of its main type.
        subtypes = list(ServiceType.objects.filter(slug=slug, parent__isnull=False).select_related("parent"))
        if not subtypes:
            raise serializers.ValidationError(
                {"service_type": f"No existe un tipo de servicio con slug «{slug}»."}, code="does_not_exist"
            )
        if attrs.get("subtype"):
            raise serializers.ValidationError(
                {"service_type": f"«{slug}» es un subtipo: indique en service_type el tipo principal."},
                code="not_a_main_type",
            )
        if len(subtypes) > 1:
            parents = ", ".join(sorted(s.parent.slug for s in subtypes))
            raise serializers.ValidationError(
                {"service_type": f"«{slug}» es subtipo de varios tipos ({parents}): indique el tipo principal."},
                code="ambiguous_subtype",
            )
        attrs["service_type"], attrs["subtype"] = subtypes[0].parent, subtypes[0]
        return attrs


class TemplateForContextOutputSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=LEVEL_CHOICES, help_text="De dónde vino la plantilla.")
    template = TemplateOutputSerializer()
