"""The Export page fits the window: its preview wraps inside its box, on a laptop and a phone."""

import hashlib

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.utils import timezone

from annotator.curation.gold import gold_status_set
from annotator.exports.formats import FORMATS
from annotator.models import (
    GoldStatus,
    Membership,
    Project,
    Release,
    ReleaseJob,
    ReleaseJobStatus,
    Role,
)

pytestmark = [pytest.mark.browser]


@pytest.fixture
def curator(demo, settings, tmp_path) -> User:
    """Every demo document gold, so the preview holds the long seed article on one line;
    a release of every format and a failed job with a long message in the release list."""
    settings.MEDIA_ROOT = tmp_path
    project = Project.objects.get(slug="security-talks")
    for document in project.documents.all():
        gold_status_set(document=document, status=GoldStatus.GOLD)
    user = User.objects.create_user("cora", password="password")
    Membership.objects.create(project=project, user=user, role=Role.CURATOR)
    archive = b"PK\x05\x06" + bytes(18)
    release = Release(
        project=project,
        version=1,
        author=user,
        guidelines_version=1,
        formats=list(FORMATS),
        archive_sha256=hashlib.sha256(archive).hexdigest(),
    )
    release.archive.save("security-talks-v1.zip", ContentFile(archive), save=False)
    release.save(force_insert=True)
    ReleaseJob.objects.create(
        project=project,
        requested_by=user,
        formats=list(FORMATS),
        license="cc-by-4.0",
        status=ReleaseJobStatus.FAILED,
        started=timezone.now(),
        finished=timezone.now(),
        message="A writer refused the data: " + "a-very-long-unbroken-reason-" * 8,
    )
    return user


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("export_format", ["jsonl", "doccano-entities"])
def test_the_export_page_is_no_wider_than_the_window(page_as, curator, width, export_format):
    page = page_as(curator)
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(
        "/projects/security-talks/export/?source=gold&train=0.8&validation=0.1&test=0.1"
        f"&seed=0&format={export_format}"
    )

    preview = page.locator("pre.export-preview")
    assert preview.is_visible()
    assert "Sergey Lavrov" in preview.inner_text()
    assert page.locator("#release-jobs").is_visible()
    assert "security-talks-v1.zip" in page.locator("#release-list").inner_text()
    widths = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
        " window: window.innerWidth})"
    )
    assert widths["page"] <= widths["window"], widths
    assert widths["body"] <= widths["window"], widths
    box = preview.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
