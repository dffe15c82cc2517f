"""/api/v1/notifications/templates/: CRUD, preview, variables and resolution for a context."""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from apps.core.constants import Channel, Target
from apps.core.exception_handler import application_error_response
from apps.core.exceptions import ApplicationError
from apps.core.filters import BooleanFilter, FilterSet, query_values
from apps.core.openapi import ApplicationErrorResponseSerializer, AutoSchema
from apps.notifications.models import NotificationTemplate
from apps.notifications.serializers.templates import (
    LEVEL_CHOICES,
    TemplateForContextOutputSerializer,
    TemplateForContextQuerySerializer,
    TemplateInputSerializer,
    TemplateOutputSerializer,
    TemplatePreviewInputSerializer,
    TemplatePreviewOutputSerializer,
    TemplateVariableSerializer,
)
from apps.notifications.services.rendering import VARIABLES
from apps.notifications.services.templates import (
    template_create,
    template_delete,
    template_preview,
    template_resolve,
    template_update,
)

TAG = "Plantillas"
# Actions that save a template, and those that also check inline text like a template being saved.
_SAVE = ["create", "update", "partial_update"]
_INLINE = [*_SAVE, "preview"]

TEMPLATE_EXAMPLE = {
    "id": "7f1c2a4e-5b6d-4e8f-9a0b-1c2d3e4f5a6b",
    "name": "Reparación iniciada · WhatsApp · Clientes",
    "service_type": "averia-revision",
    "subtype": None,
    "phase": "phase-repair",
    "channel": "whatsapp",
    "target": "clients",
    "subject": "",
    "body": "Hola {{Nombre}}, comenzamos la reparación de su {{Vehículo}} (placa {{Placa}}). {{Taller}}",
    "html_body": "",
    "is_active": True,
    "level": "type",
    "created_at": "2026-01-20T09:15:00-05:00",
    "updated_at": "2026-01-20T09:15:00-05:00",
}
TEMPLATE_INPUT_EXAMPLE = {
    "name": "Reparación iniciada · WhatsApp · Clientes",
    "service_type": "averia-revision",
    "subtype": None,
    "phase": "phase-repair",
    "channel": "whatsapp",
    "target": "clients",
    "body": "Hola {{Nombre}}, comenzamos la reparación de su {{Vehículo}} (placa {{Placa}}). {{Taller}}",
    "is_active": True,
}
# A subtype-level template: `seed_initial_data` has none for this key, so "Try it out" creates it (201).
EMAIL_INPUT_EXAMPLE = {
    "name": "Alineación lista · Email · Clientes",
    "service_type": "averia-revision",
    "subtype": "averia-alineacion",
    "phase": "phase-delivery",
    "channel": "email",
    "target": "clients",
    "subject": "Su {{Vehículo}} está alineado y listo para retirar",
    "body": "Hola {{Nombre}}, terminamos la alineación de su vehículo de placa {{Placa}}; puede retirarlo en "
    "{{Taller}}.",
    "html_body": "<p>Hola {{Nombre}}, terminamos la alineación de su vehículo de placa <b>{{Placa}}</b>; puede "
    "retirarlo en {{Taller}}.</p>",
}


def _template_id_not_found() -> ApplicationError:
    return ApplicationError(
        "template_not_found", "No existe una plantilla con ese ID.", status_code=404, attr="template_id"
    )


def _no_template_for_context() -> ApplicationError:
    return ApplicationError(
        "template_not_found",
        "No hay una plantilla activa para ese tipo, fase, canal y destinatario (ni del subtipo, ni del "
        "tipo, ni genérica).",
        status_code=404,
    )


def _error_example(name: str, error: ApplicationError) -> OpenApiExample:
    """The body the API answers for `error`, built by the exception handler itself."""
    return OpenApiExample(
        name, value=application_error_response(error).data, response_only=True, status_codes=[str(error.status_code)]
    )


class _OwnErrorExamplesSchema(AutoSchema):
    """drf-standardized-errors adds its generic example (e.g. 404 `not_found`) to every error response; where an
    operation documents its own example for that status, show only the operation's."""

    def _get_error_response_examples(self):
        own = {
            code for example in self.get_examples() if not example.request_only for code in example.status_codes or ()
        }
        return [e for e in super()._get_error_response_examples() if not own.intersection(e.status_codes or ())]


ERRORS_DESCRIPTION = (
    "Errores 400 (con `attr` el campo): slug desconocido (`service_type`, `subtype`, `phase`), subtipo que no "
    "pertenece al tipo (`subtype_mismatch`), subtipo ambiguo sin tipo (`ambiguous_subtype`), `{{Variable}}` "
    "desconocida (`unknown_variable`), límites del canal (`max_length`, `subject_multiline`, `required`, "
    "`html_body_not_allowed`) y una segunda plantilla activa para la misma clave (`duplicate_template`, con "
    "`existing_template_id`)."
)
VALIDATION_RULES = (
    "Reglas: `service_type` es el slug de un tipo principal o null (plantilla genérica); `subtype` se busca "
    "entre los subtipos de `service_type` y, si este se omite, lo fija el tipo principal del subtipo. "
    "Email: asunto obligatorio y de una línea. WhatsApp: cuerpo de hasta 4096 caracteres. Push: título "
    "(`subject`) obligatorio de hasta 100 caracteres, y título + cuerpo de hasta 1000 bytes UTF-8 (deja lugar "
    "a los valores de las variables y al cifrado dentro de un mensaje push de 4 KB). `html_body` solo en email. "
    "Solo puede haber una plantilla activa por (nivel, fase, canal, destinatario)."
)


class TemplateFilter(FilterSet):
    service_type = django_filters.CharFilter(field_name="service_type__slug", label="Slug del tipo de servicio")
    subtype = django_filters.CharFilter(field_name="subtype__slug", label="Slug del subtipo")
    phase = django_filters.CharFilter(field_name="phase__slug", label="Slug de la fase")
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label="Canal")
    target = django_filters.ChoiceFilter(choices=Target.choices, label="Destinatario")
    is_active = BooleanFilter(label="Activa")
    level = django_filters.ChoiceFilter(choices=LEVEL_CHOICES, method="filter_level", label="Nivel")
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Buscar en el nombre")

    class Meta:
        model = NotificationTemplate
        fields = ["service_type", "subtype", "phase", "channel", "target", "is_active", "level", "search"]

    def filter_level(self, queryset, name, value):
        if value == "subtype":
            return queryset.filter(subtype__isnull=False)
        if value == "type":
            return queryset.filter(service_type__isnull=False, subtype__isnull=True)
        return queryset.filter(Q(service_type__isnull=True) & Q(subtype__isnull=True))


@extend_schema_view(
    list=extend_schema(
        tags=[TAG],
        summary="Listar plantillas",
        description=(
            "Plantillas de notificación, paginadas. Filtros: `service_type`, `subtype`, `phase` (slugs), `channel`, "
            "`target`, `is_active`, `level` (`generic`, `type`, `subtype`) y `search` (en el nombre). "
            "`service_type` incluye las plantillas de los subtipos de ese tipo; combine con `level=type` para "
            "ver solo las del tipo."
        ),
        examples=[
            OpenApiExample(
                "Plantillas",
                value={"count": 1, "next": None, "previous": None, "results": [TEMPLATE_EXAMPLE]},
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        tags=[TAG],
        summary="Ver una plantilla",
        description="Una plantilla por su UUID.",
        examples=[OpenApiExample("Plantilla", value=TEMPLATE_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        tags=[TAG],
        summary="Crear una plantilla",
        description=f"Crea una plantilla. {VALIDATION_RULES} {ERRORS_DESCRIPTION}",
        request=TemplateInputSerializer,
        responses={201: TemplateOutputSerializer},
        examples=[
            OpenApiExample("WhatsApp de un tipo", value=TEMPLATE_INPUT_EXAMPLE, request_only=True),
            OpenApiExample("Email de un subtipo", value=EMAIL_INPUT_EXAMPLE, request_only=True),
            OpenApiExample("Creada", value=TEMPLATE_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    ),
    update=extend_schema(
        tags=[TAG],
        summary="Reemplazar una plantilla",
        description=f"Reemplaza todos los campos de la plantilla. {VALIDATION_RULES} {ERRORS_DESCRIPTION}",
        request=TemplateInputSerializer,
        responses=TemplateOutputSerializer,
        examples=[
            OpenApiExample("Plantilla", value=TEMPLATE_INPUT_EXAMPLE, request_only=True),
            OpenApiExample("Actualizada", value=TEMPLATE_EXAMPLE, response_only=True),
        ],
    ),
    partial_update=extend_schema(
        tags=[TAG],
        summary="Modificar una plantilla",
        description=(
            "Cambia solo los campos enviados; el resultado se valida completo. Para desactivarla: "
            f'`{{"is_active": false}}`. {VALIDATION_RULES} {ERRORS_DESCRIPTION}'
        ),
        request=TemplateInputSerializer(partial=True),
        responses=TemplateOutputSerializer,
        examples=[
            OpenApiExample("Desactivar", value={"is_active": False}, request_only=True),
            OpenApiExample("Modificada", value={**TEMPLATE_EXAMPLE, "is_active": False}, response_only=True),
        ],
    ),
    destroy=extend_schema(
        tags=[TAG],
        summary="Eliminar una plantilla",
        description=(
            "Elimina la plantilla. Los registros de notificaciones ya enviadas la conservan como texto; "
            "para dejar de usarla sin perderla, desactívela."
        ),
        responses={204: None},
    ),
)
@extend_validation_errors(["not_a_main_type", "subtype_needs_type"], field_name="service_type", actions=_SAVE)
@extend_validation_errors(
    ["does_not_exist", "subtype_mismatch", "ambiguous_subtype", "not_a_subtype"], field_name="subtype", actions=_SAVE
)
@extend_validation_errors(
    ["unknown_variable", "subject_multiline", "required", "max_length"], field_name="subject", actions=_INLINE
)
@extend_validation_errors(["unknown_variable", "required", "max_length"], field_name="body", actions=_INLINE)
@extend_validation_errors(["unknown_variable", "html_body_not_allowed"], field_name="html_body", actions=_INLINE)
@extend_validation_errors(["duplicate_template"], field_name="non_field_errors", actions=_SAVE)
@extend_validation_errors(["too_many_keys", "rendered_too_large"], field_name="context", actions=["preview"])
@extend_validation_errors(
    ["does_not_exist", "not_a_main_type", "ambiguous_subtype"], field_name="service_type", actions=["for_context"]
)
@extend_validation_errors(
    ["does_not_exist", "subtype_mismatch", "ambiguous_subtype"], field_name="subtype", actions=["for_context"]
)
class TemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    schema = _OwnErrorExamplesSchema()
    queryset = NotificationTemplate.objects.select_related("service_type", "subtype", "phase").order_by(
        "phase__order", "channel", "target", "name", "id"
    )
    serializer_class = TemplateOutputSerializer
    filterset_class = TemplateFilter

    def create(self, request):
        data = TemplateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = template_create(**data.validated_data)
        return Response(TemplateOutputSerializer(template).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        template = self.get_object()
        data = TemplateInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        template = template_update(template=template, data=data.validated_data)
        return Response(TemplateOutputSerializer(template).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        template_delete(template=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=[TAG],
        summary="Vista previa de una plantilla",
        description=(
            "Renderiza una plantilla guardada (`template_id`) o un texto en línea (`channel`, `subject`, `body`, "
            "`html_body`) con `context`, exactamente como al enviar: los valores se insertan como texto (en "
            "`html_body` se escapan), el asunto queda en una línea y las variables sin valor quedan escritas y se "
            "listan en `missing_variables`. El contexto acepta el nombre de la variable (`Nombre`) o su clave "
            "simple (`nombre`). El texto en línea se valida como al guardar: una `{{Variable}}` desconocida es un "
            "400 (`unknown_variable`) y, si se indica `channel`, se aplican sus límites. 400 si no llega ni "
            "`template_id` ni `body`, o si llegan ambos; 404 (`template_not_found`) si la plantilla no existe."
        ),
        request=TemplatePreviewInputSerializer,
        responses={
            200: TemplatePreviewOutputSerializer,
            404: OpenApiResponse(ApplicationErrorResponseSerializer, description="No existe una plantilla con ese ID."),
        },
        examples=[
            OpenApiExample(
                "Texto en línea",
                value={
                    "channel": "whatsapp",
                    "body": "Hola {{Nombre}}, su {{Vehículo}} (placa {{Placa}}) ya está en reparación.",
                    "context": {"nombre": "Carlos Mendoza", "Vehículo": "Haval H6 2024"},
                },
                request_only=True,
            ),
            OpenApiExample(
                "Plantilla guardada",
                value={"template_id": TEMPLATE_EXAMPLE["id"], "context": {"Nombre": "Carlos Mendoza"}},
                request_only=True,
            ),
            OpenApiExample(
                "Renderizada",
                value={
                    "subject": "",
                    "body": "Hola Carlos Mendoza, su Haval H6 2024 (placa {{Placa}}) ya está en reparación.",
                    "html_body": "",
                    "missing_variables": ["Placa"],
                },
                response_only=True,
            ),
            _error_example("Plantilla inexistente", _template_id_not_found()),
        ],
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def preview(self, request):
        data = TemplatePreviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        template = None
        template_id = params.pop("template_id", None)
        if template_id is not None:
            template = NotificationTemplate.objects.filter(pk=template_id).first()
            if template is None:
                raise _template_id_not_found()
        rendered = template_preview(template=template, **params)
        return Response(TemplatePreviewOutputSerializer(rendered).data)

    @extend_schema(
        tags=[TAG],
        summary="Variables de plantilla",
        description=(
            "Las nueve variables que una plantilla puede usar, con su forma exacta (`{{Vehículo}}`, sensible a "
            "mayúsculas y tildes), la clave simple que acepta un contexto, una descripción y un ejemplo. "
            "No se pagina."
        ),
        responses=TemplateVariableSerializer(many=True),
        examples=[
            OpenApiExample(
                "Variables",
                value=[
                    {
                        "name": "Nombre",
                        "key": "nombre",
                        "placeholder": "{{Nombre}}",
                        "description": "Nombre del cliente",
                        "example": "Carlos Mendoza",
                    },
                    {
                        "name": "Vehículo",
                        "key": "vehiculo",
                        "placeholder": "{{Vehículo}}",
                        "description": "Marca y modelo del vehículo",
                        "example": "Haval H6 2024",
                    },
                ],
                response_only=True,
            )
        ],
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def variables(self, request):
        rows = [
            {
                "name": v.name,
                "key": v.key,
                "placeholder": "{{" + v.name + "}}",
                "description": v.description,
                "example": v.example,
            }
            for v in VARIABLES
        ]
        return Response(TemplateVariableSerializer(rows, many=True).data)

    @extend_schema(
        tags=[TAG],
        summary="Plantilla para un contexto",
        description=(
            "La plantilla activa que usaría un despacho para (tipo, subtipo, fase, canal, destinatario): la del "
            "subtipo, si no la del tipo principal, si no la genérica; `level` dice de cuál vino. `service_type` "
            "es el slug del tipo principal (un slug de subtipo se toma como ese subtipo de su tipo). 400 si falta "
            "un parámetro o un slug no existe; 404 (`template_not_found`) si no hay ninguna plantilla activa. "
            "Acepta también los nombres del despacho: `service_type_id`, `subtype_id` y `phase_id`."
        ),
        parameters=[TemplateForContextQuerySerializer],
        responses={
            200: TemplateForContextOutputSerializer,
            404: OpenApiResponse(
                ApplicationErrorResponseSerializer, description="Ninguna plantilla activa resuelve ese contexto."
            ),
        },
        examples=[
            OpenApiExample("Resuelta", value={"level": "type", "template": TEMPLATE_EXAMPLE}, response_only=True),
            _error_example("Sin plantilla", _no_template_for_context()),
        ],
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def for_context(self, request):
        query = TemplateForContextQuerySerializer(data=query_values(request))
        query.is_valid(raise_exception=True)
        template = template_resolve(**query.validated_data)
        if template is None:
            raise _no_template_for_context()
        return Response(TemplateForContextOutputSerializer({"level": template.level, "template": template}).data)


router = SimpleRouter()
router.register("templates", TemplateViewSet, basename="template")
urlpatterns = router.urls
