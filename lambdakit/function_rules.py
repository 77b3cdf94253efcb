"""Lambda's rules on what a function's control-plane calls may change.

Each check raises the :class:`~lambdakit.errors.LambdaError` AWS answers with,
before anything is stored, so a refused request changes nothing;
:mod:`lambdakit.motohooks` runs them in front of moto's own handling.

* Published versions are immutable: UpdateFunctionCode and
  UpdateFunctionConfiguration accept only the unqualified name or ``$LATEST``.
"""
from __future__ import annotations

from typing import Any

from .errors import InvalidParameterValueException

LATEST = "$LATEST"


def check_unpublished(storage: Any, function_name: str, qualifier: str | None) -> None:
    """Refuse an UpdateFunctionCode / UpdateFunctionConfiguration aimed at a version or alias.

    ``function_name`` may carry the qualifier itself (``name:1``, a qualified ARN);
    ``storage`` is moto's ``LambdaStorage``. An unknown function or qualifier is left
    to moto, which answers ResourceNotFoundException as AWS does.
    """
    from .invoke_api import function_ref

    ref = function_ref(function_name, qualifier, storage.account_id, storage.region_name)
    if ref.qualifier in (None, LATEST):
        return
    storage.get_function_by_name_or_arn_with_qualifier(ref.name, ref.qualifier)  # or 404
    # AWS documents the rule ("You can't modify the code [configuration] of a published
    # version, only the unpublished version") but its exact error text for a qualified
    # FunctionName could not be found; this wording is the kit's, in Lambda's style.
    raise InvalidParameterValueException(
        f"Cannot update a published version or alias: {ref.invoked_arn}. A version's code and "
        f"configuration are locked when it is published; update the unpublished version "
        f"({ref.base_arn} or {ref.base_arn}:{LATEST}) and publish a new version instead.")
