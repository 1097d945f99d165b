"""The shared HTTP layer: one retrying client, auth strategies and paginators."""

from connectors.http.auth import (
    ApiKeyAuth,
    Auth,
    ClientCredentials,
    OAuth2ClientCredentialsAuth,
    SiasnCredentials,
    SiasnTokenAuth,
)
from connectors.http.classify import HttpResponse
from connectors.http.client import HttpClient, HttpSettings, build_session, calls_end_by
from connectors.http.headers import parse_link_header
from connectors.http.paging import CursorPaginator, OffsetPaginator, Page, Paginator
from connectors.http.paging_since import LinkHeaderPaginator, PageNumberPaginator, make_paginator
from connectors.retry import parse_retry_after

__all__ = [
    "ApiKeyAuth",
    "Auth",
    "ClientCredentials",
    "CursorPaginator",
    "HttpClient",
    "HttpResponse",
    "HttpSettings",
    "LinkHeaderPaginator",
    "OAuth2ClientCredentialsAuth",
    "OffsetPaginator",
    "Page",
    "PageNumberPaginator",
    "Paginator",
    "SiasnCredentials",
    "SiasnTokenAuth",
    "build_session",
    "calls_end_by",
    "make_paginator",
    "parse_link_header",
    "parse_retry_after",
]
