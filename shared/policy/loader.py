"""Read a policy file, validate it, and say which field on which line is wrong."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shared.policy.model import Policy

DEFAULT_POLICY = Path(__file__).parent / "default.yaml"


class PolicyError(ValueError):
    """A policy that cannot be used, with one line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: invalid policy\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class LoadedPolicy:
    """A validated policy with the identity every decision carries."""

    policy: Policy
    content_hash: str
    source: str
    text: str

    @property
    def version(self) -> str:
        return self.policy.version


def _lines(
    node: yaml.Node, path: tuple[str | int, ...], out: dict[tuple[str | int, ...], int]
) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value
            out[(*path, name)] = key.start_mark.line + 1
            _lines(value, (*path, name), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*path, i), out)


def _line_of(loc: tuple[Any, ...], lines: dict[tuple[str | int, ...], int]) -> int | None:
    for n in range(len(loc), -1, -1):
        if (line := lines.get(tuple(loc[:n]))) is not None:
            return line
    return None


def parse_policy(text: str, *, source: str = "<policy>") -> LoadedPolicy:
    """Validate policy YAML; raise ``PolicyError`` naming each bad field and its line."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise PolicyError(
            source, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]
        ) from exc
    if not isinstance(data, dict) or node is None:
        raise PolicyError(source, ["line 1: the policy must be a mapping with at least 'version'"])
    lines: dict[tuple[str | int, ...], int] = {}
    _lines(node, (), lines)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            line = _line_of(loc, lines)
            field = ".".join(str(p) for p in loc) or "(top level)"
            problems.append(
                f"line {line}: {field}: {err['msg']}" if line else f"{field}: {err['msg']}"
            )
        raise PolicyError(source, problems) from exc
    digest = hashlib.sha256(policy.model_dump_json().encode()).hexdigest()[:16]
    return LoadedPolicy(policy=policy, content_hash=digest, source=source, text=text)


def load_policy(path: Path | None = None) -> LoadedPolicy:
    """Load and validate a policy file (the shipped default when no path is given)."""
    path = path or DEFAULT_POLICY
    return parse_policy(path.read_text(encoding="utf-8"), source=str(path))
