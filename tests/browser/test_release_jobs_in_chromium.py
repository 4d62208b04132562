"""The Export page follows a release job by htmx polling, under the CSP, until its release is ready.

The test plays the release worker in its own thread. Polls are held back while it
writes, because with SQLite the live server shares the test's database connection.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, Route, expect

from annotator.curation.gold import gold_status_set
from annotator.exports.release_jobs import claim_next_job, run_job
from annotator.models import GoldStatus, Membership, Project, ReleaseJob, Role

pytestmark = [pytest.mark.browser]


class Polls:
    """The page's polls of the release list, which can be held while the worker writes."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.holding = False
        self.held: list[Route] = []
        page.route("**/releases/jobs/", self.arrived)

    def arrived(self, route: Route) -> None:
        if self.holding:
            self.held.append(route)
        else:
            route.continue_()

    @contextmanager
    def held_back(self) -> Iterator[None]:
        """Wait for the next poll and hold it (and any after it): none is being served."""
        self.holding = True
        for _ in range(50):
            if self.held:
                break
            self.page.wait_for_timeout(100)
        else:
            pytest.fail("The page did not poll the release list within 5 seconds.")
        try:
            yield
        finally:
            self.holding = False
            for route in self.held:
                route.continue_()
            self.held.clear()


@pytest.fixture
def curator(demo, settings, tmp_path) -> User:
    settings.MEDIA_ROOT = tmp_path
    project = Project.objects.get(slug="security-talks")
    gold_status_set(document=project.documents.order_by("pk").first(), status=GoldStatus.GOLD)
    user = User.objects.create_user("cora", password="password")
    Membership.objects.create(project=project, user=user, role=Role.CURATOR)
    return user


def test_the_export_page_follows_a_release_job_to_its_release(page_as, curator):
    page = page_as(curator)
    page.goto("/projects/security-talks/export/")
    polls = Polls(page)
    for name in ("spacy", "huggingface", "brat"):
        page.locator(f"#releases input[value={name}]").uncheck()

    page.get_by_role("button", name="Create release").click()

    jobs = page.locator("#release-jobs")
    expect(jobs).to_contain_text("Queued: waiting for the release worker")
    with polls.held_back():
        job = claim_next_job()
        ReleaseJob.objects.filter(pk=job.pk).update(current_format="conll", documents_done=1)
    expect(jobs).to_contain_text("Writing conll (format 3 of 4): 1 of 1 documents")
    with polls.held_back():
        assert run_job(job).status == "done"
    expect(page.get_by_role("link", name="security-talks-v1.zip")).to_be_visible()
    expect(jobs).to_have_count(0)
    expect(page.locator("#release-list")).not_to_have_attribute("hx-trigger", "every 2s")
