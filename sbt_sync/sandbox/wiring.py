"""Pointing a deployment's configuration at a running sandbox, and the secrets it needs.

The committed ``sbt.yaml`` names fixed loopback ports; tests and the demo may run the sandbox on other
ports, so this rewrites every URL, host, port, CA bundle and known_hosts path from the sandbox's own
endpoints, and maps each ``*_env`` secret reference to the sandbox's generated credential. ``notify:``
is pointed at the sandbox's mail server (STARTTLS with the sandbox CA, its login).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from sbt_sync.sandbox.http.credentials import SandboxCredentials
from sbt_sync.sandbox.http.describe import SandboxEndpoints

SMTP_USERNAME_ENV = "SBT_SMTP_USERNAME"
SMTP_PASSWORD_ENV = "SBT_SMTP_PASSWORD"  # noqa: S105  (the name of a variable, not a password)
"""The secrets' names when ``notify:`` names none (sbt.yaml's commented example)."""


def _origin_and_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path


def sandbox_config(base: dict[str, Any], endpoints: SandboxEndpoints) -> dict[str, Any]:
    """``base`` (a parsed sbt.yaml) with every source and SIASN pointed at ``endpoints``."""
    config = copy.deepcopy(base)
    ca = str(endpoints.ca_bundle) if endpoints.ca_bundle else None
    listing = {
        "bawaslu": endpoints.bawaslu_url,
        "bkn_wasdal": endpoints.bkn_wasdal_url,
        "idis": endpoints.idis_url,
        "imut": endpoints.imut_url,
    }
    # SIASN-family sources fetch their two tokens from their own simulator (any of them accepts both)
    two_token = {
        "idis": (endpoints.idis_token_url, endpoints.idis_sso_token_url),
        "imut": (endpoints.imut_token_url, endpoints.imut_sso_token_url),
    }
    for name, source in config.get("sources", {}).items():
        if source.get("kind") == "http" and name in listing:
            source["base_url"], source["path"] = _origin_and_path(listing[name])
            source["ca_bundle"] = ca
            auth = source.get("auth", {})
            if auth.get("type") == "oauth2_client_credentials":
                auth["token_url"] = endpoints.bkn_wasdal_token_url
            elif auth.get("type") == "siasn_tokens":
                gateway, sso = two_token.get(name, two_token["idis"])
                auth["gateway_token_url"], auth["sso_token_url"] = gateway, sso
        elif source.get("kind") == "sftp" and endpoints.sftp is not None:
            source["host"], source["port"] = endpoints.sftp.host, endpoints.sftp.port
            source["username"] = endpoints.sftp.username
            source["known_hosts"] = str(endpoints.sftp.known_hosts_path)
    if "siasn" in config:
        config["siasn"].update(
            base_url=endpoints.siasn_base_url,
            gateway_token_url=endpoints.siasn_token_url,
            sso_token_url=endpoints.siasn_sso_token_url,
            ca_bundle=ca,
        )
    if "notify" in config and endpoints.smtp is not None:
        notify = config["notify"] = config["notify"] or {}
        notify.update(
            host=endpoints.smtp.host,
            port=endpoints.smtp.port,
            starttls=endpoints.smtp.starttls,
            ca_bundle=ca,
            username_env=notify.get("username_env") or SMTP_USERNAME_ENV,
            password_env=notify.get("password_env") or SMTP_PASSWORD_ENV,
        )
    return config


def sandbox_secrets(
    config: dict[str, Any], credentials: SandboxCredentials, endpoints: SandboxEndpoints
) -> dict[str, str]:
    """Environment values for every ``*_env`` reference of ``config``, from the sandbox's credentials."""
    siasn = {
        "consumer_key_env": credentials.siasn_consumer_key,
        "consumer_secret_env": credentials.siasn_consumer_secret,
        "username_env": credentials.siasn_username,
        "password_env": credentials.siasn_password,
    }
    env: dict[str, str] = {}
    for source in config.get("sources", {}).values():
        auth = source.get("auth", {})
        if auth.get("type") == "api_key":
            env[auth["key_env"]] = credentials.bawaslu_api_key
        elif auth.get("type") == "oauth2_client_credentials":
            env[auth["client_id_env"]] = credentials.bkn_wasdal_client_id
            env[auth["client_secret_env"]] = credentials.bkn_wasdal_client_secret
        elif auth.get("type") == "siasn_tokens":
            env.update({auth[key]: value for key, value in siasn.items()})
        if source.get("kind") == "sftp" and endpoints.sftp is not None:
            env[source["private_key_path_env"]] = str(endpoints.sftp.client_key_path)
    if "siasn" in config:
        env.update({config["siasn"][key]: value for key, value in siasn.items()})
    notify = config.get("notify") or {}
    if endpoints.smtp is not None and notify.get("username_env") and notify.get("password_env"):
        env[notify["username_env"]] = credentials.smtp_username
        env[notify["password_env"]] = credentials.smtp_password
    return env


@contextmanager
def scoped_environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` (e.g. :func:`sandbox_secrets`) in this process's environment, restored afterwards;
    never written to disk or logged."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
