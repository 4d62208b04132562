"""The logged-in user's own settings: personal API tokens.

A token is shown once, in the response to the POST that creates it, and never
again (only its SHA-256 is stored). Revoking is a POST; another user's token is
a 404. Accounts themselves are created by managers or admins, never here.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..api_tokens import token_create, token_revoke
from ..models import ApiToken
from ..permissions import Access, declares


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. a script's name.")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name


@declares(Access.AUTHENTICATED)
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List my tokens; POST creates one and shows it, this once."""
    form = TokenForm(request.POST or None)
    created_token = None
    if request.method == "POST" and form.is_valid():
        _, created_token = token_create(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    return render(
        request,
        "annotator/account/tokens.html",
        {
            "form": form,
            "created_token": created_token,
            "tokens": ApiToken.objects.filter(user=request.user).order_by("-created", "-id"),
        },
    )


@declares(Access.AUTHENTICATED)
@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    api_token = get_object_or_404(ApiToken, user=request.user, pk=token_id)
    token_revoke(api_token=api_token)
    messages.success(request, f"Revoked {api_token.name}.")
    return redirect("tokens")
