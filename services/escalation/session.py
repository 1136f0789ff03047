"""The escalation service's view of a session, folded from Redis fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.schemas.envelope import Envelope, utcnow
from shared.schemas.events import (
    ConversationTurn,
    CustomerProfile,
    IntentDetected,
    PastSession,
    SentimentScored,
    SessionHandedBack,
    SessionStarted,
)
from shared.state.base import Write, session_key
from shared.stateful import dumps, loads

NAMESPACE = "esc"
# Decisions kept for `baton policy explain`, in a hash of their own: in the session's hash they
# would come back with every read the decisions themselves make, growing with each turn.
DECISION_LOG = "esc-decisions"
TEXT_LIMIT = 1000


@dataclass(frozen=True)
class TurnView:
    """One customer turn with its analyses, as the rules see it."""

    seq: int
    text: str
    intent: str
    confidence: float
    in_scope: bool
    tier: str
    topic: str | None
    score: float
    label: str
    frustration: bool
    urgency: bool
    cues: tuple[str, ...]
    entities: tuple[dict[str, Any], ...]


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class SessionView:
    """Everything known about a session's current episode up to one turn."""

    tenant_id: str
    session_id: str
    upto: int
    channel: str
    customer_id: str | None
    customer_turns: tuple[TurnView, ...]
    bot_turns: tuple[tuple[int, str], ...] = field(default_factory=tuple)
    episode: int = 1
    profile: CustomerProfile | None = None
    history: tuple[PastSession, ...] = field(default_factory=tuple)
    now: datetime = field(default_factory=utcnow)

    @property
    def current(self) -> TurnView:
        return self.customer_turns[-1]


def write_for(event: Envelope) -> Write | None:
    """Map an event to the fields it sets; first write wins, so redelivery changes nothing.

    The session comes back only when the event's turn has its text, intent and sentiment:
    the one moment a decision can be taken.
    """
    key = session_key(event.tenant_id, event.session_id, NAMESPACE)
    n = event.seq
    complete = (f"t:{n}", f"i:{n}", f"s:{n}")
    match event:
        case ConversationTurn():
            fields = {
                f"t:{event.seq}": dumps(
                    {"r": event.role.value, "x": event.text[:TEXT_LIMIT], "c": event.channel.value}
                )
            }
            if event.customer_id:
                fields["customer_id"] = event.customer_id.encode()
            fields["channel"] = event.channel.value.encode()
            return Write(key, fields, want_all=complete)
        case IntentDetected():
            return Write(
                key,
                {
                    f"i:{event.seq}": dumps(
                        {
                            "i": event.intent,
                            "c": event.confidence,
                            "s": event.in_scope,
                            "t": event.tier,
                            "p": event.topic,
                            "e": [e.model_dump(exclude_none=True) for e in event.entities],
                        }
                    )
                },
                want_all=complete,
            )
        case SentimentScored():
            return Write(
                key,
                {
                    f"s:{event.seq}": dumps(
                        {
                            "v": event.score,
                            "l": event.label.value,
                            "f": event.frustration,
                            "u": event.urgency,
                            "q": event.cues,
                        }
                    )
                },
                want_all=complete,
            )
        case SessionHandedBack():
            return Write(key, {f"hb:{event.seq}": b"1"})
        case SessionStarted():
            fields = {"channel": event.channel.value.encode()}
            if event.customer_id:
                fields["customer_id"] = event.customer_id.encode()
            return Write(key, fields, want_all=("-",))  # nothing to decide on a start
    return None


# Session fields never change once written (first write wins), and every decision re-reads
# the episode's earlier turns: parse each stored value once. Bounded; dropped when full.
_PARSED_MAX = 20_000  # each map: at most a few tens of MB
_parsed: dict[bytes, Any] = {}
_turns: dict[tuple[bytes, bytes, bytes], TurnView] = {}


def _value(raw: bytes) -> Any:
    """``loads`` of a stored value, remembered. Callers must not modify what it returns."""
    hit = _parsed.get(raw)
    if hit is None:
        if len(_parsed) >= _PARSED_MAX:
            _parsed.clear()
        hit = _parsed[raw] = loads(raw)
    return hit


def ready_turn(fields: dict[str, bytes], seq: int) -> bool:
    """True when a customer turn and both of its analyses are in."""
    raw = fields.get(f"t:{seq}")
    return (
        raw is not None
        and f"i:{seq}" in fields
        and f"s:{seq}" in fields
        and _value(raw)["r"] == "customer"
    )


def episode_of(fields: dict[str, bytes], seq: int) -> tuple[int, int]:
    """Return the episode a turn belongs to and the last turn before that episode began.

    A hand-back recorded at turn k returns the session to the bot: turns after k start a
    new episode, judged afresh.
    """
    backs = sorted(int(f[3:]) for f in fields if f.startswith("hb:") and int(f[3:]) < seq)
    return 1 + len(backs), (backs[-1] if backs else 0)


def _turn_view(seq: int, raw_t: bytes, raw_i: bytes, raw_s: bytes) -> TurnView:
    key = (raw_t, raw_i, raw_s)
    view = _turns.get(key)
    if view is None or view.seq != seq:
        turn, i, s = _value(raw_t), _value(raw_i), _value(raw_s)
        view = TurnView(
            seq=seq,
            text=turn["x"],
            intent=i["i"],
            confidence=i["c"],
            in_scope=i["s"],
            tier=i["t"],
            topic=i["p"],
            score=s["v"],
            label=s["l"],
            frustration=s["f"],
            urgency=s["u"],
            cues=tuple(s["q"]),
            entities=tuple(i["e"]),
        )
        if len(_turns) >= _PARSED_MAX:
            _turns.clear()
        _turns[key] = view
    return view


def view_upto(
    tenant_id: str,
    session_id: str,
    fields: dict[str, bytes],
    upto: int,
    *,
    profile: CustomerProfile | None = None,
    history: tuple[PastSession, ...] = (),
    now: datetime | None = None,
) -> SessionView:
    """Fold every complete turn of the current episode up to ``upto`` into a view for the rules."""
    episode, after = episode_of(fields, upto)
    customer: list[TurnView] = []
    bots: list[tuple[int, str]] = []
    for name, raw in fields.items():
        if name[:2] != "t:":
            continue
        seq = int(name[2:])
        if seq > upto or seq <= after:
            continue
        turn = _value(raw)
        role = turn["r"]
        if role == "bot":
            bots.append((seq, turn["x"]))
        elif role == "customer":
            raw_i, raw_s = fields.get(f"i:{seq}"), fields.get(f"s:{seq}")
            if raw_i is not None and raw_s is not None:
                customer.append(_turn_view(seq, raw, raw_i, raw_s))
    customer.sort(key=lambda t: t.seq)
    customer_id = fields.get("customer_id")
    return SessionView(
        tenant_id=tenant_id,
        session_id=session_id,
        upto=upto,
        channel=fields.get("channel", b"chat").decode(),
        customer_id=customer_id.decode() if customer_id else None,
        customer_turns=tuple(customer),
        bot_turns=tuple(sorted(bots)),
        episode=episode,
        profile=profile,
        history=history,
        now=now or utcnow(),
    )
