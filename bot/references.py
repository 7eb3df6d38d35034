"""botbuilder ConversationReference ⇄ the JSON dict storage/references.py keeps.

The dict is msrest's own serialisation (camelCase keys, as on the wire), so a
reference read back is exactly what botbuilder produced."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference


def reference_to_dict(reference: ConversationReference) -> dict[str, Any]:
    return reference.serialize()


def reference_from_dict(data: dict[str, Any]) -> ConversationReference:
    return ConversationReference.deserialize(data)


def reference_of(activity: Activity) -> dict[str, Any]:
    """The reference to answer `activity`'s conversation later (proactively)."""
    return reference_to_dict(TurnContext.get_conversation_reference(activity))
