"""The REST API under ``/api/v1/`` (routes in :mod:`annotator.api_urls`).

Every view scopes objects through the ``visible_to`` querysets (another
project's object is a 404), checks the role next (403), and lets DRF answer
anonymous requests with 401. Writes go through the same service functions as
the HTML views; serializers only validate input and shape output.
"""
