import re

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

_DIGITS = re.compile(r"^[0-9]+$")


class StandardPagination(PageNumberPagination):
    """`page` and `page_size` are positive integers written with digits: anything else is a 400 naming the
    parameter (DRF alone ignores an unreadable page size and answers 404 to an unreadable page)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()

    def paginate_queryset(self, queryset, request, view=None):
        self._parameters_check(request.query_params)
        return super().paginate_queryset(queryset, request, view)

    def _parameters_check(self, query) -> None:
        errors = {}
        for name in (self.page_query_param, self.page_size_query_param):
            if name not in query:
                continue
            value = query[name]
            if not _DIGITS.match(value):
                errors[name] = [serializers.ErrorDetail(f"{name} debe ser un número entero positivo.", "invalid")]
            elif int(value) < 1:
                errors[name] = [serializers.ErrorDetail(f"{name} debe ser 1 o mayor.", "min_value")]
        if errors:
            raise serializers.ValidationError(errors)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Resultados por página (por omisión {self.page_size}); un valor mayor que "
                    f"{self.max_page_size} se toma como {self.max_page_size}."
                )
            else:
                parameter["description"] = "Número de página, desde 1; una página que no existe responde 404."
        return parameters
