"""A Rasa 3.6 runtime fix, installed when the Rasa process imports `nlu_components`.

Rasa validates every action server response with `jsonschema.validate(result, schema)`. That
call first checks the (constant) schema against the JSON Schema metaschema, every time; with
jsonschema 4.17 that check costs tens of milliseconds, about 80 % of the CPU a dialogue turn
with a custom action takes. Here the validator is built once from the same schema and validates
the same instances; a response that fails is handed to Rasa's own method, so the error and
its message are unchanged.
"""

from __future__ import annotations

from typing import Any

_INSTALLED = "_balagh_compiled_validator"


def install() -> None:
    try:
        from jsonschema import ValidationError
        from jsonschema.validators import validator_for
        from rasa.core.actions.action import RemoteAction
    except ImportError:  # not inside the Rasa environment
        return
    if getattr(RemoteAction, _INSTALLED, None) is not None:
        return
    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)
    rasa_validate = RemoteAction._validate_action_result

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError:
            return bool(rasa_validate(self, result))  # raises Rasa's own error
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    setattr(RemoteAction, _INSTALLED, validator)
