"""`manage.py seed_demo`: the demo catalogue, stock, channels, templates and an admin user (idempotent)."""

from django.core.management.base import BaseCommand

from oms.demo import ADMIN_USERNAME, demo_seed, demo_simulators_restock


class Command(BaseCommand):
    help = (
        "Create the demo shop (catalogue, stock, the three simulator channels, mail templates, admin user)."
    )

    def handle(self, *args, **options):
        result = demo_seed()
        if result.created:
            summary = ", ".join(f"{count} {what}" for what, count in result.created.items())
            self.stdout.write(self.style.SUCCESS(f"Created {summary}."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        if restocked := demo_simulators_restock():
            self.stdout.write(
                f"{restocked} listings of the simulator shops will be sent again (simulators start empty)."
            )
        if result.admin_password:
            self.stdout.write(f"Staff user: {ADMIN_USERNAME}  password: {result.admin_password}")
            self.stdout.write(
                "(other demo users, one per role, and their passwords are in var/demo-login.txt)"
            )
        else:
            self.stdout.write(f"Staff user '{ADMIN_USERNAME}' exists; its password is unchanged.")
