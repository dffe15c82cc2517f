"""Service phases, main service types and their subtypes (icons are lucide-react names)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PhaseSeed:
    slug: str
    name: str
    icon: str
    order: int


@dataclass(frozen=True)
class SubtypeSeed:
    slug: str
    name: str
    icon: str
    order: int


@dataclass(frozen=True)
class ServiceTypeSeed:
    slug: str
    name: str
    icon: str
    order: int
    subtypes: tuple[SubtypeSeed, ...] = ()


PHASES: tuple[PhaseSeed, ...] = (
    PhaseSeed("phase-schedule", "Agendar Cita", "Calendar", 1),
    PhaseSeed("phase-reception", "Recepción", "ClipboardCheck", 2),
    PhaseSeed("phase-repair", "Reparación", "Wrench", 3),
    PhaseSeed("phase-quality", "Control de Calidad", "ShieldCheck", 4),
    PhaseSeed("phase-delivery", "Entrega", "Car", 5),
)

SERVICE_TYPES: tuple[ServiceTypeSeed, ...] = (
    ServiceTypeSeed("mantenimiento-preventivo", "Mantenimiento Preventivo", "Settings", 1),
    ServiceTypeSeed(
        "averia-revision",
        "Avería/Revisión",
        "AlertTriangle",
        2,
        subtypes=(
            SubtypeSeed("averia-frenos", "Frenos", "Circle", 1),
            SubtypeSeed("averia-diagnostico", "Diagnóstico", "Search", 2),
            SubtypeSeed("averia-alineacion", "Alineación", "Crosshair", 3),
        ),
    ),
    ServiceTypeSeed(
        "colision-pintura",
        "Colisión/Pintura",
        "SprayCan",
        3,
        # The subtype "Pintura" shares its slug with its main type (SPEC §4).
        subtypes=(
            SubtypeSeed("colision-siniestro", "Siniestro", "ShieldAlert", 1),
            SubtypeSeed("colision-golpe", "Golpe", "Hammer", 2),
            SubtypeSeed("colision-pintura", "Pintura", "Paintbrush", 3),
        ),
    ),
    ServiceTypeSeed("avaluo-comercial", "Avalúo Comercial", "Calculator", 4),
    ServiceTypeSeed("avaluo-mg", "Avalúo MG", "BadgeCheck", 5),
)

PHASE_NAMES: dict[str, str] = {p.slug: p.name for p in PHASES}
TYPE_NAMES: dict[str, str] = {t.slug: t.name for t in SERVICE_TYPES}
SUBTYPE_NAMES: dict[tuple[str, str], str] = {(t.slug, s.slug): s.name for t in SERVICE_TYPES for s in t.subtypes}
