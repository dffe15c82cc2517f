"""The admin as the workshop office's tool (SPEC §13): the site, its dashboard, charts, previews and clocks.

Kept apart from `apps.notifications.admin` on purpose: Django imports the site class while that package is still
registering its model admins, so the site must not live inside it.
"""
