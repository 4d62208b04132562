"""``/healthz`` and ``/readyz``, for load balancers and orchestrators.

Public and cheap: no session, no template, and a body that names only the
probes and whether each passed (no versions, no error texts; failures are
logged). ``/healthz`` says the process answers; ``/readyz`` that it can serve,
its database, stored files and cache reachable (:mod:`annotator.deployment.health`), and
is a 503 otherwise, so that a balancer sends it no traffic.
"""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from annotator.deployment.health import readiness
from annotator.permissions import Access, declares


@declares(Access.PUBLIC)
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@declares(Access.PUBLIC)
@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    outcomes = readiness()
    ready = all(outcomes.values())
    return JsonResponse(
        {
            "status": "ready" if ready else "unavailable",
            "checks": {name: "ok" if passed else "failing" for name, passed in outcomes.items()},
        },
        status=200 if ready else 503,
    )
