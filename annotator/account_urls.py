"""Routes of the user's own settings; included from annotator/urls.py."""

from django.urls import path

from . import account_views

urlpatterns = [
    path("settings/tokens/", account_views.tokens, name="tokens"),
    path(
        "settings/tokens/<int:token_id>/revoke/",
        account_views.token_revoke_view,
        name="token-revoke",
    ),
]
