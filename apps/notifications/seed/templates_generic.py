"""Generic templates (no service type): one per phase × channel × target, 30 in all.

Only variables every caller has: {{Nombre}}, {{Placa}}, {{Vehículo}}, {{Fase}}, {{Taller}};
the phase-schedule templates also use {{Fecha}} and {{Hora}} (an appointment always has them).
"""

from .messages import CLIENTS, STAFF, TemplateSeed, email, push, whatsapp

_VEHICLE = (("Vehículo", "{{Vehículo}}"), ("Placa", "{{Placa}}"))
_VEHICLE_PHASE = (*_VEHICLE, ("Etapa", "{{Fase}}"))
_APPOINTMENT = (("Fecha", "{{Fecha}}"), ("Hora", "{{Hora}}"), *_VEHICLE)

CLIENT_TEMPLATES: tuple[TemplateSeed, ...] = (
    # --- Agendar Cita -------------------------------------------------------------------------
    email(
        "phase-schedule",
        CLIENTS,
        subject="Su cita en {{Taller}} está agendada",
        heading="Cita agendada",
        paragraphs=(
            "Su cita en {{Taller}} quedó agendada. Estos son los detalles:",
            "Le recomendamos llegar unos 10 minutos antes y traer la matrícula de su vehículo. Si necesita "
            "cambiar la fecha o la hora, comuníquese con nosotros con anticipación y con gusto la reprogramamos.",
            "¡Le esperamos!",
        ),
        details=_APPOINTMENT,
    ),
    whatsapp(
        "phase-schedule",
        CLIENTS,
        "Hola, {{Nombre}} 👋\n\n"
        "Le saludamos de *{{Taller}}*. Su cita quedó agendada:\n\n"
        "📅 *Fecha:* {{Fecha}}\n"
        "🕒 *Hora:* {{Hora}}\n"
        "🚗 *Vehículo:* {{Vehículo}} ({{Placa}})\n\n"
        "Le recomendamos llegar 10 minutos antes. Si necesita reprogramar, responda a este mensaje. "
        "¡Le esperamos!",
    ),
    push(
        "phase-schedule",
        CLIENTS,
        "Cita agendada en {{Taller}}",
        "{{Vehículo}} ({{Placa}}): le esperamos el {{Fecha}} a las {{Hora}}.",
    ),
    # --- Recepción ----------------------------------------------------------------------------
    email(
        "phase-reception",
        CLIENTS,
        subject="Recibimos su {{Vehículo}} en {{Taller}}",
        heading="Su vehículo está en el taller",
        paragraphs=(
            "Gracias por confiar en {{Taller}}. Su vehículo ya se encuentra en nuestras instalaciones:",
            "Nuestro equipo realizará la inspección de ingreso y le mantendremos informado/a en cada etapa "
            "del servicio.",
        ),
        details=_VEHICLE_PHASE,
    ),
    whatsapp(
        "phase-reception",
        CLIENTS,
        "Hola, {{Nombre}} 👋\n\n"
        "Le confirmamos que su *{{Vehículo}}* (placa *{{Placa}}*) ya está en *{{Taller}}*. ✅\n\n"
        "Etapa actual: *{{Fase}}*. Nuestro equipo realizará la inspección de ingreso y le avisaremos por "
        "este medio cada vez que su vehículo avance.",
    ),
    push(
        "phase-reception",
        CLIENTS,
        "Recibimos su vehículo",
        "Su {{Vehículo}} ({{Placa}}) ya está en {{Taller}}. Le avisaremos de cada avance.",
    ),
    # --- Reparación ---------------------------------------------------------------------------
    email(
        "phase-repair",
        CLIENTS,
        subject="Su {{Vehículo}} está en reparación",
        heading="Trabajamos en su vehículo",
        paragraphs=(
            "Le informamos que su vehículo avanzó a la etapa de {{Fase}}:",
            "Nuestros técnicos ya están trabajando en él. Si se requiere algún trabajo adicional, le "
            "consultaremos antes de realizarlo.",
            "Le avisaremos apenas pase al control de calidad.",
        ),
        details=_VEHICLE_PHASE,
    ),
    whatsapp(
        "phase-repair",
        CLIENTS,
        "Hola, {{Nombre}} 🔧\n\n"
        "Su *{{Vehículo}}* (placa *{{Placa}}*) ya está en *{{Fase}}*. Nuestros técnicos están trabajando en él.\n\n"
        "Si hace falta algún trabajo adicional, le consultaremos antes de realizarlo.\n\n"
        "*{{Taller}}*",
    ),
    push(
        "phase-repair",
        CLIENTS,
        "Su vehículo está en reparación",
        "Nuestros técnicos ya trabajan en su {{Vehículo}} ({{Placa}}).",
    ),
    # --- Control de Calidad -------------------------------------------------------------------
    email(
        "phase-quality",
        CLIENTS,
        subject="Su {{Vehículo}} está en control de calidad",
        heading="Revisamos cada detalle",
        paragraphs=(
            "Terminamos los trabajos en su vehículo y ahora está en la etapa de {{Fase}}:",
            "Revisamos cada detalle y hacemos una prueba de ruta para que su vehículo quede en perfectas "
            "condiciones. Muy pronto le avisaremos que está listo para retirarlo.",
        ),
        details=_VEHICLE_PHASE,
    ),
    whatsapp(
        "phase-quality",
        CLIENTS,
        "Hola, {{Nombre}} 🔍\n\n"
        "Terminamos los trabajos en su *{{Vehículo}}* (placa *{{Placa}}*) y ahora está en *{{Fase}}*.\n\n"
        "Revisamos cada detalle para entregárselo en perfectas condiciones. ¡Ya casi está listo!\n\n"
        "*{{Taller}}*",
    ),
    push(
        "phase-quality",
        CLIENTS,
        "Control de calidad",
        "Estamos revisando cada detalle de su {{Vehículo}} ({{Placa}}). ¡Ya casi está listo!",
    ),
    # --- Entrega ------------------------------------------------------------------------------
    email(
        "phase-delivery",
        CLIENTS,
        subject="¡Su {{Vehículo}} está listo para retirar!",
        heading="Su vehículo está listo",
        paragraphs=(
            "Nos alegra informarle que su vehículo está listo para ser retirado en {{Taller}}:",
            "Al momento de la entrega, uno de nuestros asesores le explicará los trabajos realizados y "
            "resolverá cualquier inquietud. Recuerde traer su cédula de identidad.",
            "Gracias por confiar en nosotros.",
        ),
        details=_VEHICLE,
    ),
    whatsapp(
        "phase-delivery",
        CLIENTS,
        "¡Buenas noticias, {{Nombre}}! 🎉\n\n"
        "Su *{{Vehículo}}* (placa *{{Placa}}*) está listo para retirar en *{{Taller}}*.\n\n"
        "Al momento de la entrega, nuestro asesor le explicará los trabajos realizados. Recuerde traer su "
        "cédula.\n\n"
        "¡Gracias por confiar en nosotros!",
    ),
    push(
        "phase-delivery",
        CLIENTS,
        "¡Su vehículo está listo!",
        "Su {{Vehículo}} ({{Placa}}) ya puede retirarse en {{Taller}}.",
    ),
)


def _staff_phase_templates(phase: str, heading: str, emoji: str, action: str) -> tuple[TemplateSeed, ...]:
    """The three staff messages of a phase after the appointment: the vehicle moved, here is what to do."""
    moved = "El vehículo {{Placa}} ({{Vehículo}}) de {{Nombre}} pasó a {{Fase}}."
    return (
        email(
            phase,
            STAFF,
            subject="Vehículo {{Placa}} pasó a {{Fase}}",
            heading=heading,
            paragraphs=(moved, action),
            details=(("Cliente", "{{Nombre}}"), *_VEHICLE_PHASE),
        ),
        whatsapp(
            phase,
            STAFF,
            f"{emoji} *{heading}*\n\n"
            "El vehículo *{{Placa}}* ({{Vehículo}}) de {{Nombre}} pasó a *{{Fase}}*.\n\n"
            f"{action}",
        ),
        push(phase, STAFF, "{{Placa}} pasó a {{Fase}}", "{{Vehículo}} de {{Nombre}}. " + action),
    )


STAFF_TEMPLATES: tuple[TemplateSeed, ...] = (
    email(
        "phase-schedule",
        STAFF,
        subject="Nueva cita: {{Placa}} · {{Fecha}}, {{Hora}}",
        heading="Nueva cita agendada",
        paragraphs=(
            "Se agendó una cita en {{Taller}}:",
            "Por favor, prevea el espacio y el personal para la recepción del vehículo.",
        ),
        details=(("Cliente", "{{Nombre}}"), *_APPOINTMENT),
    ),
    whatsapp(
        "phase-schedule",
        STAFF,
        "📅 *Nueva cita agendada*\n\n"
        "*Cliente:* {{Nombre}}\n"
        "*Vehículo:* {{Vehículo}} ({{Placa}})\n"
        "*Fecha:* {{Fecha}} a las {{Hora}}\n\n"
        "Prevea el espacio y el personal para la recepción.",
    ),
    push("phase-schedule", STAFF, "Nueva cita: {{Placa}}", "{{Nombre}} · {{Vehículo}} · {{Fecha}}, {{Hora}}"),
    *_staff_phase_templates(
        "phase-reception",
        "Vehículo recibido",
        "🚗",
        "Registre el kilometraje, el inventario y las observaciones de ingreso.",
    ),
    *_staff_phase_templates(
        "phase-repair",
        "Vehículo en reparación",
        "🔧",
        "Confirme el técnico asignado y mantenga al día la orden de trabajo.",
    ),
    *_staff_phase_templates(
        "phase-quality",
        "Vehículo en control de calidad",
        "🔍",
        "Realice la revisión final y la prueba de ruta antes de liberar el vehículo.",
    ),
    *_staff_phase_templates(
        "phase-delivery",
        "Vehículo listo para entrega",
        "✅",
        "Coordine la entrega con el cliente y tenga lista la documentación.",
    ),
)

GENERIC_TEMPLATES: tuple[TemplateSeed, ...] = CLIENT_TEMPLATES + STAFF_TEMPLATES
