"""The discourse network page (curators and managers): both networks of a span source
drawn as SVG from the template, with node and edge tables beside them, the filter form,
the downloads and the actor alias table (merge variants, undo a merge).

The network is built by :mod:`annotator.curation.network` from the export reader's
documents, so it shows what an export of the same source holds; positions are computed
here, for the template, with no script. An htmx request for the page gets the network
partial (the filter form asks for it on change); without htmx, the whole page.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ..curation.actor_aliases import (
    AliasError,
    actor_alias_create,
    actor_alias_delete,
    actor_aliases,
)
from ..curation.network import Networks, build_networks, busiest, circle_layout
from ..exports.network_files import FORMATS, NETWORKS, network_csv, network_graphml
from ..exports.reader import DEFAULT_SOURCE, ExportError, Selection, read_documents
from ..exports.records import ACTOR_LABELS
from ..models import ActorAlias, LabelAttribute, Project
from ..permissions import Access, declares, project_for
from .exports import SOURCE_CHOICES

# Drawing sizes, in SVG user units.
ROW = 26
COLUMN_WIDTH = 760
ACTOR_X = 220
CONCEPT_X = 540
CIRCLE = 520
NAME_LENGTH = 40
#: What the page draws and lists at most, per kind of node and per network's edges, so a
#: large project's page stays readable and small; the downloads hold every node and edge.
DRAWN_NODES = 40
DRAWN_EDGES = 300


class NetworkForm(forms.Form):
    """What to draw: a span source (gold by default) and the statements' label and stance."""

    source = forms.ChoiceField(choices=SOURCE_CHOICES, initial=DEFAULT_SOURCE, required=False)
    annotator = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        to_field_name="username",
        help_text="with “One annotator's spans”",
    )
    label = forms.ChoiceField(required=False)
    stance = forms.ChoiceField(required=False)

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["annotator"].queryset = User.objects.filter(
            memberships__project=project
        ).order_by("username")
        statement_labels = project.labels.exclude(name__in=ACTOR_LABELS).values_list(
            "name", flat=True
        )
        self.fields["label"].choices = [("", "every label")] + [
            (name, name) for name in statement_labels
        ]
        stances: dict[str, None] = {}
        for values in LabelAttribute.objects.filter(
            label__project=project, name="stance"
        ).values_list("allowed_values", flat=True):
            stances.update(dict.fromkeys(values))
        self.fields["stance"].choices = [("", "every stance")] + [
            (stance, stance) for stance in stances
        ]
        self.selection: Selection | None = None

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        source = data.get("source") or DEFAULT_SOURCE
        try:
            self.selection = Selection(
                self.project, source, data["annotator"] if source == "annotator" else None
            )
        except ExportError as error:
            raise forms.ValidationError(str(error)) from None
        return data

    def query(self) -> str:
        """The valid form's choices as a query string, for the download links."""
        data = self.cleaned_data
        annotator = data["annotator"].get_username() if data["annotator"] else ""
        chosen = {
            "source": data["source"] or DEFAULT_SOURCE,
            "annotator": annotator,
            "label": data["label"],
            "stance": data["stance"],
        }
        return urlencode({name: value for name, value in chosen.items() if value})

    def networks(self) -> Networks:
        """The networks of the valid form's selection and filters."""
        return build_networks(
            read_documents(self.selection),
            actor_aliases(self.project),
            label=self.cleaned_data["label"] or None,
            stance=self.cleaned_data["stance"] or None,
        )


def _network_form(request: HttpRequest, project: Project) -> NetworkForm:
    return NetworkForm(request.GET or {"source": DEFAULT_SOURCE}, project=project)


def _short(name: str) -> str:
    return name if len(name) <= NAME_LENGTH else name[: NAME_LENGTH - 1] + "…"


def _drawing(networks: Networks) -> dict:
    """Positions for the template: the two-mode network as two columns (actors left,
    statements right), the actor-actor network on a circle."""
    rows = max(len(networks.actors), len(networks.concepts), 1)
    column = {}
    for x, nodes in ((ACTOR_X, networks.actors), (CONCEPT_X, networks.concepts)):
        for index, node in enumerate(nodes):
            column[node.id] = (x, ROW * index + ROW)
    circle = circle_layout(
        (node.id for node in networks.actors), centre=CIRCLE / 2, radius=CIRCLE / 2 - 110
    )

    def node(node, x, y):
        return {"node": node, "x": x, "y": y, "short": _short(node.name)}

    def end(positions, node_id):
        return {"x": positions[node_id][0], "y": positions[node_id][1]}

    return {
        "statement_height": rows * ROW + ROW,
        "statement_width": COLUMN_WIDTH,
        "actor_nodes": [node(n, *column[n.id]) for n in networks.actors],
        "concept_nodes": [node(n, *column[n.id]) for n in networks.concepts],
        "statement_lines": [
            {
                "edge": edge,
                "from": end(column, edge.actor),
                "to": end(column, edge.concept),
                "width": min(edge.weight, 6),
            }
            for edge in networks.statement_edges
        ],
        "circle_size": CIRCLE,
        "circle_nodes": [
            {**node(n, *circle[n.id]), "right": circle[n.id][0] >= CIRCLE / 2}
            for n in networks.actors
        ],
        "actor_lines": [
            {
                "edge": edge,
                "from": end(circle, edge.source),
                "to": end(circle, edge.target),
                "width": min(1 + abs(edge.weight), 6),
            }
            for edge in networks.actor_edges
        ],
    }


def _page_context(project: Project, form: NetworkForm) -> dict:
    context = {"project": project, "form": form, "networks": None}
    if form.is_valid():
        networks = form.networks()
        shown = busiest(networks, nodes=DRAWN_NODES, edges=DRAWN_EDGES)
        names = {node.id: node.name for node in shown.actors + shown.concepts}
        context |= {
            "networks": networks,
            "shown": shown,
            "cut": shown != networks,
            "statement_rows": [
                {"edge": edge, "actor": names[edge.actor], "concept": names[edge.concept]}
                for edge in shown.statement_edges
            ],
            "actor_rows": [
                {"edge": edge, "source": names[edge.source], "target": names[edge.target]}
                for edge in shown.actor_edges
            ],
            "query": form.query(),
            **_drawing(shown),
        }
    context["aliases"] = ActorAlias.objects.filter(project=project)
    return context


@declares(Access.CURATOR)
@login_required
@require_GET
def network_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.CURATOR)
    form = _network_form(request, project)
    context = _page_context(project, form)
    if request.htmx:
        # 200 even when invalid: htmx does not swap 4xx responses, and the message
        # must replace the stale network.
        return render(request, "annotator/network/network.html#network", context)
    status = 200 if form.is_valid() else 400
    return render(request, "annotator/network/network.html", context, status=status)


@declares(Access.CURATOR)
@login_required
@require_GET
def network_download(request: HttpRequest, slug: str) -> HttpResponse:
    """One network (``network``: statements or actors) as GraphML or CSV (``format``),
    with the page's filters."""
    project = project_for(request.user, slug, Access.CURATOR)
    form = _network_form(request, project)
    network = request.GET.get("network")
    file_format = request.GET.get("format")
    if network not in NETWORKS or file_format not in FORMATS:
        form.add_error(
            None,
            "Choose a network (statements or actors) and a format (graphml or csv) to download.",
        )
    if not form.is_valid():
        return render(
            request, "annotator/network/network.html", _page_context(project, form), status=400
        )
    writer = network_graphml if file_format == "graphml" else network_csv
    response = HttpResponse(
        writer(form.networks(), network), content_type=f"{FORMATS[file_format]}; charset=utf-8"
    )
    filename = f"{project.slug}-{network}-network.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@declares(Access.CURATOR)
@login_required
@require_POST
def actor_alias_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Merge the posted ``variant`` into the posted ``entity``; back to the page."""
    project = project_for(request.user, slug, Access.CURATOR)
    try:
        alias = actor_alias_create(
            project=project,
            variant=request.POST.get("variant", ""),
            entity=request.POST.get("entity", ""),
            by=request.user,
        )
    except AliasError as error:
        messages.error(request, str(error))
        context = _page_context(project, _network_form(request, project))
        return render(request, "annotator/network/network.html", context, status=400)
    messages.success(request, f"“{alias.alias}” now counts as “{alias.entity}”.")
    return redirect(reverse("network", args=[project.slug]) + "#aliases")


@declares(Access.CURATOR)
@login_required
@require_POST
def actor_alias_delete_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Undo the merge whose id is posted as ``alias``."""
    project = project_for(request.user, slug, Access.CURATOR)
    alias_id = request.POST.get("alias", "")
    alias = ActorAlias.objects.filter(
        project=project, pk=int(alias_id) if alias_id.isdigit() else None
    ).first()
    if alias is None or not actor_alias_delete(alias=alias, by=request.user):
        # Undone already (another tab, another curator), or never this project's.
        messages.error(request, "There is no such merge in this project; nothing was undone.")
        context = _page_context(project, _network_form(request, project))
        return render(request, "annotator/network/network.html", context, status=400)
    messages.success(request, f"“{alias.alias}” is its own actor again.")
    return redirect(reverse("network", args=[project.slug]) + "#aliases")
