"""``sbt-sync sandbox ...``: generate synthetic data, run the simulators, steer the running sandbox."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, Literal, cast

import typer

from sbt_sync.cli.common import emit_json
from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.http.control_client import (
    DEFAULT_STATE_DIR,
    ControlClient,
    remove_state,
    resolve_control_url,
    write_state,
)
from sbt_sync.sandbox.http.credentials import SandboxCredentials
from sbt_sync.sandbox.http.describe import summary_lines
from sbt_sync.sandbox.http.fault_values import active_faults, group_assignments
from sbt_sync.sandbox.http.records import parse_instant
from sbt_sync.sandbox.runtime import SERVER_NAMES, Sandbox, manifest_clock_start

app = typer.Typer(help="The local sandbox: agency simulators, SFTP and SIASN.", no_args_is_help=True)
clock_app = typer.Typer(help="Show or move the running sandbox's clock.", no_args_is_help=True)
faults_app = typer.Typer(help="Show or switch the running sandbox's faults.", no_args_is_help=True)
app.add_typer(clock_app, name="clock")
app.add_typer(faults_app, name="faults")

Scale = Literal["small", "election", "national"]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
ControlOpt = Annotated[
    str | None, typer.Option("--control", help="Control URL (default: read from the state file).")
]
StateDirOpt = Annotated[
    Path, typer.Option("--state-dir", help="Where `up` keeps keys, certificates and state.json.")
]


def _client(control: str | None, state_dir: Path) -> ControlClient:
    return ControlClient(resolve_control_url(control, state_dir))


@app.command()
def generate(
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same bytes).")] = 1,
    scale: Annotated[str, typer.Option("--scale", help="small, election or national.")] = "small",
    out: Annotated[Path, typer.Option("--out", help="Directory to write.")] = DEFAULT_STATE_DIR / "data",
    as_json: JsonOpt = False,
) -> None:
    """Write a deterministic synthetic data directory (see sandbox/DATA_FORMAT.md)."""
    if scale not in ("small", "election", "national"):
        raise typer.BadParameter("expected small, election or national", param_hint="--scale")
    from sbt_sync.sandbox.generate import generate_sandbox

    def say(line: str) -> None:
        typer.echo(line, err=True)

    summary = generate_sandbox(
        seed=seed, scale=cast(Scale, scale), out=out, progress=None if as_json else say
    )
    if as_json:
        emit_json(summary)
        return
    typer.echo(f"sandbox data ({scale}, seed {seed}) written to {out}")
    for name, count in (summary.get("counts") or {}).items():
        typer.echo(f"  {name}: {count}")


def _parse_ports(values: list[str]) -> dict[str, int]:
    ports: dict[str, int] = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or name not in SERVER_NAMES or not number.isdigit() or int(number) > 65535:
            raise typer.BadParameter(f"{value!r}: expected NAME=PORT, NAME one of {', '.join(SERVER_NAMES)}")
        ports[name] = int(number)
    return ports


@app.command()
def up(
    data: Annotated[Path, typer.Option("--data", help="Sandbox data directory (from `generate`).")],
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    clock: Annotated[
        str | None, typer.Option("--clock", help="Start the clock here (ISO; default manifest clock.start).")
    ] = None,
    frozen: Annotated[bool, typer.Option("--frozen", help="Keep the clock still until moved.")] = False,
    fault: Annotated[
        list[str] | None,
        typer.Option("--fault", help="endpoint.switch=value, e.g. siasn.error_5xx_rate=0.2."),
    ] = None,
    fault_seed: Annotated[int, typer.Option("--fault-seed", help="Seed of the fault dice.")] = 0,
    port: Annotated[
        list[str] | None, typer.Option("--port", help="Fixed port, NAME=PORT (default: ephemeral).")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    tls: Annotated[bool, typer.Option("--tls/--no-tls", help="Serve the agency APIs over HTTPS.")] = True,
    sftp: Annotated[bool, typer.Option("--sftp/--no-sftp", help="Start the SFTP server.")] = True,
    credentials: Annotated[
        Path | None, typer.Option("--credentials", help="JSON file fixing some credentials.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON line with every URL and credential when ready.")
    ] = False,
) -> None:
    """Run every simulator until SIGINT or SIGTERM; the endpoints go to stdout and STATE_DIR/state.json."""
    try:
        start = parse_instant(clock) if clock else manifest_clock_start(data)
        grouped = group_assignments(fault or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    switches = FaultSwitches(seed=fault_seed)
    for endpoint, changes in grouped.items():
        switches.set(endpoint, **changes)
    sandbox = Sandbox(
        data,
        state_dir=state_dir,
        clock=SandboxClock(start, frozen=frozen),
        faults=switches,
        credentials=SandboxCredentials.from_file(credentials) if credentials else None,
        host=host,
        ports=_parse_ports(port or []),
        tls=tls,
        sftp=sftp,
    )
    stopping = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        sandbox.start()
        info = sandbox.describe()
        state_file = write_state(state_dir, info)
        if as_json:
            typer.echo(json.dumps(info, separators=(",", ":")))  # exactly one line, flushed
        else:
            _print_summary(info, state_file)
        while not stopping.wait(0.5):
            pass
    finally:
        sandbox.stop()
        remove_state(state_dir, os.getpid())
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not as_json:
        typer.echo("sandbox stopped", err=True)


def _print_summary(info: dict[str, Any], state_file: Path) -> None:
    for line in summary_lines(info):
        typer.echo(line)
    typer.echo(f"credentials and everything above: {state_file} (or run with --json)")


@app.command()
def status(
    control: ControlOpt = None, state_dir: StateDirOpt = DEFAULT_STATE_DIR, as_json: JsonOpt = False
) -> None:
    """Show the running sandbox: clock, faults, record counts, SIASN's write counts and the mail received."""
    info = _client(control, state_dir).get("status")
    if as_json:
        emit_json(info)
        return
    clock = info["clock"]
    typer.echo(f"clock      {clock['now']}{' (frozen)' if clock['frozen'] else ''}")
    for name, counts in info["records"].items():
        typer.echo(
            f"{name:<11}{counts['visible']} visible of {counts['keys']} keys ({counts['versions']} versions)"
        )
    typer.echo(
        f"siasn      {info['siasn_writes']['keys']} idempotency keys, "
        f"{info['siasn_writes']['block_states']} NIPs with a block state"
    )
    if "mail" in info:
        typer.echo(f"mail       {info['mail']['messages']} messages received (GET /_sandbox/mail lists them)")
    _echo_faults(info["faults"])


def _echo_clock(clock: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(clock)
    else:
        typer.echo(f"{clock['now']}{' (frozen)' if clock['frozen'] else ''}")


@clock_app.command("show")
def clock_show(
    control: ControlOpt = None, state_dir: StateDirOpt = DEFAULT_STATE_DIR, as_json: JsonOpt = False
) -> None:
    """Print the sandbox clock."""
    _echo_clock(_client(control, state_dir).get("clock"), as_json)


@clock_app.command("set")
def clock_set(
    instant: Annotated[str, typer.Argument(help="ISO-8601 instant with a UTC offset.")],
    frozen: Annotated[
        bool | None, typer.Option("--frozen/--running", help="Freeze or run from here.")
    ] = None,
    control: ControlOpt = None,
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    as_json: JsonOpt = False,
) -> None:
    """Jump the sandbox clock to INSTANT."""
    try:
        parse_instant(instant)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="INSTANT") from exc
    body: dict[str, Any] = {"now": instant} | ({} if frozen is None else {"frozen": frozen})
    _echo_clock(_client(control, state_dir).post("clock", body), as_json)


@clock_app.command("advance")
def clock_advance(
    days: Annotated[float, typer.Option("--days")] = 0,
    hours: Annotated[float, typer.Option("--hours")] = 0,
    seconds: Annotated[float, typer.Option("--seconds")] = 0,
    control: ControlOpt = None,
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    as_json: JsonOpt = False,
) -> None:
    """Move the sandbox clock forward."""
    body = {"advance_days": days, "advance_hours": hours, "advance_seconds": seconds}
    _echo_clock(_client(control, state_dir).post("clock", body), as_json)


def _echo_faults(snapshot: dict[str, dict[str, Any]]) -> None:
    for endpoint, active in active_faults(snapshot).items():
        typer.echo(f"faults     {endpoint}: " + (", ".join(f"{k}={v}" for k, v in active.items()) or "none"))


@faults_app.command("show")
def faults_show(
    control: ControlOpt = None, state_dir: StateDirOpt = DEFAULT_STATE_DIR, as_json: JsonOpt = False
) -> None:
    """Print the fault switches of every endpoint."""
    snapshot = _client(control, state_dir).get("faults")
    if as_json:
        emit_json(snapshot)
    else:
        _echo_faults(snapshot)


@faults_app.command("set")
def faults_set(
    assignments: Annotated[list[str], typer.Argument(help="endpoint.switch=value ...")],
    control: ControlOpt = None,
    state_dir: StateDirOpt = DEFAULT_STATE_DIR,
    as_json: JsonOpt = False,
) -> None:
    """Switch faults on or off, e.g. `siasn.error_5xx_rate=0.2 siasn.retry_after_seconds=3`."""
    try:
        grouped = group_assignments(assignments)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    client = _client(control, state_dir)
    snapshot: dict[str, dict[str, Any]] = {}
    for endpoint, changes in grouped.items():
        snapshot = client.post("faults", {"endpoint": endpoint, **changes})
    if as_json:
        emit_json(snapshot)
    else:
        _echo_faults(snapshot)


@faults_app.command("reset")
def faults_reset(
    control: ControlOpt = None, state_dir: StateDirOpt = DEFAULT_STATE_DIR, as_json: JsonOpt = False
) -> None:
    """Switch every fault off."""
    snapshot = _client(control, state_dir).post("faults/reset")
    if as_json:
        emit_json(snapshot)
    else:
        _echo_faults(snapshot)
