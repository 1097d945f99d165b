"""An answer of SIASN's that states one thing (a token, a block state, an acknowledgement, one registry
row) and repeats a name in one object is never acted on: ``json.loads`` would keep the last value, and
``{"status": "DIBLOKIR", "status": "AKTIF"}`` would read as unblocked. The client refuses the answer,
naming where the name repeats: a read is an error for that NIP alone (readback and lookups go on), a
write is parked for stewards with the reason, a token answer stops authentication."""

from __future__ import annotations

import pytest

from connectors.errors import AuthenticationError, ResponseFormatError
from connectors.http import HttpClient, HttpSettings
from connectors.http.auth import SiasnCredentials
from connectors.siasn.api import PermanentPushError
from connectors.siasn.client import SiasnClient, SiasnConfig
from tests.connectors.helpers_http import FAST_RETRY, Reply, ScriptedServer

NIP = "199001012015031001"
TOKEN = b'{"access_token": "tok-123", "expires_in": 3600}'


def client(server: ScriptedServer) -> SiasnClient:
    credentials = SiasnCredentials(
        gateway_token_url=f"{server.url}/gateway/token",
        sso_token_url=f"{server.url}/sso/token",
        consumer_key="key",
        consumer_secret="secret",
        username="operator",
        password="password",
    )
    http = HttpClient(HttpSettings(connect_timeout=2, read_timeout=5), retry=FAST_RETRY)
    return SiasnClient(SiasnConfig(f"{server.url}/api", credentials), http=http)


def tokens(server: ScriptedServer, gateway: bytes = TOKEN) -> None:
    server.script("/gateway/token", Reply(raw=gateway))
    server.script("/sso/token", Reply(raw=TOKEN))


def test_a_block_state_that_states_its_status_twice_is_refused_not_read_as_unblocked(
    scripted: ScriptedServer,
) -> None:
    tokens(scripted)
    body = b'{"data": {"nip": "%s", "status": "DIBLOKIR", "status": "AKTIF"}}' % NIP.encode()
    scripted.script(f"/api/pemblokiran/{NIP}", Reply(raw=body))
    with pytest.raises(ResponseFormatError) as caught:
        client(scripted).status(NIP)
    message = str(caught.value)
    assert "data.status" in message and "2 times" in message and NIP not in message


def test_one_registry_row_that_states_a_field_twice_is_refused(scripted: ScriptedServer) -> None:
    tokens(scripted)
    body = b'{"data": {"nipBaru": "%s", "kedudukanPnsId": "01", "kedudukanPnsId": "99"}}' % NIP.encode()
    scripted.script(f"/api/pns/data-utama/{NIP}", Reply(raw=body))
    with pytest.raises(ResponseFormatError, match=r"data\.kedudukanPnsId.*2 times"):
        client(scripted).data_utama(NIP)


def test_an_acknowledgement_that_repeats_a_name_parks_the_write_with_the_reason(
    scripted: ScriptedServer,
) -> None:
    tokens(scripted)
    body = b'{"success": true, "mapData": {"referensi": "R-1", "referensi": "R-2", "status": "DIBLOKIR"}}'
    scripted.script("/api/pemblokiran/blokir", Reply(raw=body))
    with pytest.raises(PermanentPushError) as caught:
        client(scripted).blokir(NIP, {"alasan": "x"}, "key-1")
    assert "mapData.referensi" in caught.value.siasn_message and "2 times" in caught.value.siasn_message


def test_a_token_answer_that_states_its_token_twice_stops_authentication_saying_so(
    scripted: ScriptedServer,
) -> None:
    tokens(scripted, gateway=b'{"access_token": "a", "access_token": "b", "expires_in": 3600}')
    scripted.script(f"/api/pemblokiran/{NIP}", Reply(raw=b'{"data": {"nip": "x", "status": "AKTIF"}}'))
    with pytest.raises((ResponseFormatError, AuthenticationError), match=r"access_token.*2 times"):
        client(scripted).status(NIP)
    assert not any(seen.path.startswith("/api/") for seen in scripted.seen)


def test_a_block_state_whose_status_is_not_text_is_refused(scripted: ScriptedServer) -> None:
    """A status SIASN cannot have meant (a number, an object, a marker for an unreadable value) is an
    error, never 'not blocked'."""
    tokens(scripted)
    body = b'{"data": {"nip": "%s", "status": {"kode": 1}}}' % NIP.encode()
    scripted.script(f"/api/pemblokiran/{NIP}", Reply(raw=body))
    with pytest.raises(ResponseFormatError, match="status"):
        client(scripted).status(NIP)
