"""``baton``: run services, the whole stack, sample traffic, schema export and CRM loading."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer

from shared.config import BatonSettings

from services.cli.registry import SERVICES

app = typer.Typer(help="Baton: explainable bot-to-human escalation on Kafka and Redis.", no_args_is_help=True)
schemas_app = typer.Typer(help="Event schemas.", no_args_is_help=True)
crm_app = typer.Typer(help="Customer profiles for handoff packets.", no_args_is_help=True)
topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")
app.add_typer(crm_app, name="crm")
app.add_typer(topics_app, name="topics")

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
    demo: Annotated[bool, typer.Option(help="With 'all': publish sample conversations and print packets.")] = False,
    samples: Annotated[Path, typer.Option(help="Conversations (JSONL) for --demo.")] = SAMPLES / "demo.jsonl",
) -> None:
    """Run one service in this process, or all of them as child processes."""
    if service == "all":
        _run(_run_all(demo=demo, samples=samples))
        return
    entry = SERVICES.get(service)
    if entry is None:
        raise typer.BadParameter(f"unknown service {service!r}; choose from {', '.join(SERVICES)} or all")
    from shared.service import serve

    _run(serve(entry.settings(), entry.bootstrap()))


async def _run_all(*, demo: bool, samples: Path) -> None:
    import signal

    from shared.bus.kafka import KafkaBus
    from shared.state.redis import RedisStateStore

    from services.cli.demo import PacketTail, publish_conversations
    from services.cli.supervisor import Supervisor
    from services.context.crm import StoredCustomerDirectory, read_export

    settings = BatonSettings()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sup = Supervisor(list(SERVICES))
    await sup.start()
    try:
        await sup.wait_ready()
        print(f"baton: all services ready ({', '.join(SERVICES)}); Kafka {settings.kafka_bootstrap_servers}, "
              f"Redis {settings.redis_url}", flush=True)
        tail_task = None
        if demo:
            store = RedisStateStore.from_url(settings.redis_url)
            loaded = await StoredCustomerDirectory(store).load("demo", read_export(SAMPLES / "crm.json"))
            await store.close()
            bus = KafkaBus(settings.kafka_bootstrap_servers)
            run_id = uuid.uuid4().hex[:6]
            tail = PacketTail(settings.kafka_bootstrap_servers)
            await tail.start()
            tail_task = asyncio.create_task(tail.run(stop))
            n = await publish_conversations(bus, samples, suffix=run_id, pause_s=0.05)
            print(f"baton: loaded {loaded} CRM profiles; published {n} sample conversations "
                  f"(run {run_id}); handoff packets follow. Ctrl-C to stop.", flush=True)
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


@app.command()
def publish(
    file: Annotated[Path, typer.Argument(help="Conversations, one JSON object per line.")],
    suffix: Annotated[str | None, typer.Option(help="Appended to session ids (replay twice).")] = None,
) -> None:
    """Publish recorded conversations to baton.conversation.events."""
    from shared.bus.kafka import KafkaBus

    from services.cli.demo import publish_conversations

    settings = BatonSettings()
    n = asyncio.run(publish_conversations(KafkaBus(settings.kafka_bootstrap_servers), file, suffix=suffix))
    typer.echo(f"published {n} conversations")


@app.command()
def tail() -> None:
    """Print handoff packets as they are published, until Ctrl-C."""
    from services.cli.demo import PacketTail

    async def go() -> None:
        t = PacketTail(BatonSettings().kafka_bootstrap_servers)
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
    bus = KafkaBus(s.kafka_bootstrap_servers, replication_factor=s.topic_replication_factor)
    asyncio.run(bus.ensure_topics([t.name for t in ALL_TOPICS], partitions=partitions or s.topic_partitions))
    typer.echo("topics: " + ", ".join(t.name for t in ALL_TOPICS))


@schemas_app.command("export")
def schemas_export(
    out: Annotated[Path, typer.Option(help="Directory for the JSON Schema files.")] = Path("shared/schemas/json"),
) -> None:
    """Write one JSON Schema per event, for platforms in any language."""
    from shared.schemas.export import export_schemas

    for path in export_schemas(out):
        typer.echo(str(path))


@crm_app.command("load")
def crm_load(
    file: Annotated[Path, typer.Argument(help="CRM export: JSON list, JSONL or CSV with a header.")],
    tenant: Annotated[str, typer.Option(help="Tenant the customers belong to.")] = "demo",
) -> None:
    """Load customer profiles into Redis for handoff packets."""
    from shared.state.redis import RedisStateStore

    from services.context.crm import StoredCustomerDirectory, read_export

    async def go() -> int:
        store = RedisStateStore.from_url(BatonSettings().redis_url)
        try:
            return await StoredCustomerDirectory(store).load(tenant, read_export(file))
        finally:
            await store.close()

    typer.echo(f"loaded {asyncio.run(go())} profiles for tenant {tenant}")


@app.command()
def config() -> None:
    """Print the effective shared configuration (secrets are not part of it)."""
    typer.echo(json.dumps(BatonSettings().model_dump(mode="json"), indent=2))


if __name__ == "__main__":
    app()
