"""Every seeded template: 30 generic ones plus those of one service type or subtype."""

from .messages import TemplateSeed
from .templates_generic import GENERIC_TEMPLATES
from .templates_specific import SUBTYPE_TEMPLATES, TYPE_TEMPLATES

TEMPLATES: tuple[TemplateSeed, ...] = GENERIC_TEMPLATES + TYPE_TEMPLATES + SUBTYPE_TEMPLATES
