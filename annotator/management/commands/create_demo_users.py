from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError

from annotator.models import Membership, Project, Role

DEMO_USERS = [
    ("manager", "manager-demo-2026", Role.MANAGER),
    ("curator", "curator-demo-2026", Role.CURATOR),
    ("annotator", "annotator-demo-2026", Role.ANNOTATOR),
    ("annotator2", "annotator2-demo-2026", Role.ANNOTATOR),
]


class Command(BaseCommand):
    help = "Create demo users with known passwords in every project (development only)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo users have known passwords: refused when DEBUG is off.")
        user_model = get_user_model()
        projects = list(Project.objects.all())
        add_project = Permission.objects.get(
            content_type__app_label="annotator", codename="add_project"
        )
        for username, password, role in DEMO_USERS:
            user, _ = user_model.objects.get_or_create(username=username)
            user.set_password(password)
            # The admin is for superusers; the manager works in the app's own pages.
            user.is_staff = False
            user.save()
            if role == Role.MANAGER:
                user.user_permissions.add(add_project)
            for project in projects:
                Membership.objects.update_or_create(
                    project=project, user=user, defaults={"role": role}
                )
            self.stdout.write(f"  {role:<10} user {username!r} password {password!r}")
