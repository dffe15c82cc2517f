"""Templates of one service type or subtype: they win over the generic ones (SPEC §4).

The mantenimiento-preventivo / phase-schedule / clients trio answers the seed's dispatch example
(context nombre, placa, vehiculo, fecha, hora; Fase and Taller filled in by the service).
"""

from .messages import CLIENTS, STAFF, TemplateSeed, email, push, whatsapp

_MP = {"service_type": "mantenimiento-preventivo"}
_AVERIA = {"service_type": "averia-revision"}
_COLISION = {"service_type": "colision-pintura"}
_AVALUO = {"service_type": "avaluo-comercial"}
_AVALUO_MG = {"service_type": "avaluo-mg"}

_VEHICLE = (("Vehículo", "{{Vehículo}}"), ("Placa", "{{Placa}}"))
_VEHICLE_PHASE = (*_VEHICLE, ("Etapa", "{{Fase}}"))

TYPE_TEMPLATES: tuple[TemplateSeed, ...] = (
    # --- Mantenimiento Preventivo -------------------------------------------------------------
    email(
        "phase-schedule",
        CLIENTS,
        subject="Mantenimiento preventivo agendado: {{Fecha}}, {{Hora}}",
        heading="Su mantenimiento preventivo está agendado",
        paragraphs=(
            "Agendamos el mantenimiento preventivo de su vehículo en {{Taller}}:",
            "Cumplir con el mantenimiento a tiempo cuida el motor, ayuda a conservar la garantía y le da "
            "tranquilidad en cada viaje. Revisaremos los puntos que el fabricante recomienda para el "
            "kilometraje de su vehículo.",
            "Le recomendamos llegar unos 10 minutos antes. Si necesita cambiar la fecha o la hora, comuníquese "
            "con nosotros y con gusto la reprogramamos.",
        ),
        details=(("Fecha", "{{Fecha}}"), ("Hora", "{{Hora}}"), *_VEHICLE),
        **_MP,
    ),
    whatsapp(
        "phase-schedule",
        CLIENTS,
        "Hola, {{Nombre}} 👋\n\n"
        "Le saludamos de *{{Taller}}*. Su *mantenimiento preventivo* quedó agendado:\n\n"
        "📅 *Fecha:* {{Fecha}}\n"
        "🕒 *Hora:* {{Hora}}\n"
        "🚗 *Vehículo:* {{Vehículo}} ({{Placa}})\n\n"
        "Cumplir el mantenimiento a tiempo cuida su vehículo y su garantía. Si necesita reprogramar, responda "
        "a este mensaje. ¡Le esperamos!",
        **_MP,
    ),
    push(
        "phase-schedule",
        CLIENTS,
        "Mantenimiento agendado",
        "{{Vehículo}} ({{Placa}}): le esperamos el {{Fecha}} a las {{Hora}} en {{Taller}}.",
        **_MP,
    ),
    email(
        "phase-delivery",
        CLIENTS,
        subject="Mantenimiento completado: su {{Vehículo}} está listo",
        heading="Mantenimiento preventivo completado",
        paragraphs=(
            "Completamos el mantenimiento preventivo de su vehículo y ya puede retirarlo en {{Taller}}:",
            "Al momento de la entrega le indicaremos los trabajos realizados y le recomendaremos la fecha o el "
            "kilometraje de su próximo mantenimiento. Le enviaremos un recordatorio cuando se acerque.",
            "Gracias por cuidar su vehículo con nosotros.",
        ),
        details=_VEHICLE,
        **_MP,
    ),
    whatsapp(
        "phase-delivery",
        CLIENTS,
        "¡Listo, {{Nombre}}! ✅\n\n"
        "Completamos el *mantenimiento preventivo* de su *{{Vehículo}}* (placa *{{Placa}}*). Ya puede "
        "retirarlo en *{{Taller}}*.\n\n"
        "Le recordaremos por este medio cuando se acerque su próximo mantenimiento. ¡Gracias por su confianza!",
        **_MP,
    ),
    # --- Avería/Revisión ----------------------------------------------------------------------
    email(
        "phase-reception",
        CLIENTS,
        subject="Recibimos su {{Vehículo}} para diagnóstico",
        heading="Iniciamos la revisión de su vehículo",
        paragraphs=(
            "Recibimos su vehículo en {{Taller}} para revisar la avería reportada:",
            "Nuestros técnicos harán el diagnóstico y le enviaremos el detalle de lo encontrado junto con la "
            "cotización. No realizaremos ningún trabajo sin su aprobación.",
        ),
        details=_VEHICLE_PHASE,
        **_AVERIA,
    ),
    whatsapp(
        "phase-reception",
        CLIENTS,
        "Hola, {{Nombre}} 👋\n\n"
        "Recibimos su *{{Vehículo}}* (placa *{{Placa}}*) en *{{Taller}}* para revisar la avería reportada.\n\n"
        "🔎 Nuestros técnicos harán el diagnóstico y le enviaremos el detalle con la cotización. "
        "*No realizaremos ningún trabajo sin su aprobación.*",
        **_AVERIA,
    ),
    # --- Colisión/Pintura ---------------------------------------------------------------------
    whatsapp(
        "phase-reception",
        CLIENTS,
        "Hola, {{Nombre}} 👋\n\n"
        "Recibimos su *{{Vehículo}}* (placa *{{Placa}}*) en *{{Taller}}* para el trabajo de carrocería y "
        "pintura.\n\n"
        "📸 Registramos con fotos el estado del vehículo al ingreso. Si el trabajo lo cubre su aseguradora, "
        "coordinaremos con ella la inspección y le avisaremos en cuanto tengamos la aprobación.",
        **_COLISION,
    ),
    whatsapp(
        "phase-reception",
        STAFF,
        "🚗 *Ingreso de carrocería y pintura*\n\n"
        "El vehículo *{{Placa}}* ({{Vehículo}}) de {{Nombre}} pasó a *{{Fase}}*.\n\n"
        "Tome las fotos de los daños al ingreso y, si aplica, coordine la inspección con la aseguradora.",
        **_COLISION,
    ),
    email(
        "phase-repair",
        CLIENTS,
        subject="Su {{Vehículo}} está en carrocería y pintura",
        heading="Trabajos de carrocería y pintura en curso",
        paragraphs=(
            "Su vehículo avanzó a la etapa de {{Fase}}:",
            "Nuestro equipo de enderezada y pintura ya trabaja en él. Cuidamos la igualación del color y el "
            "acabado para que quede como de fábrica; el secado y el pulido toman su tiempo, y preferimos "
            "hacerlo bien.",
            "Le avisaremos apenas pase al control de calidad.",
        ),
        details=_VEHICLE_PHASE,
        **_COLISION,
    ),
    whatsapp(
        "phase-repair",
        CLIENTS,
        "Hola, {{Nombre}} 🎨\n\n"
        "Su *{{Vehículo}}* (placa *{{Placa}}*) ya está en *{{Fase}}*: nuestro equipo de enderezada y pintura "
        "trabaja en él.\n\n"
        "Cuidamos la igualación del color y el acabado para que quede como nuevo. Le avisaremos apenas pase al "
        "control de calidad.\n\n"
        "*{{Taller}}*",
        **_COLISION,
    ),
    push(
        "phase-repair",
        CLIENTS,
        "Carrocería y pintura en curso",
        "Nuestro equipo de enderezada y pintura ya trabaja en su {{Vehículo}} ({{Placa}}).",
        **_COLISION,
    ),
    # --- Avalúo Comercial ---------------------------------------------------------------------
    whatsapp(
        "phase-reception",
        CLIENTS,
        "Hola, {{Nombre}} 👋\n\n"
        "Recibimos su *{{Vehículo}}* (placa *{{Placa}}*) en *{{Taller}}* para el *avalúo comercial*.\n\n"
        "Nuestro perito revisará el estado mecánico, la carrocería y la documentación del vehículo. Le "
        "avisaremos en cuanto el informe esté listo.",
        **_AVALUO,
    ),
    email(
        "phase-delivery",
        CLIENTS,
        subject="El avalúo comercial de su {{Vehículo}} está listo",
        heading="Su avalúo comercial está listo",
        paragraphs=(
            "Terminamos el avalúo comercial de su vehículo:",
            "Uno de nuestros asesores se comunicará con usted para explicarle el resultado y entregarle el "
            "informe. Su vehículo ya puede retirarse en {{Taller}} cuando lo desee.",
        ),
        details=_VEHICLE,
        **_AVALUO,
    ),
    whatsapp(
        "phase-delivery",
        CLIENTS,
        "Hola, {{Nombre}} 📋\n\n"
        "El *avalúo comercial* de su *{{Vehículo}}* (placa *{{Placa}}*) está listo.\n\n"
        "Un asesor de *{{Taller}}* se comunicará con usted para explicarle el resultado. Su vehículo ya puede "
        "retirarse cuando lo desee.",
        **_AVALUO,
    ),
    # --- Avalúo MG ----------------------------------------------------------------------------
    email(
        "phase-delivery",
        CLIENTS,
        subject="El avalúo MG de su {{Vehículo}} está listo",
        heading="Su avalúo MG está listo",
        paragraphs=(
            "Terminamos el avalúo MG de su vehículo:",
            "Un asesor de {{Taller}} se comunicará con usted para explicarle el resultado y las opciones "
            "disponibles para usted. Su vehículo ya puede retirarse cuando lo desee.",
        ),
        details=_VEHICLE,
        **_AVALUO_MG,
    ),
    whatsapp(
        "phase-delivery",
        CLIENTS,
        "Hola, {{Nombre}} 📋\n\n"
        "El *avalúo MG* de su *{{Vehículo}}* (placa *{{Placa}}*) está listo.\n\n"
        "Un asesor de *{{Taller}}* se comunicará con usted para explicarle el resultado y las opciones "
        "disponibles. ¡Gracias por su confianza!",
        **_AVALUO_MG,
    ),
)

SUBTYPE_TEMPLATES: tuple[TemplateSeed, ...] = (
    email(
        "phase-repair",
        CLIENTS,
        subject="Trabajamos en los frenos de su {{Vehículo}}",
        heading="Reparación del sistema de frenos",
        paragraphs=(
            "Su vehículo avanzó a la etapa de {{Fase}} y nuestros técnicos ya trabajan en el sistema de frenos:",
            "Por su seguridad, revisamos pastillas, discos, líquido y mangueras, y al terminar hacemos una prueba "
            "de frenado antes de entregárselo. Si encontramos algo adicional, le consultaremos antes de "
            "realizarlo.",
        ),
        details=_VEHICLE_PHASE,
        subtype="averia-frenos",
        **_AVERIA,
    ),
    whatsapp(
        "phase-repair",
        CLIENTS,
        "Hola, {{Nombre}} 🔧\n\n"
        "Su *{{Vehículo}}* (placa *{{Placa}}*) ya está en *{{Fase}}*: nuestros técnicos trabajan en el "
        "*sistema de frenos*.\n\n"
        "Por su seguridad, al terminar haremos una prueba de frenado antes de entregárselo.\n\n"
        "*{{Taller}}*",
        subtype="averia-frenos",
        **_AVERIA,
    ),
    whatsapp(
        "phase-reception",
        CLIENTS,
        "Hola, {{Nombre}} 👋\n\n"
        "Recibimos su *{{Vehículo}}* (placa *{{Placa}}*) en *{{Taller}}* para el *diagnóstico*.\n\n"
        "🔎 Haremos el escaneo electrónico y la revisión técnica, y le enviaremos los resultados con la "
        "cotización. No realizaremos ningún trabajo sin su aprobación.",
        subtype="averia-diagnostico",
        **_AVERIA,
    ),
    whatsapp(
        "phase-reception",
        CLIENTS,
        "Hola, {{Nombre}} 👋\n\n"
        "Recibimos su *{{Vehículo}}* (placa *{{Placa}}*) en *{{Taller}}* por el siniestro reportado.\n\n"
        "📸 Registramos el estado del vehículo y coordinaremos la inspección con su aseguradora. Le avisaremos "
        "en cuanto tengamos la aprobación para iniciar los trabajos.",
        subtype="colision-siniestro",
        **_COLISION,
    ),
)
