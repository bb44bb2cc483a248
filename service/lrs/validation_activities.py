"""Activities and their definitions (xAPI 1.0.3 Data §2.4.4.1 / 9274.1.1 §4.2.2.3)."""

from __future__ import annotations

from typing import Any

from service.lrs.validation_values import (
    check_extensions,
    check_iri,
    check_language_map,
    check_object,
    check_string,
    invalid,
    require,
)

_ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_DEFINITION_KEYS = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        *_COMPONENT_LISTS,
    }
)
_COMPONENT_KEYS = frozenset({"id", "description"})

# Which component lists each interaction type may carry (xAPI Data §2.4.4.1, Interaction
# Components table).
INTERACTION_COMPONENTS: dict[str, frozenset[str]] = {
    "true-false": frozenset(),
    "choice": frozenset({"choices"}),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "numeric": frozenset(),
    "other": frozenset(),
}


def check_activity(activity: Any, path: str) -> None:
    """An Activity: objectType absent or "Activity", an IRI id, an optional definition."""
    activity = check_object(activity, path, _ACTIVITY_KEYS)
    if activity.get("objectType", "Activity") != "Activity":
        raise invalid(f"{path}.objectType", 'must be "Activity"')
    check_iri(require(activity, "id", path), f"{path}.id")
    if "definition" in activity:
        check_definition(activity["definition"], f"{path}.definition")


def check_definition(definition: Any, path: str) -> None:
    definition = check_object(definition, path, _DEFINITION_KEYS)
    for key in ("name", "description"):
        if key in definition:
            check_language_map(definition[key], f"{path}.{key}")
    for key in ("type", "moreInfo"):
        if key in definition:
            check_iri(definition[key], f"{path}.{key}")
    if "extensions" in definition:
        check_extensions(definition["extensions"], f"{path}.extensions")
    _check_interaction(definition, path)


def _check_interaction(definition: dict[str, Any], path: str) -> None:
    """interactionType is required once a response pattern or component list is used
    (xAPI Data §2.4.4.1.s8); component lists must fit the type."""
    lists = [key for key in _COMPONENT_LISTS if key in definition]
    interaction = definition.get("interactionType")
    if interaction is None:
        if lists or "correctResponsesPattern" in definition:
            raise invalid(
                f"{path}.interactionType",
                "is required when correctResponsesPattern or interaction components are used",
            )
        return
    if not isinstance(interaction, str) or interaction not in INTERACTION_COMPONENTS:
        raise invalid(f"{path}.interactionType", "is not a known interaction type")
    if "correctResponsesPattern" in definition:
        pattern = definition["correctResponsesPattern"]
        if not isinstance(pattern, list):
            raise invalid(f"{path}.correctResponsesPattern", "must be an array of strings")
        for index, response in enumerate(pattern):
            check_string(response, f"{path}.correctResponsesPattern[{index}]")
    allowed = INTERACTION_COMPONENTS[interaction]
    for key in lists:
        where = f"{path}.{key}"
        if key not in allowed:
            raise invalid(where, f'is not used with interactionType "{interaction}"')
        components = definition[key]
        if not isinstance(components, list):
            raise invalid(where, "must be an array of interaction components")
        seen: set[str] = set()
        for index, component in enumerate(components):
            at = f"{where}[{index}]"
            component = check_object(component, at, _COMPONENT_KEYS)
            component_id = require(component, "id", at)
            check_string(component_id, f"{at}.id")
            if component_id in seen:
                raise invalid(f"{at}.id", "repeats an id used earlier in the list")
            seen.add(component_id)
            if "description" in component:
                check_language_map(component["description"], f"{at}.description")
