"""Routes of this part of the app; included from annotator/urls.py."""

urlpatterns: list = []
