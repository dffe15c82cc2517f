"""The seed's dispatch example: the OpenAPI example of the endpoint, and what the tests post."""

DISPATCH_EXAMPLE = {
    "event_type": "appointment_scheduled",
    "service_type_id": "mantenimiento-preventivo",
    "phase_id": "phase-schedule",
    "customer_id": "customer-001",
    "target": "clients",
    "context": {
        "nombre": "Carlos Mendoza",
        "placa": "ABC123",
        "vehiculo": "Haval H6 2024",
        "fecha": "20 de Enero, 2026",
        "hora": "14:30",
    },
}
