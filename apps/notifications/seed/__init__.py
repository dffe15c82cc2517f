"""Default data loaded by `manage.py seed_initial_data`: plain data, no side effects.

`services/seeding.py` writes it to the database.
"""
