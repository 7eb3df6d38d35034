"""Channel summaries in chat: "koppla kanalen till avdelning Äldreomsorg" links a team
channel to an org node, "sammanfattning" shows the summary card.

Linking is for department heads, directors and admins, and only to a node inside
the scope of those roles (goals.access): a name outside it is answered as unknown,
revealing nothing. In a linked channel the summary is of the linked node (the
channel is the audience the linking head chose); in a personal chat it is of the
widest part of the organisation the person may see.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from dialogs.cards.summary import SUMMARY_VERB, build_summary_card
from dialogs.overview_dialog import fold
from dialogs.texts import Texts
from dialogs.turn_state import actor_of, texts_of
from goals.access import Actor, find_in_scope_in, profile_for, scope_nodes_in
from goals.model import OrgNode, Role
from goals.ports import Clock, UnitOfWork
from goals.summaries import load_summary

LINK_VERB = "link_channel"
LINK_ROLES = frozenset({Role.DEPARTMENT_HEAD, Role.DIRECTOR, Role.ADMIN})
MAX_ID = 2**31 - 1
MAX_PAGE = 1000
# What precedes the node's name in "koppla kanalen till avdelning X" / "link this channel to X".
_TARGET = re.compile(r"\b(?:till|to|med|with)\s+(.+)$", re.IGNORECASE)
# Kind words people put before a name that the name itself may not contain.
_KIND_WORDS = ("avdelningen", "avdelning", "forvaltningen", "forvaltning", "enheten", "enhet", "department",
               "administration", "unit", "the")


class Link(Protocol):
    org_node_id: int


class ChannelLinks(Protocol):
    """storage.channel_links.ChannelLinkStore, as far as this dialog needs it."""

    async def link(self, *, conversation_id: str, tenant_id: str, org_node_id: int, linked_by: int | None,
                   team_id: str | None = None, teams_channel_id: str | None = None,
                   now: datetime | None = None) -> Link: ...

    async def get(self, conversation_id: str) -> Link | None: ...


def channel_of(activity: Any) -> tuple[str, str] | None:
    """(team id, channel id) when the activity comes from a team channel, else None."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team, channel = data.get("team"), data.get("channel")
    kind = activity.conversation.conversation_type if activity.conversation else None
    if kind != "channel" or not isinstance(team, dict) or not team.get("id"):
        return None
    channel_id = channel.get("id") if isinstance(channel, dict) and channel.get("id") else None
    return team["id"], channel_id or activity.conversation.id.split(";", 1)[0]


def name_asked(text: str) -> str:
    """The node's name as typed: "koppla kanalen till avdelning Äldreomsorg" → "avdelning Äldreomsorg"."""
    match = _TARGET.search(text or "")
    return match.group(1).strip(" .!?\"”“'") if match else ""


def match_nodes(name: str, nodes: Sequence[OrgNode]) -> list[OrgNode]:
    """Compared folded (case, å/ä/ö): the exact name first; else the name without a
    leading kind word ("avdelning"); else the nodes whose name contains it as words."""
    asked = fold(name)
    if not asked:
        return []
    by_name = [n for n in nodes if fold(n.name) == asked]
    if by_name:
        return by_name
    bare = asked
    for word in _KIND_WORDS:
        if bare.startswith(word + " "):
            bare = bare[len(word) + 1 :]
            break
    exact = [n for n in nodes if fold(n.name) == bare]
    if exact:
        return exact
    return [n for n in nodes if re.search(rf"\b{re.escape(bare)}\b", fold(n.name))]


class ChannelDialog(Dialog):
    """One turn: link the channel (verb "link_channel"), or show the summary (verb
    "summary", also its further pages)."""

    def __init__(self, verb: str, *, uow_factory: Callable[[], UnitOfWork], clock: Clock, links: ChannelLinks) -> None:
        super().__init__(f"channel.{verb}")
        self.verb = verb
        self._uow = uow_factory
        self._clock = clock
        self._links = links

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        context = dialog_context.context
        value = context.activity.value if isinstance(context.activity.value, dict) else {}
        if self.verb == LINK_VERB:
            await self._link(context)
        else:
            await self._summary(context, value if value.get("verb") == SUMMARY_VERB else {})
        return await dialog_context.end_dialog()

    # --- linking --------------------------------------------------------------------

    async def _link(self, context: TurnContext) -> None:
        texts, actor = texts_of(context), actor_of(context)
        channel = channel_of(context.activity)
        if channel is None:
            await context.send_activity(texts.t("summaries.link.only_channel"))
            return
        if not LINK_ROLES & {a.role for a in actor.roles}:
            await context.send_activity(texts.t("summaries.link.not_allowed"))
            return
        asked = name_asked(context.activity.text or "")
        if not asked:
            await context.send_activity(texts.t("summaries.link.ask"))
            return
        async with self._uow() as uow:
            candidates = await scope_nodes_in(uow, actor=actor, roles=LINK_ROLES)
        found = match_nodes(asked, candidates)
        if not found:
            await context.send_activity(texts.t("summaries.link.not_found", name=asked))
            return
        if len(found) > 1:
            await context.send_activity(texts.t("summaries.link.choose", names=", ".join(n.name for n in found[:10])))
            return
        node = found[0]
        team_id, channel_id = channel
        await self._links.link(conversation_id=context.activity.conversation.id, tenant_id=actor.person.tenant_id,
                               org_node_id=node.id, linked_by=actor.person.id, team_id=team_id,
                               teams_channel_id=channel_id, now=self._clock.now())
        await context.send_activity(texts.t("summaries.link.done", node=node.name))

    # --- the summary ----------------------------------------------------------------

    async def _summary(self, context: TurnContext, value: dict[str, Any]) -> None:
        texts, actor = texts_of(context), actor_of(context)
        node_id = await self._node_for(context, texts, actor)
        if node_id is None:
            return
        page = _int(value.get("page"), upper=MAX_PAGE) or 1
        asked_node = _int(value.get("node_id"))
        # A page button names its node and period; only the node this chat may see counts.
        period_id = _int(value.get("period_id")) if asked_node == node_id else None
        today = self._clock.today()
        summary = await load_summary(self._uow(), node_id=node_id, today=today, period_id=period_id,
                                     units_only=page > 1)  # later pages list only the units not reported
        if summary is None:
            async with self._uow() as uow:
                node = await uow.orgs.get(node_id)
            await context.send_activity(texts.t("summaries.no_period", node=node.name if node else ""))
            return
        profile = await profile_for(self._uow(), node_id=node_id)
        content = build_summary_card(texts, summary, profile=profile, today=today, page=page)
        await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(content)))

    async def _node_for(self, context: TurnContext, texts: Texts, actor: Actor) -> int | None:
        if channel_of(context.activity) is not None:
            link = await self._links.get(context.activity.conversation.id)
            if link is None:
                await context.send_activity(texts.t("summaries.not_linked"))
                return None
            return link.org_node_id
        value = context.activity.value if isinstance(context.activity.value, dict) else {}
        async with self._uow() as uow:
            asked = _int(value.get("node_id"))
            if asked is not None and await find_in_scope_in(uow, actor=actor, node_id=asked) is not None:
                return asked
            nodes = await scope_nodes_in(uow, actor=actor)
        if not nodes:
            await context.send_activity(texts.t("summaries.no_scope"))
            return None
        return nodes[0].id  # parents come first: the widest part in scope


def _int(value: Any, *, upper: int = MAX_ID) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= upper:
        return value
    return None


def channel_dialogs(*, uow_factory: Callable[[], UnitOfWork], clock: Clock, links: ChannelLinks) -> dict[str, Dialog]:
    """verb → dialog, for MainDialog's flows."""
    return {verb: ChannelDialog(verb, uow_factory=uow_factory, clock=clock, links=links)
            for verb in (SUMMARY_VERB, LINK_VERB)}
