"""``baton``: run services, the whole stack, sample traffic, schema export and CRM loading."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer

from services.cli.nlu_commands import bench_nlu, intent_app, sentiment_app
from services.cli.registry import SERVICES
from shared.config import BatonSettings

app = typer.Typer(
    help="Baton: explainable bot-to-human escalation on Kafka and Redis.", no_args_is_help=True
)
schemas_app = typer.Typer(help="Event schemas.", no_args_is_help=True)
crm_app = typer.Typer(help="Customer profiles for handoff packets.", no_args_is_help=True)
topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")
app.add_typer(crm_app, name="crm")
app.add_typer(topics_app, name="topics")
policy_app = typer.Typer(help="Escalation policies.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(intent_app, name="intent")
app.add_typer(sentiment_app, name="sentiment")
app.command("bench-nlu")(bench_nlu)

SAMPLES = Path(__file__).resolve().parents[1] / "traffic" / "samples"


def _run(coro: object) -> None:
    try:
        import uvloop

        uvloop.run(coro)  # type: ignore[arg-type]
    except ImportError:
        asyncio.run(coro)  # type: ignore[arg-type]


@app.command()
def run(
    service: Annotated[str, typer.Argument(help="intent | sentiment | escalation | context | all")],
    demo: Annotated[
        bool, typer.Option(help="With 'all': publish sample conversations and print packets.")
    ] = False,
    samples: Annotated[Path, typer.Option(help="Conversations (JSONL) for --demo.")] = SAMPLES
    / "demo.jsonl",
) -> None:
    """Run one service in this process, or all of them as child processes."""
    if service == "all":
        _run(_run_all(demo=demo, samples=samples))
        return
    entry = SERVICES.get(service)
    if entry is None:
        raise typer.BadParameter(
            f"unknown service {service!r}; choose from {', '.join(SERVICES)} or all"
        )
    from shared.service import serve

    _run(serve(entry.settings(), entry.bootstrap()))


async def _run_all(*, demo: bool, samples: Path) -> None:
    import signal

    from services.cli.demo import PacketTail, publish_conversations
    from services.cli.supervisor import Supervisor
    from shared.bus.kafka import KafkaBus
    from shared.customers.crm import StoredCustomerDirectory, read_export
    from shared.state.redis import RedisStateStore

    settings = BatonSettings()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    from services.desk.settings import DeskSettings
    from services.desk.tokens import issue
    from services.gateway.settings import GatewaySettings

    gateway = GatewaySettings()
    desk = DeskSettings()
    # Local demo: webhooks are not signed by anyone, so the gateway does not ask for signatures.
    sup = Supervisor(
        list(SERVICES),
        env={"BATON_INGEST_VERIFY": "false"},
        gateway_port=gateway.gateway_port,
        desk_port=desk.desk_port,
    )
    await sup.start()
    try:
        await sup.wait_ready()
        print(
            f"baton: all services ready ({', '.join(SERVICES)}, gateway "
            f"http://{gateway.gateway_host}:{gateway.gateway_port}/docs); "
            f"Kafka {settings.kafka_bootstrap_servers}, "
            f"Redis {settings.redis_url}",
            flush=True,
        )
        demo_token = issue(
            desk.desk_secrets,
            tenant_id="demo",
            agent_id="demo-agent",
            queues=["*"],
            ttl_seconds=desk.desk_token_ttl_seconds,
        )
        print(
            f"baton: agent desktop http://{desk.desk_host}:{desk.desk_port}/desk?token={demo_token}",
            flush=True,
        )
        tail_task = None
        if demo:
            store = RedisStateStore.from_url(settings.redis_url)
            loaded = await StoredCustomerDirectory(store).load(
                "demo", read_export(SAMPLES / "crm.json")
            )
            await store.close()
            bus = KafkaBus.from_settings(settings)
            run_id = uuid.uuid4().hex[:6]
            tail = PacketTail(settings.kafka_bootstrap_servers, topic_prefix=settings.topic_prefix)
            await tail.start()
            tail_task = asyncio.create_task(tail.run(stop))
            n = await publish_conversations(bus, samples, suffix=run_id, pause_s=0.05)
            print(
                f"baton: loaded {loaded} CRM profiles; published {n} sample conversations "
                f"(run {run_id}); handoff packets follow. Ctrl-C to stop.",
                flush=True,
            )
        while not stop.is_set():
            if crashed := sup.crashed():
                print(f"baton: service(s) exited: {', '.join(crashed)}", file=sys.stderr)
                break
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
        stop.set()
        if tail_task is not None:
            await tail_task
    finally:
        await sup.stop()


@app.command("gateway")
def gateway_cmd() -> None:
    """Run the HTTP ingest gateway (POST /v1/events; OpenAPI at /docs)."""
    import uvicorn

    from services.gateway.app import create_app
    from services.gateway.settings import GatewaySettings
    from shared.bus.kafka import KafkaBus
    from shared.logging import configure_logging

    s = GatewaySettings()
    configure_logging("gateway", level=s.log_level, fmt=s.log_format)
    bus = KafkaBus.from_settings(s)
    uvicorn.run(create_app(s, bus), host=s.gateway_host, port=s.gateway_port, log_level="warning")


@app.command("desk")
def desk_cmd() -> None:
    """Run the agent-desktop gateway (WebSocket, SSE, actions, SLA monitor, /desk page)."""
    import uvicorn

    from services.desk.app import create_app
    from services.desk.settings import DeskSettings
    from shared.bus.kafka import KafkaBus
    from shared.logging import configure_logging
    from shared.state.redis import RedisStateStore

    s = DeskSettings()
    configure_logging("desk", level=s.log_level, fmt=s.log_format)
    bus = KafkaBus.from_settings(s)
    store = RedisStateStore.from_url(s.redis_url)
    uvicorn.run(
        create_app(s, bus, store),
        host=s.desk_host,
        port=s.desk_port,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )


@app.command("desk-token")
def desk_token(
    tenant: Annotated[str, typer.Option(help="Tenant the agent works for.")] = "demo",
    agent: Annotated[str, typer.Option(help="Agent id.")] = "demo-agent",
    queues: Annotated[str, typer.Option(help="Comma-separated queues, or * for all.")] = "*",
) -> None:
    """Print a signed agent token for the desk (secret from BATON_DESK_SECRETS)."""
    from services.desk.settings import DeskSettings
    from services.desk.tokens import TokenError, issue

    s = DeskSettings()
    try:
        typer.echo(
            issue(
                s.desk_secrets,
                tenant_id=tenant,
                agent_id=agent,
                queues=[q.strip() for q in queues.split(",") if q.strip()],
                ttl_seconds=s.desk_token_ttl_seconds,
            )
        )
    except TokenError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


@app.command()
def publish(
    file: Annotated[Path, typer.Argument(help="Conversations, one JSON object per line.")],
    suffix: Annotated[
        str | None, typer.Option(help="Appended to session ids (replay twice).")
    ] = None,
) -> None:
    """Publish recorded conversations to baton.conversation.events."""
    from services.cli.demo import publish_conversations
    from shared.bus.kafka import KafkaBus

    settings = BatonSettings()
    n = asyncio.run(publish_conversations(KafkaBus.from_settings(settings), file, suffix=suffix))
    typer.echo(f"published {n} conversations")


@app.command()
def tail() -> None:
    """Print handoff packets as they are published, until Ctrl-C."""
    from services.cli.demo import PacketTail

    async def go() -> None:
        settings = BatonSettings()
        t = PacketTail(settings.kafka_bootstrap_servers, topic_prefix=settings.topic_prefix)
        await t.start()
        await t.run(asyncio.Event())

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        pass


@topics_app.command("create")
def topics_create(partitions: Annotated[int | None, typer.Option()] = None) -> None:
    """Create Baton's topics (missing ones only)."""
    from shared.bus.kafka import KafkaBus
    from shared.schemas.topics import ALL_TOPICS

    s = BatonSettings()
    bus = KafkaBus.from_settings(s)
    asyncio.run(
        bus.ensure_topics([t.name for t in ALL_TOPICS], partitions=partitions or s.topic_partitions)
    )
    typer.echo("topics: " + ", ".join(t.name for t in ALL_TOPICS))


@schemas_app.command("export")
def schemas_export(
    out: Annotated[Path, typer.Option(help="Directory for the JSON Schema files.")] = Path(
        "shared/schemas/json"
    ),
) -> None:
    """Write one JSON Schema per event, for platforms in any language."""
    from shared.schemas.export import export_schemas

    for path in export_schemas(out):
        typer.echo(str(path))


@crm_app.command("load")
def crm_load(
    file: Annotated[
        Path, typer.Argument(help="CRM export: JSON list, JSONL or CSV with a header.")
    ],
    tenant: Annotated[str, typer.Option(help="Tenant the customers belong to.")] = "demo",
) -> None:
    """Load customer profiles into Redis for handoff packets."""
    from shared.customers.crm import StoredCustomerDirectory, read_export
    from shared.state.redis import RedisStateStore

    async def go() -> int:
        store = RedisStateStore.from_url(BatonSettings().redis_url)
        try:
            return await StoredCustomerDirectory(store).load(tenant, read_export(file))
        finally:
            await store.close()

    typer.echo(f"loaded {asyncio.run(go())} profiles for tenant {tenant}")


@app.command()
def bench(
    conversations: Annotated[int, typer.Option(help="Conversations in the flat-out phase.")] = 2000,
    rate: Annotated[float, typer.Option(help="Customer turns/s in the latency phase.")] = 500.0,
    seconds: Annotated[float, typer.Option(help="Length of the latency phase.")] = 20.0,
    partitions: Annotated[int, typer.Option(help="Partitions per topic.")] = 4,
    warmup_seconds: Annotated[
        float, typer.Option(help="Paced traffic before measuring, at least.")
    ] = 15.0,
    warmup_max_seconds: Annotated[
        float,
        typer.Option(
            help="Paced traffic before measuring, at most, while a local broker's JIT compiles."
        ),
    ] = 120.0,
) -> None:
    """Measure turns/s and turn->decision/packet latency, against a bare aiokafka relay."""
    from services.bench.run import bench as run_bench

    # uvloop, like the services: the load generator shares their two cores.
    try:
        _run(
            run_bench(
                conversations=conversations,
                latency_rate=rate,
                latency_seconds=seconds,
                partitions=partitions,
                warmup_seconds=warmup_seconds,
                warmup_max_seconds=warmup_max_seconds,
            )
        )
    except (asyncio.CancelledError, KeyboardInterrupt):
        typer.echo("[bench] stopped; the run's services, topics and keys are cleaned up", err=True)
        raise typer.Exit(130) from None


@policy_app.command("check")
def policy_check(file: Annotated[Path, typer.Argument(help="Policy YAML.")]) -> None:
    """Validate a policy file: print its version and hash, or each problem with its line."""
    from shared.policy.loader import PolicyError, load_policy

    try:
        loaded = load_policy(file)
    except PolicyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    except OSError as exc:
        typer.echo(f"{file}: {exc.strerror}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{file}: ok  version {loaded.version}  hash {loaded.content_hash}")


@policy_app.command("explain")
def policy_explain(
    session_id: Annotated[str, typer.Argument(help="Session to explain.")],
    tenant: Annotated[str, typer.Option(help="Tenant of the session.")] = "demo",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per decision.")] = False,
) -> None:
    """Print the decision history of a live session: actions, reasons, evidence, near misses."""
    from services.escalation.explain import decision_history, render
    from shared.state.redis import RedisStateStore

    async def go() -> list[object]:
        store = RedisStateStore.from_url(BatonSettings().redis_url)
        try:
            return list(await decision_history(store, tenant, session_id))
        finally:
            await store.close()

    decisions = asyncio.run(go())
    if as_json:
        for d in decisions:
            typer.echo(d.model_dump_json())  # type: ignore[attr-defined]
    else:
        typer.echo(render(decisions))  # type: ignore[arg-type]


@app.command()
def replay(
    file: Annotated[Path, typer.Option("--file", help="Conversations, one JSON object per line.")],
    policy: Annotated[
        Path | None, typer.Option(help="Policy to decide with (default: shipped).")
    ] = None,
    compare: Annotated[
        Path | None, typer.Option(help="Second policy: report what changes.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON line per conversation.")
    ] = False,
    live: Annotated[
        bool, typer.Option(help="Through the running services instead of in process.")
    ] = False,
) -> None:
    """Run recorded conversations through the live decision code (shadow mode)."""
    import logging

    from services.replay.compare import compare as compare_outcomes
    from services.replay.compare import render as render_comparison
    from services.replay.runner import read_file, replay_live
    from services.replay.runner import replay as run_replay
    from shared.policy.loader import PolicyError, load_policy

    logging.getLogger("baton").setLevel(logging.WARNING)
    from shared.logging import configure_logging

    configure_logging("replay", level="WARNING")
    try:
        conversations = read_file(file)
        policy_a = load_policy(policy)
        policy_b = load_policy(compare) if compare else None
    except (PolicyError, ValueError, OSError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    if live:
        if compare:
            raise typer.BadParameter("--compare runs in process; drop --live")
        s = BatonSettings()
        outcomes = asyncio.run(
            replay_live(conversations, s.kafka_bootstrap_servers, topic_prefix=s.topic_prefix)
        )
    else:
        outcomes = asyncio.run(run_replay(conversations, policy_a))
    if policy_b is None:
        for o in outcomes:
            if as_json:
                typer.echo(json.dumps(o.as_json()))
            else:
                typer.echo(
                    f"{o.conversation_id:<32} {o.action:<12} queue={o.queue} priority={o.priority} "
                    f"reasons={','.join(o.reasons)}"
                )
        return
    other = asyncio.run(run_replay(conversations, policy_b))
    result = compare_outcomes(outcomes, other)
    typer.echo(json.dumps(result.as_json()) if as_json else render_comparison(result))


@app.command()
def config() -> None:
    """Print the effective shared configuration (secrets are not part of it)."""
    typer.echo(json.dumps(BatonSettings().model_dump(mode="json"), indent=2))


if __name__ == "__main__":
    app()
